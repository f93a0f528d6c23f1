"""The shared execution paths of generated functions, incl. server-side streaming."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from registry_sql import core, db
from registry_sql.core import Application, aio
from registry_sql.errors import InvalidInput, NotFound


@pytest.mark.clone  # asserts the connection is idle (autocommit) after the stream
def test_stream_yields_the_same_rows_as_the_list_in_small_batches(
    conn: psycopg.Connection[Any],
) -> None:
    listed = core.list_roles(conn, application=Application.MLOPS)
    streamed = list(core.stream_list_roles(conn, application=Application.MLOPS, batch_size=2))
    assert len(listed) > 2  # several batches
    assert streamed == listed
    # Autocommit: the stream held its cursor outside a transaction and closed it at the end.
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_stream_inside_a_caller_transaction_leaves_it_open(
    conn: psycopg.Connection[Any],
) -> None:
    with db.transaction(conn):
        first = next(iter(core.stream_list_roles(conn, application=Application.SPLUNK_TA)))
        assert first.application == Application.SPLUNK_TA
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def test_stream_translates_errors(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(InvalidInput):
        list(core.stream_list_users_by_ids(conn, ids=["not-a-uuid"]))  # type: ignore[list-item]


async def test_async_stream_matches_async_list(aconn: psycopg.AsyncConnection[Any]) -> None:
    listed = await aio.list_permissions(aconn, application=Application.MLOPS)
    streamed = [p async for p in aio.stream_list_permissions(aconn, application=Application.MLOPS,
                                                             batch_size=1)]
    assert streamed == listed and listed


def test_not_found_names_lookup_keys_but_never_secrets(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(NotFound) as info:
        core.get_user_by_email(conn, email="nobody@example.com")
    assert "nobody@example.com" in str(info.value)
    assert info.value.query == "core.get_user_by_email"
