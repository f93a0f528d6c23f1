"""Tenant isolation in ``mlops``: row-level security, proven for every RLS table.

The tables under test are discovered from the catalog (``pg_class.relrowsecurity`` in schema
``mlops``), not from a hand-kept list: a new table is covered (or this fails) automatically.
Everything that must be refused is tried as the application role (``app_conn``/``app_url``):
the superuser bypasses row-level security.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from mlops_support import Conn, Tenant, make_tenant
from psycopg import sql

from registry_sql import mlops
from registry_sql.db import create_pool, transaction
from registry_sql.errors import Forbidden, ForeignKeyMissing, NotFound
from registry_sql.settings import Settings


def _rls_tables(conn: Conn) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'mlops' AND c.relkind IN ('r', 'p') AND c.relrowsecurity"
        " AND NOT c.relispartition ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _org_tables(conn: Conn) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'"
        " WHERE n.nspname = 'mlops' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        " ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _counts(conn: Conn, tables: list[str], org: uuid.UUID | None) -> dict[str, dict[Any, int]]:
    """Rows visible per table, grouped by organization_id, with the tenant set to ``org``."""
    out: dict[str, dict[Any, int]] = {}
    with transaction(conn, org_id=org) if org else transaction(conn):
        for t in tables:
            q = sql.SQL("SELECT organization_id, count(*) FROM mlops.{} GROUP BY 1").format(
                sql.Identifier(t)
            )
            out[t] = dict(conn.execute(q).fetchall())
    return out


@pytest.fixture
def tenants(conn: Conn) -> tuple[Tenant, Tenant]:
    return make_tenant(conn, "tenant-a"), make_tenant(conn, "tenant-b")


def test_every_mlops_table_has_rls_enabled_forced_and_the_tenant_policy(conn: Conn) -> None:
    """Two policies per table (since 0025): the tenant policy for every role, and the
    platform-wide reader's SELECT policy for registry_readonly only (docs/security.md)."""
    tables = _org_tables(conn)
    assert len(tables) == 14
    assert _rls_tables(conn) == tables
    rows = conn.execute(
        "SELECT c.relname, c.relforcerowsecurity, p.polname, p.polcmd, p.polpermissive,"
        " pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),"
        " ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END"
        "       FROM unnest(p.polroles) AS r)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_policy p ON p.polrelid = c.oid"
        " WHERE n.nspname = 'mlops' AND c.relrowsecurity AND NOT c.relispartition ORDER BY 1, 3"
    ).fetchall()
    assert len(rows) == 2 * len(tables)  # exactly two policies each
    expected = (
        "(organization_id = "
        "(NULLIF(current_setting('app.org_id'::text, true), ''::text))::uuid)"
    )
    for table, forced, name, cmd, permissive, using, check, roles in rows:
        assert forced, table
        assert permissive, table
        if name == f"rls_{table}__tenant":
            assert cmd == "*" and roles == ["public"], table
            assert using == expected and check == expected, table
        else:
            assert name == f"rls_{table}__readonly", table
            assert cmd == "r" and roles == ["registry_readonly"], table
            assert using == "true" and check is None, table


def test_app_role_has_dml_but_no_bypassrls_no_truncate(app_conn: Conn) -> None:
    row = app_conn.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == (False, False)
    for t in _org_tables(app_conn):
        q = "SELECT has_table_privilege(%s, 'TRUNCATE'), has_table_privilege(%s, 'INSERT')"
        truncate, insert = app_conn.execute(q, (f"mlops.{t}",) * 2).fetchone() or (None, None)
        assert truncate is False, t
        # the time series grant INSERT on columns only (see test below)
        assert insert is (t not in ("run_metrics", "model_monitoring")), t


def test_no_tenant_no_rows_and_each_tenant_sees_only_its_own(
    tenants: tuple[Tenant, Tenant], app_conn: Conn
) -> None:
    a, b = tenants
    tables = _rls_tables(app_conn)
    assert len(tables) == 14
    # no tenant: nothing, from every table
    none = _counts(app_conn, tables, None)
    assert none == {t: {} for t in tables}
    # the same query, per tenant: every table has rows, only the tenant's own
    for me in (a, b):
        seen = _counts(app_conn, tables, me.org_id)
        for t in tables:
            assert set(seen[t]) == {me.org_id}, t
            assert seen[t][me.org_id] >= 1, t
    # an empty tenant value is no tenant either
    with transaction(app_conn):
        app_conn.execute("SET LOCAL app.org_id = ''")
        assert app_conn.execute("SELECT count(*) FROM mlops.projects").fetchone() == (0,)


def test_no_tenant_no_writes(tenants: tuple[Tenant, Tenant], app_conn: Conn) -> None:
    a, _ = tenants
    with pytest.raises(Forbidden) as exc, transaction(app_conn):
        mlops.create_project(app_conn, organization_id=a.org_id, name="x", slug="x")
    assert exc.value.table is not None and exc.value.table.endswith("projects")
    with transaction(app_conn):  # updates and deletes match nothing
        assert mlops.soft_delete_project(app_conn, organization_id=a.org_id, id=a.project_id) == 0
        assert app_conn.execute("DELETE FROM mlops.alerts").rowcount == 0


def test_queries_by_id_do_not_cross_tenants(tenants: tuple[Tenant, Tenant], app_conn: Conn) -> None:
    a, b = tenants
    with transaction(app_conn, org_id=a.org_id):
        assert mlops.get_project_by_id(app_conn, organization_id=a.org_id, id=a.project_id)
        # B's row asked for under A's tenant: not found, even naming B's organization
        with pytest.raises(NotFound):
            mlops.get_project_by_id(app_conn, organization_id=b.org_id, id=b.project_id)
    with transaction(app_conn, org_id=a.org_id):
        assert mlops.list_projects(app_conn, organization_id=b.org_id, limit=10) == []


def test_cross_tenant_insert_is_forbidden_by_the_policy(
    tenants: tuple[Tenant, Tenant], app_conn: Conn
) -> None:
    """Writing a row of tenant B while tenant A is set: the policy's WITH CHECK refuses it."""
    a, b = tenants
    with pytest.raises(Forbidden) as exc, transaction(app_conn, org_id=a.org_id):
        mlops.create_project(app_conn, organization_id=b.org_id, name="intruder", slug="intruder")
    assert exc.value.sqlstate == "42501"
    assert "row-level security" in str(exc.value)
    # COPY ingest goes through the same check, row by row
    with pytest.raises(Forbidden), transaction(app_conn, org_id=a.org_id):
        mlops.copy_run_metrics(
            app_conn,
            [mlops.RunMetricIn(b.org_id, b.run_id, "loss", 0.1, 0, None)],
        )


def test_cross_tenant_reference_is_a_missing_foreign_key(
    tenants: tuple[Tenant, Tenant], app_conn: Conn
) -> None:
    """A row of tenant A pointing at tenant B's parent: the composite FK has no such key."""
    a, b = tenants
    with pytest.raises(ForeignKeyMissing) as exc, transaction(app_conn, org_id=a.org_id):
        mlops.create_model(
            app_conn, organization_id=a.org_id, project_id=b.project_id, name="stolen"
        )
    assert exc.value.constraint == "fk_models__project_id"
    with pytest.raises(ForeignKeyMissing) as exc, transaction(app_conn, org_id=a.org_id):
        mlops.change_deployment_version(
            app_conn, organization_id=a.org_id, id=a.deployment_id, model_version_id=b.version_id
        )
    assert exc.value.constraint == "fk_deployments__model_version_id"


def test_cross_tenant_update_is_forbidden(tenants: tuple[Tenant, Tenant], app_conn: Conn) -> None:
    """Moving one's own row to another tenant: WITH CHECK refuses the new row."""
    a, b = tenants
    with pytest.raises(Forbidden), transaction(app_conn, org_id=a.org_id):
        app_conn.execute(
            "UPDATE mlops.notification_channels SET organization_id = %s"
            " WHERE organization_id = %s AND id = %s",
            (b.org_id, a.org_id, a.channel_id),
        )
    # and B's rows are simply invisible to A's UPDATE
    with transaction(app_conn, org_id=a.org_id):
        cur = app_conn.execute(
            "UPDATE mlops.projects SET name = 'hijacked' WHERE organization_id = %s", (b.org_id,)
        )
        assert cur.rowcount == 0


def test_partitions_are_not_reachable_around_the_policy(
    tenants: tuple[Tenant, Tenant], conn: Conn, app_conn: Conn
) -> None:
    parts = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent IN ('mlops.run_metrics'::regclass, 'mlops.model_monitoring'::regclass)"
    ).fetchall()
    assert len(parts) >= 4
    # maintenance creates new partitions (and copies TABLE privileges): still none for the app
    conn.execute("SELECT * FROM core.maintain_partitions(now() + interval '60 days')")
    parts = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent IN ('mlops.run_metrics'::regclass, 'mlops.model_monitoring'::regclass)"
    ).fetchall()
    for (name,) in parts:
        q = sql.SQL("SELECT count(*) FROM mlops.{}").format(sql.Identifier(name))
        with pytest.raises(psycopg.errors.InsufficientPrivilege), app_conn.transaction():
            app_conn.execute(q)
    # the ingest view is write-only
    with pytest.raises(psycopg.errors.InsufficientPrivilege), app_conn.transaction():
        app_conn.execute("SELECT * FROM mlops.run_metrics_ingest")


def test_pool_of_one_connection_never_leaks_the_tenant(
    tenants: tuple[Tenant, Tenant], app_url: str
) -> None:
    a, b = tenants
    settings = Settings(database_url=app_url, min_size=1, max_size=1)
    with create_pool(settings) as pool:
        pool.wait()
        with transaction(pool, org_id=a.org_id) as c:
            pid = c.info.backend_pid
            seen_a = mlops.list_projects(c, organization_id=a.org_id, limit=10)
        with transaction(pool, org_id=b.org_id) as c:
            assert c.info.backend_pid == pid  # the same connection
            seen_b = mlops.list_projects(c, organization_id=b.org_id, limit=10)
            # B's transaction on A's former connection sees nothing of A
            assert mlops.list_projects(c, organization_id=a.org_id, limit=10) == []
            assert c.execute("SELECT count(*) FROM mlops.projects").fetchone() == (1,)
        with transaction(pool) as c:  # no tenant: nothing; SET LOCAL left no session value
            assert c.info.backend_pid == pid
            assert c.execute("SELECT current_setting('app.org_id', true)").fetchone() in {
                ("",),
                (None,),
            }
            assert c.execute("SELECT count(*) FROM mlops.projects").fetchone() == (0,)
    assert [p.id for p in seen_a] == [a.project_id]
    assert [p.id for p in seen_b] == [b.project_id]
