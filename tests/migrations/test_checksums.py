"""Content checksums of applied migrations: an edited or deleted applied file is reported.

Every test works on a copy of the migrations folder (``REGISTRY_SQL_MIGRATIONS_DIR``), so it
may edit or delete files; the yoyo post-apply hook in the copy records the checksums.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from migration_support import MIGRATION_IDS, applied_ids, run_yoyo, use_migrations_copy

from registry_sql import migrate
from registry_sql.cli import main

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

EDITED = "differs from the version applied to this database"


@pytest.fixture
def migrations_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in (
        "DATABASE_URL",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_DB",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "REGISTRY_SQL_SCRATCH_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    yield from use_migrations_copy(tmp_path, monkeypatch)


def recorded_checksums(url: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT migration_id, sha256 FROM public._registry_sql_migration_checksums"
        ).fetchall()
    return {str(mid): str(sha) for mid, sha in rows}


def edit(path: Path) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write("\n-- an edit made after the migration was applied\n")


def test_apply_records_a_checksum_per_migration(empty_url: str, migrations_copy: Path) -> None:
    migrate.apply(empty_url)
    assert recorded_checksums(empty_url) == {
        mid: migrate.migration_checksum(mid, migrations_copy) for mid in MIGRATION_IDS
    }
    assert migrate.checksum_problems(empty_url) == []
    states = migrate.status(empty_url)
    assert [s.id for s in states] == MIGRATION_IDS
    assert all(s.applied and not s.edited_after_apply for s in states)


def test_edited_migration_is_reported(
    empty_url: str,
    server_url: str,
    migrations_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    migrate.apply(empty_url)
    assert main(["status", "--database-url", empty_url]) == 0
    capsys.readouterr()

    edited_id = MIGRATION_IDS[0]
    edited_file = migrations_copy / f"{edited_id}.sql"
    edit(edited_file)

    problems = migrate.checksum_problems(empty_url)
    assert len(problems) == 1, problems
    assert problems[0].migration_id == edited_id
    assert problems[0].path == edited_file
    assert EDITED in problems[0].problem
    assert str(edited_file) in str(problems[0])

    # `check` with code generation too (its scratch database on server_url), sql/ untouched
    code = main(["check", "--database-url", empty_url, "--scratch-url", server_url])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"{edited_file}: {EDITED}" in err
    assert "check failed" in err

    assert main(["status", "--database-url", empty_url]) == 1
    out, _ = capsys.readouterr()
    edited_line = next(line for line in out.splitlines() if edited_id in line)
    assert "EDITED" in edited_line
    for other in MIGRATION_IDS[1:]:
        line = next(line for line in out.splitlines() if other in line)
        assert "EDITED" not in line and line.startswith("applied")
    assert "1 problem(s)" in out


def test_edited_rollback_file_is_reported(empty_url: str, migrations_copy: Path) -> None:
    migrate.apply(empty_url)
    edited_id = MIGRATION_IDS[-1]
    edit(migrations_copy / f"{edited_id}.rollback.sql")
    problems = migrate.checksum_problems(empty_url)
    assert [p.migration_id for p in problems] == [edited_id]
    assert EDITED in problems[0].problem


def test_deleted_migration_is_reported_missing(
    empty_url: str, migrations_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate.apply(empty_url)
    deleted_id = MIGRATION_IDS[-1]
    (migrations_copy / f"{deleted_id}.sql").unlink()
    (migrations_copy / f"{deleted_id}.rollback.sql").unlink()

    problems = migrate.checksum_problems(empty_url)
    assert len(problems) == 1, problems
    assert problems[0].migration_id == deleted_id
    assert problems[0].path == migrations_copy / f"{deleted_id}.sql"
    assert "missing" in problems[0].problem

    assert main(["status", "--database-url", empty_url]) == 1
    out, _ = capsys.readouterr()
    line = next(line for line in out.splitlines() if deleted_id in line)
    assert "missing" in line


def test_rollback_and_reapply_records_the_new_checksum(
    empty_url: str, migrations_copy: Path
) -> None:
    migrate.apply(empty_url)
    last = MIGRATION_IDS[-1]
    before = recorded_checksums(empty_url)[last]
    edit(migrations_copy / f"{last}.sql")
    assert [p.migration_id for p in migrate.checksum_problems(empty_url)] == [last]

    assert migrate.rollback(empty_url, count=1) == [last]
    assert migrate.checksum_problems(empty_url) == []  # not applied: nothing to compare
    assert migrate.apply(empty_url) == [last]

    assert migrate.checksum_problems(empty_url) == []
    after = recorded_checksums(empty_url)[last]
    assert after != before
    assert after == migrate.migration_checksum(last, migrations_copy)


def test_plain_yoyo_apply_records_checksums(empty_url: str, tmp_path: Path) -> None:
    """The deploy path (`yoyo apply` with yoyo.ini, the project's own folder) runs the
    post-apply hook too."""
    proc = run_yoyo(["apply", "--batch"], empty_url, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied_ids(empty_url) == MIGRATION_IDS
    assert recorded_checksums(empty_url) == {
        mid: migrate.migration_checksum(mid) for mid in MIGRATION_IDS
    }
    assert migrate.checksum_problems(empty_url) == []
