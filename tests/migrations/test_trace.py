"""`registry-sql migrate --trace`: a lock report per pending migration, the target unchanged.

Against real migrations (0038 adds a CHECK NOT VALID, 0039 validates it) and ones written for
the test in a copy of the migrations folder: a rewriting column type change, an index built
concurrently (not traced: outside a transaction), and a failing one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry_sql import migrate
from registry_sql.cli import main as cli_main
from registry_sql.paths import migrations_dir


def _pending(url: str) -> list[str]:
    return [s.id for s in migrate.status(url) if not s.applied]


def test_trace_reports_each_pending_migration_and_changes_nothing(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate.apply(empty_url)
    # Back to before 0038, however many migrations came after it (in apply order: status lists
    # them so; a `-- runs-before:` migration numbered after 0038 may have been applied earlier).
    applied = [s.id for s in migrate.status(empty_url)]
    later = applied[next(i for i, mid in enumerate(applied) if mid[:4] == "0038") :]
    migrate.rollback(empty_url, count=len(later))
    pending = _pending(empty_url)
    assert [p[:4] for p in pending[:2]] == ["0038", "0039"]
    assert pending == later
    capsys.readouterr()
    assert cli_main(["migrate", "--trace", "--seed", "--database-url", empty_url]) == 0
    out = capsys.readouterr().out
    reports = out.split("\n\n")
    first = next(r for r in reports if r.startswith(pending[0]))
    second = next(r for r in reports if r.startswith(pending[1]))
    assert "rolled back" in first.splitlines()[0]
    # ADD CONSTRAINT ... NOT VALID: a short ACCESS EXCLUSIVE lock, no rewrite.
    assert any(
        line.split()[:3] == ["mlops.deployments", "table", "AccessExclusiveLock"]
        and " no " in line
        and "reads and writes" in line
        for line in first.splitlines()
    )
    # --seed: the backfill (statement 2) has running deployments to update.
    assert any(
        line.split()[:4] == ["mlops.deployments", "table", "RowExclusiveLock", "stmt"]
        and "stmt 2 (line 25)" in line
        for line in first.splitlines()
    )
    # VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE only; reads and writes go on.
    assert any(
        line.split()[:3] == ["mlops.deployments", "table", "ShareUpdateExclusiveLock"]
        for line in second.splitlines()
    )
    assert "AccessExclusiveLock" not in second
    assert _pending(empty_url) == pending  # the target was not migrated


def test_trace_detects_a_rewrite_and_a_failure(
    empty_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    migrate.apply(empty_url)
    folder = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), folder)
    (folder / "0089_model_registry_size_numeric.sql").write_text(
        "-- WHY: test: a type change that rewrites the table.\n"
        "SET lock_timeout = '5s';\n\n"
        "ALTER TABLE model_registry.packages ALTER COLUMN file_size_bytes TYPE numeric;\n"
    )
    (folder / "0089_model_registry_size_numeric.rollback.sql").write_text(
        "ALTER TABLE model_registry.packages ALTER COLUMN file_size_bytes TYPE bigint;\n"
    )
    (folder / "0088_model_registry_ix_packages_size.sql").write_text(
        "-- WHY: test: an index built concurrently (outside a transaction).\n"
        "-- transactional: false\n\n"
        "CREATE INDEX CONCURRENTLY ix_packages__size ON model_registry.packages"
        " (file_size_bytes);\n"
    )
    (folder / "0088_model_registry_ix_packages_size.rollback.sql").write_text(
        "-- transactional: false\nDROP INDEX CONCURRENTLY model_registry.ix_packages__size;\n"
    )
    monkeypatch.setenv("REGISTRY_SQL_MIGRATIONS_DIR", str(folder))
    capsys.readouterr()
    assert cli_main(["migrate", "--trace", "--database-url", empty_url]) == 0
    out = capsys.readouterr().out
    assert "0088_model_registry_ix_packages_size: not traced: it runs outside a transaction" in out
    rows = {tuple(line.split()[:3]): line for line in out.splitlines() if line.startswith("  ")}
    line = rows[("model_registry.packages", "table", "AccessExclusiveLock")]
    assert "stmt 2 (line 4)" in line and " yes " in line
    assert " yes " in rows[("model_registry.packages_pkey", "index", "AccessExclusiveLock")]
    assert _pending(empty_url) == [
        "0088_model_registry_ix_packages_size",
        "0089_model_registry_size_numeric",
    ]

    (folder / "0089_model_registry_size_numeric.sql").write_text(
        "ALTER TABLE model_registry.packages ALTER COLUMN no_such_column TYPE numeric;\n"
    )
    assert cli_main(["migrate", "--trace", "--database-url", empty_url]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "0089_model_registry_size_numeric.sql: migration failed while tracing" in err
    assert "SQLSTATE 42703" in err


def test_trace_connection_failure_is_one_masked_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://nobody:s3cr3t-pw@127.0.0.1:1/x"
    assert cli_main(["migrate", "--trace", "--database-url", url]) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("registry-sql: ") and "nobody:***@127.0.0.1:1/x" in line
    assert "s3cr3t-pw" not in captured.out + captured.err
