"""The harness itself: one server per version, a migrated template, a rolled-back transaction (or
a fresh clone) per test."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

# A marker table created in one test must be gone in the next: each test's transaction is rolled
# back (or it has a clone of its own).
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
    # fast by default: one transaction, rolled back after the test
    assert not aconn.autocommit
    cur = await aconn.execute("SELECT current_setting('server_version_num')::int / 10000")
    assert await cur.fetchone() == (pg_version,)
    assert aconn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


@pytest.mark.clone  # what this test checks
async def test_async_connection_on_a_clone(aconn: psycopg.AsyncConnection[Any]) -> None:
    assert aconn.autocommit
    assert aconn.info.dbname.startswith("t_")


def test_conn_is_rolled_back_by_default(conn: psycopg.Connection[Any]) -> None:
    assert not conn.autocommit
    assert conn.info.dbname.startswith("w_")  # the shared work database, not a clone
    with pytest.raises(psycopg.ProgrammingError, match="rolled back"):
        conn.commit()


def test_conn_statement_failure_does_not_abort_the_test(conn: psycopg.Connection[Any]) -> None:
    # each top-level statement has its own savepoint: autocommit's error behaviour
    conn.execute("CREATE TABLE public.harness_stmt (id int PRIMARY KEY)")
    conn.execute("INSERT INTO public.harness_stmt VALUES (1)")
    with pytest.raises(errors.UniqueViolation):
        conn.execute("INSERT INTO public.harness_stmt VALUES (1)")
    assert conn.execute("SELECT count(*) FROM public.harness_stmt").fetchone() == (1,)


def test_conn_inside_a_transaction_block_aborts_like_production(
    conn: psycopg.Connection[Any],
) -> None:
    # inside transaction(conn) (a savepoint here) there are no per-statement savepoints: a
    # failure aborts the block, exactly as it would in the service
    conn.execute("CREATE TABLE public.harness_tx (id int PRIMARY KEY)")
    with pytest.raises(errors.UniqueViolation), conn.transaction():
        conn.execute("INSERT INTO public.harness_tx VALUES (1)")
        with pytest.raises(errors.InFailedSqlTransaction):
            try:
                conn.execute("INSERT INTO public.harness_tx VALUES (1)")
            except errors.UniqueViolation:
                conn.execute("SELECT 1")
        raise errors.UniqueViolation("re-raised to roll the block back")
    assert conn.execute("SELECT count(*) FROM public.harness_tx").fetchone() == (0,)


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


def test_app_conn_is_rolled_back_by_default(app_conn: psycopg.Connection[Any]) -> None:
    assert app_conn.info.user == "registry_app_login"
    assert app_conn.info.dbname.startswith("w_")
    assert app_conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def test_app_conn_shares_the_clone(
    app_conn: psycopg.Connection[Any], conn: psycopg.Connection[Any]
) -> None:
    # the superuser connection and the app connection share the same clone
    assert conn.info.dbname == app_conn.info.dbname
    assert conn.info.user == "postgres"
    assert conn.autocommit and app_conn.autocommit  # both on a clone: each sees the other's writes
    assert conn.info.dbname.startswith("t_")
