"""Backup and restore as docs/operations.md says, proven on a seeded database.

The documented backup: ``pg_dumpall --roles-only`` (the group roles and their grants live in the
cluster, not in the database) plus ``pg_dump -Fc``, run as a superuser or as a dedicated backup
role with BYPASSRLS (+ ``pg_read_all_data``). It is restored into a FRESH cluster with ``psql``
and ``pg_restore``, and the copy must be identical where it matters: the row count of every
table (partitions included) and the security catalog: row-level security enabled and forced,
policies, triggers and their enabled state, grants on schemas, tables and functions.

A dump by a role that row-level security applies to is refused by pg_dump (it would otherwise
silently leave out other tenants' rows): tested too, so the docs' advice stays true.

The binaries are the server's own (``pg_server.local.bindir``): a dump must be taken with a
pg_dump at least as new as the server.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from mlops_support import Conn, make_tenant
from psycopg import sql

from registry_sql import core
from registry_sql.core import Application, AuditAction
from registry_sql.db import transaction
from registry_sql.server import LocalServer

_TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    ORDER BY 1, 2"""

_FACTS = {
    "tables": """
        SELECT n.nspname, c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
               c.relispartition, pg_get_userbyid(c.relowner),
               -- NULL and an explicit owner-only ACL grant the same (pg_dump restores the
               -- latter, e.g. a partition whose grants maintain_partitions revoked, as NULL)
               coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's'
                                                  ELSE 'r' END::"char", c.relowner))::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'""",
    "policies": """
        SELECT n.nspname, c.relname, p.polname, p.polcmd::text, p.polpermissive,
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
               p.polroles::regrole[]::text
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace""",
    "triggers": """
        SELECT n.nspname, c.relname, t.tgname, t.tgenabled::text, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal""",
    "schemas": """
        SELECT nspname, pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace
        WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'""",
    "functions": """
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prosecdef,
               p.proconfig::text, p.proacl::text
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'""",
    "default privileges": """
        SELECT pg_get_userbyid(defaclrole), defaclnamespace::regnamespace::text,
               defaclobjtype::text, defaclacl::text FROM pg_default_acl""",
    "roles": """
        SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
               rolbypassrls,
               ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
                     WHERE m.member = r.oid ORDER BY 1)::text
        FROM pg_roles r WHERE rolname LIKE 'registry%'""",
}


def _facts(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as c:
        return {k: sorted(c.execute(q).fetchall(), key=repr) for k, q in _FACTS.items()}


def _row_counts(url: str) -> dict[str, int]:
    counts = {}
    with psycopg.connect(url) as c:
        for schema, table in c.execute(_TABLES).fetchall():
            q = sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            row = c.execute(q).fetchone()
            assert row is not None
            counts[f"{schema}.{table}"] = int(row[0])
    return counts


def _run(bindir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(bindir / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check:
        assert proc.returncode == 0, f"{args[0]} failed ({proc.returncode}): {proc.stderr}"
    return proc


@pytest.fixture
def seeded(conn: Conn, migrated_url: str) -> str:
    """The clone, with two tenants (a row in every mlops table each), audit events, and
    partition maintenance run: ``migrated_url``."""
    tenants = [make_tenant(conn, f"backup-{i}") for i in range(2)]
    for t in tenants:
        with transaction(conn, org_id=t.org_id):
            for n in range(3):
                core.create_audit_event(
                    conn,
                    application=Application.MLOPS,
                    action=AuditAction.CREATE,
                    entity_type="backup_test",
                    entity_id=f"{t.org_id}-{n}",
                )
    return migrated_url


@pytest.fixture
def fresh_cluster(pg_server: Any) -> Iterator[LocalServer]:
    """A second, empty server from the same binaries: the restore target."""
    with LocalServer(pg_server.local.bindir) as target:
        yield target


def _role(server_url: str, name: str, attributes: str, member_of: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
            c.execute(sql.SQL("CREATE ROLE {} LOGIN " + attributes).format(sql.Identifier(name)))
        c.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(member_of), sql.Identifier(name)))


def _conn_args(url: str, user: str) -> list[str]:
    params = psycopg.conninfo.conninfo_to_dict(url)
    return ["-h", str(params["host"]), "-p", str(params["port"]), "-U", user]


@pytest.mark.parametrize("dump_role", ["postgres", "registry_backup"])
def test_documented_backup_restores_into_a_fresh_cluster_identically(
    pg_server: Any,
    server_url: str,
    seeded: str,
    fresh_cluster: LocalServer,
    tmp_path: Path,
    dump_role: str,
) -> None:
    bindir = pg_server.local.bindir
    if dump_role != "postgres":  # docs/operations.md: the dedicated backup role
        _role(server_url, dump_role, "NOSUPERUSER BYPASSRLS", "pg_read_all_data")
    dbname = str(psycopg.conninfo.conninfo_to_dict(seeded)["dbname"])
    src = _conn_args(seeded, dump_role)
    roles_sql = tmp_path / "roles.sql"
    dump = tmp_path / "registry.dump"

    # back up (docs/operations.md, "Backup")
    _run(bindir, "pg_dumpall", *src, "--roles-only", "--no-role-passwords", "-f", str(roles_sql))
    _run(bindir, "pg_dump", *src, "-d", dbname, "-Fc", "-f", str(dump))

    # restore into a fresh cluster (docs/operations.md, "Restore")
    target_url = fresh_cluster.url("postgres")
    dst = _conn_args(target_url, "postgres")
    _run(bindir, "psql", *dst, "-d", "postgres", "-q", "-f", str(roles_sql))  # "postgres" exists
    _run(bindir, "createdb", *dst, "-T", "template0", "registry")
    _run(
        bindir,
        "pg_restore",
        *dst,
        "-d",
        "registry",
        "--exit-on-error",
        "--single-transaction",
        str(dump),
    )

    # verify (docs/operations.md, "Verify")
    restored = fresh_cluster.url("registry")
    before, after = _row_counts(seeded), _row_counts(restored)
    assert sum(v for k, v in before.items() if k.startswith("core.audit_log")) >= 6
    assert all(v > 0 for k, v in before.items() if k in ("mlops.projects", "mlops.alerts"))
    assert after == before
    facts_before, facts_after = _facts(seeded), _facts(restored)
    for kind, rows in facts_before.items():
        assert rows or kind == "default privileges", f"no {kind} found: nothing compared"
        assert facts_after[kind] == rows, f"{kind} differ after the restore"
    forced = [r for r in facts_after["tables"] if r[4]]
    assert forced, "no table with FORCE ROW LEVEL SECURITY after the restore"


def test_a_dump_that_row_level_security_would_filter_is_refused(
    pg_server: Any, server_url: str, seeded: str, tmp_path: Path
) -> None:
    """A role without BYPASSRLS (here one that can read every table) cannot take the backup:
    pg_dump stops with an error instead of writing a dump without other tenants' rows."""
    role = f"no_bypass_{uuid.uuid4().hex[:6]}"
    _role(server_url, role, "NOSUPERUSER NOBYPASSRLS", "pg_read_all_data")
    dbname = str(psycopg.conninfo.conninfo_to_dict(seeded)["dbname"])
    proc = _run(
        pg_server.local.bindir,
        "pg_dump",
        *_conn_args(seeded, role),
        "-d",
        dbname,
        "-Fc",
        "-f",
        str(tmp_path / "x.dump"),
        check=False,
    )
    assert proc.returncode != 0
    assert "row-level security" in proc.stderr
