"""`registry-sql check --against <ref>`: the release's queries described against newer migrations.

A temporary copy of the project is committed to a fresh git repository and tagged as the
release; migrations written for the test (numbers 0087-0089) then play the next release. A
breaking one is caught, naming the release's query and the migration; an additive one passes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from migration_support import REPO_ROOT

from registry_sql.cli import main as cli_main
from registry_sql.codegen import against
from registry_sql.errors import ConfigError


def _release(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(REPO_ROOT / "sql", project / "sql")
    shutil.copytree(REPO_ROOT / "migrations", project / "migrations")
    git = ["git", "-C", str(project), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], check=True)
    subprocess.run([*git, "tag", "v1"], check=True)
    return project


def _migration(project: Path, name: str, sql: str) -> None:
    body = f"-- WHY: test migration.\nSET lock_timeout = '5s';\n\n{sql}\n"
    (project / "migrations" / f"{name}.sql").write_text(body)
    (project / "migrations" / f"{name}.rollback.sql").write_text("SELECT 1;\n")


def test_breaking_migrations_are_named_with_the_queries_they_break(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _release(tmp_path)
    _migration(
        project,
        "0087_core_rename_full_name",
        "ALTER TABLE core.users RENAME COLUMN full_name TO display_name;",
    )
    _migration(
        project,
        "0088_model_registry_size_numeric",
        "ALTER TABLE model_registry.packages ALTER COLUMN file_size_bytes TYPE numeric;",
    )
    _migration(
        project,
        "0089_core_org_region",
        "ALTER TABLE core.organizations ADD COLUMN region text;\n"
        "ALTER TABLE core.organizations ALTER COLUMN region SET NOT NULL;",
    )
    monkeypatch.setenv("REGISTRY_SQL_MIGRATIONS_DIR", str(project / "migrations"))
    report = against.check(server_url, "v1", repo=project)
    assert report.new_migrations == [
        "0087_core_rename_full_name",
        "0088_model_registry_size_numeric",
        "0089_core_org_region",
    ]
    by_query = {p.split(" breaks after ")[0].split(": ", 1)[1]: p for p in report.problems}
    renamed = by_query["core.get_user_by_id"]
    assert renamed.startswith("sql/core/users.sql:41 (at v1): core.get_user_by_id breaks after ")
    assert (
        "migrations/0087_core_rename_full_name.sql: no longer prepares: SQLSTATE 42703" in renamed
    )
    assert 'column "full_name" does not exist' in renamed
    retyped = by_query["model_registry.get_package_by_id"]
    assert "after migrations/0088_model_registry_size_numeric.sql" in retyped
    assert "column file_size_bytes is now numeric (was int8)" in retyped
    unfilled = by_query["core.create_organization"]
    assert "after migrations/0089_core_org_region.sql" in unfilled
    assert "its INSERT leaves region NULL, now NOT NULL without a default" in unfilled
    # Each query is reported once, at the first migration that breaks it.
    assert len(by_query) == len(report.problems)


def test_an_additive_migration_passes(
    server_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = _release(tmp_path)
    _migration(
        project,
        "0089_core_users_nickname",
        "ALTER TABLE core.users ADD COLUMN nickname text;\n"
        "ALTER TABLE core.organizations ADD COLUMN region text NOT NULL DEFAULT 'eu';",
    )
    monkeypatch.setenv("REGISTRY_SQL_MIGRATIONS_DIR", str(project / "migrations"))
    report = against.check(server_url, "v1", repo=project)
    assert report.new_migrations == ["0089_core_users_nickname"]
    assert report.problems == []
    assert report.queries > 150
    with pytest.raises(ConfigError, match=r"--against v9: git cannot read it in .*project"):
        against.check(server_url, "v9", repo=project)


def test_check_against_an_unknown_ref_is_one_line(
    server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["check", "--scratch-url", server_url, "--against", "no-such-ref-xyz"])
    err = capsys.readouterr().err
    assert code == 1
    line = next(ln for ln in err.splitlines() if "no-such-ref-xyz" in ln)
    assert line.startswith("registry-sql: --against no-such-ref-xyz: git cannot read it in ")
