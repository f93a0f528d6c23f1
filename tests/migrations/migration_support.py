"""Helpers for the migration tests: discovered migrations, schema dumps, catalog snapshots.

Migrations are DISCOVERED from ``registry_sql.paths.migrations_dir()`` (what yoyo reads), never
listed by hand: tests parametrized over :data:`MIGRATION_IDS` run once per migration file, so a
new schema's migrations are covered the moment they are added.

(Plain functions, not a ``conftest.py``: a second ``conftest`` module would clash with
``tests/conftest.py`` under ``mypy``, as these folders are not packages.)

Schema dumps use the ``pg_dump`` of the server under test (same major version: a newer pg_dump
prints things an older one does not), run as the current user over the Unix socket URL.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from pytest_postgresql.janitor import DatabaseJanitor
from yoyo import get_backend, read_migrations

from registry_sql import migrate
from registry_sql.paths import migrations_dir
from registry_sql.settings import yoyo_url
from registry_sql.yoyo_backend import ordered, runs_before

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout: where ``yoyo.ini``, ``migrations/`` and ``.squawk.toml`` are."""

# yoyo's bookkeeping and our checksum table: present after a rollback, by design, and not ours.
BOOKKEEPING_TABLES = ("_yoyo_*", "yoyo_lock", "_registry_sql_migration_checksums")
BOOKKEEPING_RE = r"^_?(_yoyo_|yoyo_lock|_registry_sql_migration_checksums)"

_PG_ENV = re.compile(r"^PG[A-Z_]+$")


def discovered_migration_ids(directory: Path | None = None) -> list[str]:
    """The migration ids yoyo finds in ``directory`` (default: the project's), in the order a
    fresh database applies them (file order; a ``-- runs-before:`` one just before its target)."""
    return [str(m.id) for m in ordered(read_migrations(str(directory or migrations_dir())))]


MIGRATION_IDS = discovered_migration_ids()
"""Every migration of the project, in apply order (collected when the test module is imported)."""


def runs_before_targets(directory: Path | None = None) -> dict[str, list[str]]:
    """Each migration of ``directory`` (default: the project's) that has ``-- runs-before:``
    lines: id -> the ids they name."""
    found = {str(m.id): runs_before(m) for m in read_migrations(str(directory or migrations_dir()))}
    return {mid: targets for mid, targets in found.items() if targets}


# --------------------------------------------------------------------------- applying


def apply_through(url: str, migration_id: str, *, directory: Path | None = None) -> list[str]:
    """Apply the pending migrations up to and including ``migration_id`` with yoyo's own API
    (what ``yoyo apply -r <revision>`` does), holding yoyo's lock; return the ids applied."""
    migrations = read_migrations(str(directory or migrations_dir()))
    ids = [str(m.id) for m in ordered(migrations)]
    wanted = set(ids[: ids.index(migration_id) + 1])
    backend = get_backend(yoyo_url(url))
    try:
        with backend.lock():
            todo = backend.to_apply(migrations.filter(lambda m: m.id in wanted))
            backend.apply_migrations(todo)
            return [str(m.id) for m in todo]
    finally:
        backend.connection.close()


# --------------------------------------------------------------------------- dumps


def normalize_dump(text: str) -> str:
    """A schema dump without what differs between two dumps of the same schema: the random
    ``\\restrict`` keys of recent pg_dump, comment lines (they carry TOC ids/OIDs with some
    options) and runs of blank lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if line.startswith(("\\restrict", "\\unrestrict", "--")):
            continue
        if not line.strip():
            if kept and kept[-1] == "":
                continue
            line = ""
        kept.append(line.rstrip())
    return "\n".join(kept).strip() + "\n"


def pg_dump_path(pg_server: Any) -> Path:
    """The pg_dump of the server under test (its own bin dir, so the versions match)."""
    path = Path(pg_server.local.bindir) / "pg_dump"
    if not path.is_file():
        pytest.fail(f"{path} not found: the PostgreSQL {pg_server.version} bin dir has no pg_dump")
    return path


def dump_schema(pg_server: Any, url: str) -> str:
    """The normalised ``pg_dump --schema-only --no-owner --no-privileges`` of ``url``, without
    the migration bookkeeping tables; run as the current user over the socket URL."""
    args = [str(pg_dump_path(pg_server)), "--schema-only", "--no-owner", "--no-privileges"]
    for pattern in BOOKKEEPING_TABLES:
        args.append(f"--exclude-table=public.{pattern}")
    args.append(f"--dbname={url}")
    env = {k: v for k, v in os.environ.items() if not _PG_ENV.match(k)}
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)
    if proc.returncode != 0:
        pytest.fail(f"pg_dump failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return normalize_dump(proc.stdout)


# --------------------------------------------------------------------------- catalog


_SNAPSHOT_QUERIES: dict[str, str] = {
    "schemas": """
        SELECT nspname FROM pg_catalog.pg_namespace
        WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'""",
    "relations": """
        SELECT n.nspname || '.' || c.relname || ' (' || c.relkind::text || ')'
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
          AND c.relname !~ %(bookkeeping)s""",
    "types": """
        SELECT n.nspname || '.' || t.typname
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
          AND t.typname !~ %(bookkeeping)s""",
    "functions": """
        SELECT p.oid::regprocedure::text
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'""",
    "extensions": "SELECT extname FROM pg_catalog.pg_extension",
    "event_triggers": "SELECT evtname FROM pg_catalog.pg_event_trigger",
    "default_acls": """
        SELECT d.defaclrole::regrole::text || ' ' || d.defaclobjtype::text || ' '
               || coalesce(d.defaclnamespace::regnamespace::text, '-')
        FROM pg_catalog.pg_default_acl d""",
    "publications": "SELECT pubname FROM pg_catalog.pg_publication",
}


def catalog_snapshot(url: str) -> dict[str, set[str]]:
    """The user objects in ``url``'s database, straight from the catalogs (what a schema dump
    could hide: e.g. an extension's members, default privileges)."""
    snapshot: dict[str, set[str]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for name, query in _SNAPSHOT_QUERIES.items():
            rows = conn.execute(query, {"bookkeeping": BOOKKEEPING_RE}).fetchall()
            snapshot[name] = {str(r[0]) for r in rows}
    return snapshot


def row_counts(url: str) -> dict[str, int]:
    """Rows per table of every user schema (bookkeeping excluded): what a data migration adds
    and its rollback must remove. Table names come from the catalogs (our migrations' objects),
    composed with ``psycopg.sql.Identifier``."""
    tables = """
        SELECT n.nspname, c.relname
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
          AND c.relname !~ %(bookkeeping)s
        ORDER BY 1, 2"""
    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for schema, table in conn.execute(tables, {"bookkeeping": BOOKKEEPING_RE}).fetchall():
            query = sql.SQL("SELECT count(*) FROM ONLY {}").format(sql.Identifier(schema, table))
            row = conn.execute(query).fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


# --------------------------------------------------------------------------- databases


@contextmanager
def extra_empty_db(pg_server: Any) -> Iterator[str]:
    """One more empty database (from template0) on the server under test, dropped afterwards."""
    dbname = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(dbname)))
    try:
        yield str(pg_server.url(dbname))
    finally:
        DatabaseJanitor(
            user=pg_server.user,
            host=pg_server.host,
            port=pg_server.port,
            dbname=dbname,
            maintenance_dbname=pg_server.maintenance_dbname,
        ).drop()


def use_migrations_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Body of a ``migrations_copy`` fixture: a copy of the migrations folder that
    ``registry_sql`` uses for the test (``REGISTRY_SQL_MIGRATIONS_DIR``), so the test may edit,
    add or delete migration files. Clears the cached checksum hook before and after."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("REGISTRY_SQL_MIGRATIONS_DIR", str(copy))
    migrate._hook_module.cache_clear()
    yield copy
    migrate._hook_module.cache_clear()


def venv_tool(name: str) -> Path | None:
    """A console script installed next to this Python (the virtualenv's), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def run_yoyo(
    args: list[str], url: str, *, home: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the ``yoyo`` CLI from the repository root the way a deploy pipeline does: ``yoyo.ini``
    and only ``DATABASE_URL`` (yoyo's ``postgresql+psycopg://`` form), PATH and HOME set."""
    yoyo = venv_tool("yoyo")
    if yoyo is None:
        pytest.fail("the yoyo command is not installed (pip install -e '.[dev]')")
    env = {
        "DATABASE_URL": yoyo_url(url),
        "PATH": f"{yoyo.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
    }
    return subprocess.run(
        [str(yoyo), *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def applied_ids(url: str) -> list[str]:
    """``_yoyo_migration``'s ids, in the order they were applied (one row each)."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('public._yoyo_migration')").fetchone() == (None,):
            return []
        rows = conn.execute(
            "SELECT migration_id FROM public._yoyo_migration ORDER BY applied_at_utc, migration_id"
        ).fetchall()
    return [str(r[0]) for r in rows]
