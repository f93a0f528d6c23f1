"""The two ways to migrate a database: plain `yoyo` with yoyo.ini (deploy pipelines) and
`registry-sql migrate | rollback | status`."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from migration_support import MIGRATION_IDS, applied_ids, run_yoyo

from registry_sql.cli import main

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

# docs/schema/core.md "Tables (11 + 1 maintenance table)"
CORE_TABLES = {
    "users",
    "organizations",
    "user_identities",
    "organization_memberships",
    "roles",
    "permissions",
    "role_permissions",
    "user_roles",
    "api_keys",
    "auth_tokens",
    "audit_log",
}


def core_tables(url: str) -> set[str] | None:
    """The tables of schema core that are not partitions; None when the schema is absent."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regnamespace('core')").fetchone() == (None,):
            return None
        rows = conn.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'core' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        ).fetchall()
    return {str(r[0]) for r in rows}


def test_yoyo_apply_rollback_apply(empty_url: str, tmp_path: Path) -> None:
    proc = run_yoyo(["apply", "--batch"], empty_url, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tables = core_tables(empty_url)
    assert tables is not None, "yoyo apply did not create schema core"
    assert len(CORE_TABLES) == 11
    assert CORE_TABLES <= tables, f"missing: {sorted(CORE_TABLES - tables)}"
    assert applied_ids(empty_url) == MIGRATION_IDS

    proc = run_yoyo(["rollback", "--all", "--batch"], empty_url, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert core_tables(empty_url) is None, "yoyo rollback --all left schema core behind"
    assert applied_ids(empty_url) == []

    proc = run_yoyo(["apply", "--batch"], empty_url, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert CORE_TABLES <= (core_tables(empty_url) or set())
    assert applied_ids(empty_url) == MIGRATION_IDS


@pytest.fixture
def no_env_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only --database-url says where: no DATABASE_URL / POSTGRES_* from the environment."""
    for name in (
        "DATABASE_URL",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_DB",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_env_database")
def test_registry_sql_cli_with_a_plain_url(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert empty_url.startswith("postgresql://")
    db = ["--database-url", empty_url]

    assert main(["status", *db]) == 0
    out = capsys.readouterr().out
    for mid in MIGRATION_IDS:
        assert f"pending  {mid}" in out
    assert f"0 applied, {len(MIGRATION_IDS)} pending, 0 problem(s)" in out

    assert main(["migrate", *db]) == 0
    out = capsys.readouterr().out
    for mid in MIGRATION_IDS:
        assert f"applied  {mid}" in out
    assert f"{len(MIGRATION_IDS)} migration(s) applied to " in out
    assert CORE_TABLES <= (core_tables(empty_url) or set())

    assert main(["migrate", *db]) == 0
    assert "up to date: no migration to apply" in capsys.readouterr().out

    assert main(["status", *db]) == 0
    out = capsys.readouterr().out
    for mid in MIGRATION_IDS:
        line = next(line for line in out.splitlines() if mid in line)
        assert line.startswith("applied ") and "UTC" in line
    assert f"{len(MIGRATION_IDS)} applied, 0 pending, 0 problem(s)" in out

    assert main(["rollback", *db]) == 0  # default: the latest one
    out = capsys.readouterr().out
    assert f"rolled back  {MIGRATION_IDS[-1]}" in out
    assert "1 migration(s) rolled back on " in out
    assert applied_ids(empty_url) == MIGRATION_IDS[:-1]

    assert main(["rollback", "--all", *db]) == 0
    out = capsys.readouterr().out
    for mid in MIGRATION_IDS[:-1]:
        assert f"rolled back  {mid}" in out
    assert f"{len(MIGRATION_IDS) - 1} migration(s) rolled back on " in out
    assert core_tables(empty_url) is None
    assert applied_ids(empty_url) == []
