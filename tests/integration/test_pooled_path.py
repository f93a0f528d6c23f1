"""The pooled service path (issue 11): transaction(pool) in two round trips, the same guarantees.

A dead connection that the pool hands out without a ping (it came back less than
CHECK_IDLE_SECONDS ago) must not fail the call; the session is reset before the next checkout
whether or not the block ended through transaction(pool); the tenant stays transaction-local.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from registry_sql.db import atransaction, create_async_pool, create_pool, transaction
from registry_sql.errors import NotFound, RegistrySqlError
from registry_sql.settings import Settings

ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def _one(url: str) -> Settings:
    return Settings(database_url=url, min_size=1, max_size=1)


def _kill(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _backend_pid(pool: Any) -> int:
    with pool.connection() as c:
        return int(c.info.backend_pid)


def test_a_dead_connection_fresh_from_the_pool_does_not_fail_the_call(empty_url: str) -> None:
    with create_pool(_one(empty_url), allow_privileged_role=True) as pool:
        pid = _backend_pid(pool)  # just returned: the next checkout is not pinged
        _kill(empty_url, pid)
        with transaction(pool, org_id=ORG) as conn:
            row = conn.execute("SELECT pg_backend_pid(), current_setting('app.org_id')").fetchone()
        assert row is not None
        assert row[0] != pid  # ran on a fresh connection
        assert row[1] == ORG


async def test_async_dead_connection_fresh_from_the_pool_does_not_fail_the_call(
    empty_url: str,
) -> None:
    async with create_async_pool(_one(empty_url), allow_privileged_role=True) as pool:
        async with pool.connection() as c:
            pid = c.info.backend_pid
        _kill(empty_url, pid)
        async with atransaction(pool) as conn:
            cur = await conn.execute("SELECT pg_backend_pid()")
            row = await cur.fetchone()
        assert row is not None and row[0] != pid


def test_a_dead_connection_after_the_first_statement_is_not_retried(empty_url: str) -> None:
    """Only the opening message is retried: once the block has run, a lost connection is the
    caller's error (translated), never a silent second run of the block."""
    runs = 0
    with create_pool(_one(empty_url), allow_privileged_role=True) as pool:
        with pytest.raises(RegistrySqlError):
            with transaction(pool) as conn:
                runs += 1
                _kill(empty_url, conn.info.backend_pid)
                conn.execute("SELECT 1")
        assert runs == 1
        with transaction(pool) as conn:  # the pool replaced the dead connection
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_session_settings_never_leak_and_the_tenant_is_local(empty_url: str) -> None:
    with create_pool(_one(empty_url), allow_privileged_role=True) as pool:
        with transaction(pool, org_id=ORG, correlation_id="req-1") as conn:
            conn.execute("SET application_name = 'leaky'")  # session-level, by app code
            conn.execute("SET app.session_thing = 'x'")
        with transaction(pool) as conn:
            row = conn.execute(
                "SELECT current_setting('application_name'), "
                "current_setting('app.session_thing', true), "
                "current_setting('app.org_id', true), current_setting('app.correlation_id', true)"
            ).fetchone()
        assert row is not None
        assert row[0] != "leaky"
        assert not row[1] and not row[2] and not row[3]
        with pool.connection() as conn:  # the pool's own mode is back: not autocommit
            assert conn.autocommit is False


def test_an_error_in_the_block_rolls_back_and_resets(empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True) as admin:
        admin.execute("CREATE TABLE pp_t (id int PRIMARY KEY)")
    with create_pool(_one(empty_url), allow_privileged_role=True) as pool:
        with pytest.raises(NotFound):
            with transaction(pool, org_id=ORG) as conn:
                conn.execute("INSERT INTO pp_t VALUES (1)")
                conn.execute("SET application_name = 'leaky'")
                raise NotFound("no such thing")
        with transaction(pool) as conn:
            assert conn.execute("SELECT count(*) FROM pp_t").fetchone() == (0,)
            row = conn.execute(
                "SELECT current_setting('application_name'), current_setting('app.org_id', true)"
            ).fetchone()
        assert row is not None and row[0] != "leaky" and not row[1]


def test_nested_blocks_in_a_pooled_transaction_are_savepoints(empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True) as admin:
        admin.execute("CREATE TABLE pp_n (id int PRIMARY KEY)")
    with create_pool(_one(empty_url), allow_privileged_role=True) as pool:
        with transaction(pool, org_id=ORG) as conn:
            conn.execute("INSERT INTO pp_n VALUES (1)")
            with pytest.raises(RegistrySqlError):
                with transaction(conn, org_id="00000000-0000-0000-0000-000000000001"):
                    conn.execute("INSERT INTO pp_n VALUES (1)")  # duplicate: savepoint undone
            assert conn.execute("SELECT current_setting('app.org_id')").fetchone() == (ORG,)
            conn.execute("INSERT INTO pp_n VALUES (2)")
        with transaction(pool) as conn:
            assert conn.execute("SELECT array_agg(id ORDER BY id) FROM pp_n").fetchone() == (
                [1, 2],
            )


def test_isolation_and_read_only_go_with_begin(empty_url: str) -> None:
    with create_pool(_one(empty_url), allow_privileged_role=True) as pool:
        with transaction(pool, isolation="serializable", read_only=True) as conn:
            row = conn.execute(
                "SELECT current_setting('transaction_isolation'), "
                "current_setting('transaction_read_only')"
            ).fetchone()
        assert row == ("serializable", "on")
