"""Streams cannot corrupt a transaction: break, abandon, raise inside the loop, close early.

A stream drives a server-side cursor with DECLARE/FETCH/CLOSE on the caller's connection and
opens no savepoint of its own, so the enclosing transaction goes on and its writes commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, closing
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import pq

from registry_sql import db
from registry_sql import model_registry as mr
from registry_sql.errors import InvalidInput
from registry_sql.execute import AsyncStream, Stream
from registry_sql.model_registry import PackageRow, aio

Conn = psycopg.Connection[Any]
AConn = psycopg.AsyncConnection[Any]


def _pkg(conn: Conn, name: str, version: str) -> PackageRow:
    return mr.create_package(
        conn,
        name=name,
        version=version,
        s3_key=f"{name}/{version}",
        s3_bucket="b",
        file_size_bytes=1,
    )


async def _apkg(conn: AConn, name: str, version: str) -> PackageRow:
    return await aio.create_package(
        conn,
        name=name,
        version=version,
        s3_key=f"{name}/{version}",
        s3_bucket="b",
        file_size_bytes=1,
    )


def _versions(conn: Conn, name: str) -> list[str]:
    return [p.version for p in mr.list_package_versions(conn, name=name)]


def _open_cursors(conn: Conn) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_cursors WHERE name LIKE 'registry_sql_stream_%'"
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def five(conn: Conn) -> str:
    for i in range(5):
        _pkg(conn, "seed", f"1.0.{i}")
    return "seed"


@pytest.mark.clone  # checks the top-level transaction commits and the connection is idle after
def test_break_out_of_a_stream_then_write_and_commit(conn: Conn, five: str) -> None:
    with db.transaction(conn):
        for row in mr.stream_list_package_versions(conn, name=five, batch_size=2):
            assert row.name == five
            break
        _pkg(conn, "after-break", "1.0.0")
    assert _versions(conn, "after-break") == ["1.0.0"]
    assert conn.info.transaction_status == pq.TransactionStatus.IDLE


def test_a_half_read_stream_kept_in_a_variable(conn: Conn, five: str) -> None:
    with db.transaction(conn):
        rows = mr.stream_list_package_versions(conn, name=five, batch_size=2)
        first = next(rows)
        _pkg(conn, "kept", "1.0.0")  # the connection is free between two rows
        second = next(rows)
        assert (first.version, second.version) == ("1.0.4", "1.0.3")
        assert _open_cursors(conn) == 1
    # never closed, never read to the end: the commit went through all the same
    assert _versions(conn, "kept") == ["1.0.0"]
    assert not rows.closed
    rows.close()  # after the transaction: nothing to close on the server, no error
    assert rows.closed and _open_cursors(conn) == 0


def test_exception_inside_the_loop_leaves_the_transaction_usable(conn: Conn, five: str) -> None:
    with db.transaction(conn):
        with pytest.raises(LookupError):
            for _row in mr.stream_list_package_versions(conn, name=five, batch_size=1):
                raise LookupError("the caller's own error")
        _pkg(conn, "after-raise", "1.0.0")
    assert _versions(conn, "after-raise") == ["1.0.0"]


def test_closing_frees_the_cursor_inside_the_transaction(conn: Conn, five: str) -> None:
    with db.transaction(conn):
        with closing(mr.stream_list_package_versions(conn, name=five, batch_size=2)) as rows:
            assert next(rows).version == "1.0.4"
            assert _open_cursors(conn) == 1
        assert _open_cursors(conn) == 0
        with mr.stream_list_package_versions(conn, name=five) as rows2:  # a context manager too
            assert len(list(rows2)) == 5
        assert _open_cursors(conn) == 0


@pytest.mark.clone  # what this test checks: a stream on an autocommit connection
def test_autocommit_stream_is_held_and_closed_at_the_end(conn: Conn, five: str) -> None:
    rows = mr.stream_list_package_versions(conn, name=five, batch_size=2)
    assert next(rows).version == "1.0.4"
    # Outside a transaction: the cursor is WITH HOLD; the connection is idle and usable.
    assert conn.info.transaction_status == pq.TransactionStatus.IDLE
    with db.transaction(conn):
        _pkg(conn, "between", "1.0.0")
    assert [r.version for r in rows] == ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
    assert _open_cursors(conn) == 0 and rows.closed


def test_abandoned_autocommit_stream_is_closed_by_close(conn: Conn, five: str) -> None:
    rows = mr.stream_list_package_versions(conn, name=five, batch_size=2)
    next(rows)
    assert _open_cursors(conn) == 1
    rows.close()
    rows.close()  # twice is fine
    assert _open_cursors(conn) == 0
    assert list(rows) == []


def test_non_autocommit_connection(migrated_url: str) -> None:
    with psycopg.connect(migrated_url) as c:
        _pkg(c, "plain", "1.0.0")
        _pkg(c, "plain", "1.0.1")
        for _row in mr.stream_list_package_versions(c, name="plain", batch_size=1):
            break
        c.commit()
        assert _versions(c, "plain") == ["1.0.1", "1.0.0"]


def test_batch_size_is_validated(conn: Conn) -> None:
    with pytest.raises(InvalidInput) as info:
        mr.stream_list_package_versions(conn, name="x", batch_size=0)
    assert info.value.field == "batch_size"


def test_a_failed_stream_is_translated_and_closed(conn: Conn) -> None:
    with db.transaction(conn):
        rows = mr.stream_list_package_versions(conn, name="x\x00y")
        with pytest.raises(InvalidInput) as info, db.transaction(conn):
            next(rows)
        assert info.value.field == "name"
        assert rows.closed
        _pkg(conn, "after-error", "1.0.0")
    assert _versions(conn, "after-error") == ["1.0.0"]


def test_stream_types_are_closeable() -> None:
    assert issubclass(Stream, object) and hasattr(Stream, "close")
    assert hasattr(AsyncStream, "aclose")


# ------------------------------------------------------------------------------------- async


@pytest.fixture
async def afive(aconn: AConn) -> str:
    for i in range(5):
        await _apkg(aconn, "aseed", f"1.0.{i}")
    return "aseed"


async def _aversions(conn: AConn, name: str) -> list[str]:
    return [p.version for p in await aio.list_package_versions(conn, name=name)]


@pytest.mark.clone  # checks the top-level transaction commits and the connection is idle after
async def test_async_break_then_write_and_commit(aconn: AConn, afive: str) -> None:
    async with db.atransaction(aconn):
        async for row in aio.stream_list_package_versions(aconn, name=afive, batch_size=2):
            assert row.name == afive
            break
        await _apkg(aconn, "after-break", "1.0.0")
    assert await _aversions(aconn, "after-break") == ["1.0.0"]
    assert aconn.info.transaction_status == pq.TransactionStatus.IDLE


async def test_async_half_read_stream_and_exception(aconn: AConn, afive: str) -> None:
    async with db.atransaction(aconn):
        rows = aio.stream_list_package_versions(aconn, name=afive, batch_size=2)
        assert (await anext(rows)).version == "1.0.4"
        await _apkg(aconn, "kept", "1.0.0")
        with pytest.raises(LookupError):
            async for _row in rows:
                raise LookupError("the caller's own error")
        await _apkg(aconn, "kept", "1.0.1")
    assert await _aversions(aconn, "kept") == ["1.0.1", "1.0.0"]


async def test_async_aclosing_and_async_with(aconn: AConn, afive: str) -> None:
    async with db.atransaction(aconn):
        async with aclosing(aio.stream_list_package_versions(aconn, name=afive)) as rows:
            assert (await anext(rows)).version == "1.0.4"
        async with aio.stream_list_package_versions(aconn, name=afive, batch_size=3) as rows2:
            assert len([r async for r in rows2]) == 5
        cur = await aconn.execute(
            "SELECT count(*) FROM pg_cursors WHERE name LIKE 'registry_sql_stream_%'"
        )
        assert await cur.fetchone() == (0,)


async def test_async_copy_takes_an_async_iterable(aconn: AConn) -> None:
    async def samples() -> AsyncIterator[mr.HealthMetricIn]:
        for i in range(3):
            yield mr.HealthMetricIn("m", float(i), None, {}, datetime.now(UTC))

    async with db.atransaction(aconn):
        assert await aio.copy_health_metrics(aconn, samples()) == 3
