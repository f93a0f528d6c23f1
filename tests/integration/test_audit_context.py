"""The audit context of a transaction: who acts (``app.user_id``), from where (session, client
IP, user agent) and why (``app.change_reason``), set transaction-locally like the tenant.

The runtime only sets the values; a schema's triggers read them (and may refuse a change without
them). These tests check what reaches the server, what does not outlive the transaction, the
restore of a nested block, and that bad values are refused before anything is sent.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import pq

from registry_sql.db import (
    aaudit_context,
    aconnect,
    atransaction,
    audit_context,
    connect,
    create_pool,
    transaction,
)
from registry_sql.errors import InvalidInput, TransactionRequired
from registry_sql.settings import Settings

pytestmark = pytest.mark.compat

USER = uuid.UUID("3f2b8c1e-8a4b-4a57-9d7e-0c2f4f6b9a10")
READ = (
    "SELECT current_setting('app.user_id', true), current_setting('app.session_id', true),"
    " current_setting('app.client_ip', true), current_setting('app.user_agent', true),"
    " current_setting('app.change_reason', true)"
)


def _read(conn: psycopg.Connection[Any]) -> tuple[Any, ...]:
    row = conn.execute(READ).fetchone()
    assert row is not None
    return tuple(None if v == "" else v for v in row)


def test_transaction_sets_the_audit_context_for_the_transaction_only(empty_url: str) -> None:
    with create_pool(
        Settings(database_url=empty_url, min_size=1, max_size=1), allow_privileged_role=True
    ) as pool:
        with transaction(
            pool,
            user_id=str(USER),
            session_id="s-42",
            client_ip=" 2001:DB8::7 ",
            user_agent="curl/8.5 (x86_64) it's quoted",
            change_reason="re-measured; gauge recalibrated",
        ) as c:
            assert _read(c) == (
                str(USER),
                "s-42",
                "2001:db8::7",
                "curl/8.5 (x86_64) it's quoted",
                "re-measured; gauge recalibrated",
            )
            pid = c.info.backend_pid
        with transaction(pool) as c:
            assert c.info.backend_pid == pid  # the same server session, nothing left over
            assert _read(c) == (None, None, None, None, None)


def test_only_the_given_values_are_set(empty_url: str) -> None:
    with connect(empty_url) as c, transaction(c, user_id=USER, client_ip="203.0.113.7"):
        assert _read(c) == (str(USER), None, "203.0.113.7", None, None)


def test_a_nested_block_restores_the_outer_context(empty_url: str) -> None:
    with connect(empty_url) as c, transaction(c, user_id=USER, change_reason="outer"):
        with transaction(c, change_reason="inner", session_id="s-1"):
            assert _read(c)[0] == str(USER)
            assert _read(c)[4] == "inner"
        assert _read(c) == (str(USER), None, None, None, "outer")
        # a failed nested block rolls back to its savepoint, settings included
        with pytest.raises(psycopg.errors.UndefinedTable):
            with c.transaction():
                audit_context(c, change_reason="doomed")
                c.execute("SELECT * FROM no_such_table")
        assert _read(c)[4] == "outer"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_id", "alice"),
        ("user_id", "1'; DROP TABLE x; --"),
        ("client_ip", "10.0.0.256"),
        ("client_ip", "example.com"),
        ("session_id", ""),
        ("session_id", "s\n1"),
        ("user_agent", "   "),
        ("user_agent", "x" * 1001),
        ("change_reason", ""),
        ("change_reason", "why\x00not"),
        ("change_reason", "x" * 2001),
    ],
)
def test_bad_values_are_refused_before_anything_is_sent(
    empty_url: str, field: str, value: str
) -> None:
    with connect(empty_url) as c:
        with pytest.raises(InvalidInput, match=field) as info:
            kwargs: dict[str, Any] = {field: value}
            with transaction(c, **kwargs):
                pytest.fail("the block must not run")
        assert info.value.field == field
        # nothing was sent: no transaction was opened
        assert c.info.transaction_status == pq.TransactionStatus.IDLE


def test_audit_context_needs_a_transaction(empty_url: str) -> None:
    with connect(empty_url, autocommit=True) as c:
        with pytest.raises(TransactionRequired, match="audit_context"):
            audit_context(c, user_id=USER)
    with connect(empty_url) as c, transaction(c):
        audit_context(c, client_ip=ipaddress.ip_address("192.0.2.1"), change_reason="typo")
        assert _read(c) == (None, None, "192.0.2.1", None, "typo")


async def test_async_twins(empty_url: str) -> None:
    conn = await aconnect(empty_url, autocommit=True)
    try:
        with pytest.raises(TransactionRequired):
            await aaudit_context(conn, user_id=USER)
        async with atransaction(conn, user_id=USER, user_agent="httpx/0.27"):
            async with atransaction(conn, change_reason="inner"):
                await aaudit_context(conn, session_id="s-9")
                cur = await conn.execute(READ)
                row = await cur.fetchone()
                assert row is not None
                assert row[:2] == (str(USER), "s-9") and row[3:] == ("httpx/0.27", "inner")
            cur = await conn.execute(READ)
            row = await cur.fetchone()
            assert row is not None and row[3] == "httpx/0.27"
            assert not row[1] and not row[4]  # the inner block's values are gone
        with pytest.raises(InvalidInput) as info:
            async with atransaction(conn, client_ip="nope"):
                pass
        assert info.value.field == "client_ip"
    finally:
        await conn.close()
