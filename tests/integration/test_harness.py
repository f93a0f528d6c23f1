"""The harness itself: one server per version, a migrated template, a fresh clone per test."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors

# A marker table created in one test must be gone in the next: each test gets its own clone.
_MARKER = "harness_isolation_marker"


def test_server_version_matches_param(pg_version: int, conn: psycopg.Connection[Any]) -> None:
    row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert row is not None
    assert row[0] // 10000 == pg_version


def test_template_is_migrated(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute("SELECT to_regnamespace('core') IS NOT NULL").fetchone()
    assert row == (True,)
    applied = conn.execute("SELECT count(*) FROM public._yoyo_migration").fetchone()
    assert applied is not None and applied[0] >= 1


def test_clone_isolation_write(conn: psycopg.Connection[Any]) -> None:
    assert conn.execute("SELECT to_regclass(%s)", (f"public.{_MARKER}",)).fetchone() == (None,)
    conn.execute("CREATE TABLE public.harness_isolation_marker (id int)")
    conn.execute("INSERT INTO public.harness_isolation_marker VALUES (1)")


def test_clone_isolation_not_visible(conn: psycopg.Connection[Any]) -> None:
    # runs after test_clone_isolation_write (file order): its table must not be here
    assert conn.execute("SELECT to_regclass(%s)", (f"public.{_MARKER}",)).fetchone() == (None,)


def test_each_test_gets_its_own_database(migrated_url: str, server_url: str) -> None:
    with psycopg.connect(migrated_url) as c:
        row = c.execute("SELECT current_database()").fetchone()
    assert row is not None and row[0].startswith("t_")
    with psycopg.connect(server_url) as c:
        tmpl = c.execute(
            "SELECT datname FROM pg_database WHERE datistemplate AND datname LIKE 'registry_tests%'"
        ).fetchall()
    assert len(tmpl) == 1


async def test_async_connection(aconn: psycopg.AsyncConnection[Any], pg_version: int) -> None:
    assert aconn.autocommit
    cur = await aconn.execute("SELECT current_setting('server_version_num')::int / 10000")
    assert await cur.fetchone() == (pg_version,)


def test_empty_database_has_no_schema(empty_url: str) -> None:
    with psycopg.connect(empty_url) as c:
        assert c.execute("SELECT to_regnamespace('core')").fetchone() == (None,)
        assert c.execute("SELECT to_regclass('public._yoyo_migration')").fetchone() == (None,)


def test_app_login_role_is_not_privileged(app_conn: psycopg.Connection[Any]) -> None:
    row = app_conn.execute(
        "SELECT current_user, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
        " FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == ("registry_app_login", False, False, False, False)
    member_of = app_conn.execute(
        "SELECT array_agg(r.rolname ORDER BY r.rolname) FROM pg_auth_members m"
        " JOIN pg_roles r ON r.oid = m.roleid"
        " WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ).fetchone()
    assert member_of == (["registry_app"],)


def test_app_login_role_cannot_truncate_audit_log(app_conn: psycopg.Connection[Any]) -> None:
    assert app_conn.execute("SELECT to_regclass('core.audit_log')").fetchone() != (None,)
    with pytest.raises(errors.InsufficientPrivilege):
        app_conn.execute("TRUNCATE core.audit_log")


def test_app_conn_shares_the_clone(
    app_conn: psycopg.Connection[Any], conn: psycopg.Connection[Any]
) -> None:
    # the superuser connection and the app connection share the same clone
    assert conn.info.dbname == app_conn.info.dbname
    assert conn.info.user == "postgres"
