"""The production recipe: a login role with registry_app rights only, and a pool that refuses a
privileged role at start-up.

`registry-sql roles create-login NAME` makes the service's role; connected as it, row-level
security applies (no tenant: no rows; another tenant's rows: invisible and refused) and the audit
log cannot be changed. `create_pool` / `create_async_pool` refuse a superuser or an owner at
start-up with a ConfigError that says what to do; `allow_privileged_role=True` is the opt-out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from mlops_support import Tenant, make_tenant
from psycopg import sql

from registry_sql import cli, core, db, mlops, roles
from registry_sql.core import Application, AuditAction
from registry_sql.errors import ConfigError, Forbidden, ImmutableRecord, InvalidInput
from registry_sql.settings import Settings

Conn = psycopg.Connection[Any]


def _drop_role(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as c:
        c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def service_url(pg_server: Any, migrated_url: str) -> Iterator[str]:
    """A login role made by `registry-sql roles create-login`, on migrated_url's database."""
    name = f"svc_{uuid.uuid4().hex[:10]}"
    assert cli.main(["roles", "create-login", name, "--database-url", migrated_url]) == 0
    dbname = str(psycopg.conninfo.conninfo_to_dict(migrated_url)["dbname"])
    yield pg_server.url(dbname, user=name)
    _drop_role(migrated_url, name)


@pytest.fixture
def two(conn: Conn) -> tuple[Tenant, Tenant]:
    return make_tenant(conn, "role-a"), make_tenant(conn, "role-b")


def test_create_login_role_is_idempotent_and_member_of_registry_app_only(
    conn: Conn, service_url: str
) -> None:
    name = str(psycopg.conninfo.conninfo_to_dict(service_url)["user"])
    assert roles.create_login_role(conn, name) is False  # exists: brought into line again
    report = roles.role_report(conn, name)
    assert report["groups"] == ["registry_app"] and report["service_ok"]
    assert not report["superuser"] and not report["bypassrls"]
    assert cli.main(["roles", "check", name, "--database-url", service_url]) == 0
    with pytest.raises(InvalidInput):
        roles.create_login_role(conn, "registry_owner")
    with pytest.raises(InvalidInput):
        roles.create_login_role(conn, 'x"; DROP ROLE postgres; --')


def test_service_role_cannot_bypass_row_level_security(
    service_url: str, two: tuple[Tenant, Tenant]
) -> None:
    a, b = two
    with psycopg.connect(service_url) as c:
        with db.transaction(c):  # no tenant: no rows at all
            assert mlops.list_projects(c, organization_id=a.org_id, limit=10) == []
        with db.transaction(c, org_id=a.org_id):  # tenant a: a's rows, never b's
            assert [p.id for p in mlops.list_projects(c, organization_id=a.org_id, limit=10)] == [
                a.project_id
            ]
            assert mlops.list_projects(c, organization_id=b.org_id, limit=10) == []
        with pytest.raises(Forbidden), db.transaction(c, org_id=a.org_id):
            mlops.create_project(c, organization_id=b.org_id, name="intruder", slug="x")
        with pytest.raises(Forbidden), db.transaction(c):
            c.execute("SET LOCAL row_security = off")  # only a bypassing role may turn it off
            c.execute("SELECT count(*) FROM mlops.projects")
        with pytest.raises(Forbidden), db.transaction(c):
            c.execute("ALTER TABLE mlops.projects DISABLE ROW LEVEL SECURITY")


def test_service_role_cannot_alter_the_audit_log(service_url: str) -> None:
    with psycopg.connect(service_url) as c:
        with db.transaction(c):
            event = core.create_audit_event(
                c, application=Application.CORE, action=AuditAction.CREATE, entity_type="t"
            )
        for statement, error in (
            ("UPDATE core.audit_log SET reason = 'edited'", (ImmutableRecord, Forbidden)),
            ("DELETE FROM core.audit_log", (ImmutableRecord, Forbidden)),
            ("TRUNCATE core.audit_log", (Forbidden,)),
            ("ALTER TABLE core.audit_log DISABLE TRIGGER ALL", (Forbidden,)),
            ("DROP TABLE core.audit_log", (Forbidden,)),
        ):
            with pytest.raises(error), db.transaction(c):
                c.execute(statement)
        with db.transaction(c):
            kept = core.get_audit_event(c, id=event.id, occurred_at=event.occurred_at)
        assert kept.reason is None


def test_pool_opens_for_the_service_role(service_url: str) -> None:
    with db.create_pool(Settings(database_url=service_url, min_size=1, max_size=1)) as pool:
        with db.transaction(pool) as c:
            assert c.execute("SELECT current_user").fetchone() == (
                psycopg.conninfo.conninfo_to_dict(service_url)["user"],
            )


def test_pool_refuses_a_superuser_at_start_up(migrated_url: str) -> None:
    with pytest.raises(ConfigError) as info:
        db.create_pool(Settings(database_url=migrated_url, min_size=1, max_size=1))
    message = str(info.value)
    assert "superuser" in message and "registry-sql roles create-login" in message
    pool = db.create_pool(Settings(database_url=migrated_url, min_size=1, max_size=1), open=False)
    with pytest.raises(ConfigError):
        pool.open()
    # the explicit opt-out, for admin tools
    with (
        db.create_pool(
            Settings(database_url=migrated_url, min_size=1, max_size=1), allow_privileged_role=True
        ) as admin,
        db.transaction(admin) as c,
    ):
        assert c.execute("SELECT 1").fetchone() == (1,)


def test_pool_refuses_a_member_of_the_owner_role(pg_server: Any, migrated_url: str) -> None:
    name = f"owner_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(migrated_url, autocommit=True) as c:
        c.execute(
            sql.SQL("CREATE ROLE {} LOGIN IN ROLE registry_owner").format(sql.Identifier(name))
        )
    try:
        dbname = str(psycopg.conninfo.conninfo_to_dict(migrated_url)["dbname"])
        owner_url = pg_server.url(dbname, user=name)
        with pytest.raises(ConfigError) as info:
            db.create_pool(Settings(database_url=owner_url, min_size=1, max_size=1))
        assert "registry_owner" in str(info.value)
        assert cli.main(["roles", "check", "--database-url", owner_url]) == 1
        with psycopg.connect(migrated_url, autocommit=True) as c, pytest.raises(ConfigError):
            roles.create_login_role(c, name)  # never silently "fixes" an owner
    finally:
        _drop_role(migrated_url, name)


async def test_async_pool_refuses_a_superuser_and_opens_for_the_service(
    migrated_url: str, service_url: str
) -> None:
    with pytest.raises(ConfigError):
        async with db.create_async_pool(
            Settings(database_url=migrated_url, min_size=1, max_size=1)
        ):
            pass
    async with (
        db.create_async_pool(Settings(database_url=service_url, min_size=1, max_size=1)) as pool,
        db.atransaction(pool) as c,
    ):
        await c.execute("SELECT 1")
