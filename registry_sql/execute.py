"""The few execution paths every generated function goes through.

Generated code calls these with its SQL constant, a parameter dict, the row model and the query's
qualified name; they open one cursor, run the statement, and translate driver errors in the one
place that does it (:func:`registry_sql.errors.translate_error`). Sync and async twins.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any, LiteralString, TypeVar

import psycopg
from psycopg.rows import class_row
from pydantic import BaseModel

from registry_sql.errors import not_found, translate_error

M = TypeVar("M", bound=BaseModel)

Params = Mapping[str, Any]


def _missing(query: str, params: Params, keys: tuple[str, ...]) -> Exception:
    return not_found(query, **{key: params[key] for key in keys})


def fetch_all(
    conn: psycopg.Connection[Any], sql: LiteralString, params: Params, model: type[M], query: str
) -> list[M]:
    try:
        with conn.cursor(row_factory=class_row(model)) as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


def fetch_optional(
    conn: psycopg.Connection[Any], sql: LiteralString, params: Params, model: type[M], query: str
) -> M | None:
    try:
        with conn.cursor(row_factory=class_row(model)) as cur:
            cur.execute(sql, params)
            return cur.fetchone()
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


def fetch_one(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    keys: tuple[str, ...] = (),
) -> M:
    """One row; ``NotFound`` naming the ``keys`` parameters when there is none."""
    row = fetch_optional(conn, sql, params, model, query)
    if row is None:
        raise _missing(query, params, keys)
    return row


def fetch_value(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    params: Params,
    query: str,
    keys: tuple[str, ...] = (),
) -> Any:
    """The first column of the one row (a scalar query always returns a row)."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc
    if row is None:
        raise _missing(query, params, keys)
    return row[0]


def execute(conn: psycopg.Connection[Any], sql: LiteralString, params: Params, query: str) -> int:
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


async def afetch_all(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
) -> list[M]:
    try:
        async with conn.cursor(row_factory=class_row(model)) as cur:
            await cur.execute(sql, params)
            return await cur.fetchall()
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


async def afetch_optional(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
) -> M | None:
    try:
        async with conn.cursor(row_factory=class_row(model)) as cur:
            await cur.execute(sql, params)
            return await cur.fetchone()
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


async def afetch_one(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    keys: tuple[str, ...] = (),
) -> M:
    row = await afetch_optional(conn, sql, params, model, query)
    if row is None:
        raise _missing(query, params, keys)
    return row


async def afetch_value(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    query: str,
    keys: tuple[str, ...] = (),
) -> Any:
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, params)
            row = await cur.fetchone()
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc
    if row is None:
        raise _missing(query, params, keys)
    return row[0]


async def aexecute(
    conn: psycopg.AsyncConnection[Any], sql: LiteralString, params: Params, query: str
) -> int:
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, params)
            return cur.rowcount
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


_STREAM_IDS = itertools.count(1)


def stream(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    batch_size: int = 1000,
) -> Iterator[M]:
    """Rows through a server-side cursor, ``batch_size`` at a time: memory stays flat.

    Runs inside ``conn.transaction()`` (a transaction, or a savepoint in the caller's), which a
    server-side cursor needs; consume the iterator before the connection does anything else.
    """
    try:
        with (
            conn.transaction(),
            conn.cursor(
                name=f"registry_sql_stream_{next(_STREAM_IDS)}", row_factory=class_row(model)
            ) as cur,
        ):
            cur.itersize = batch_size
            cur.execute(sql, params)
            yield from cur
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


async def astream(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    batch_size: int = 1000,
) -> AsyncIterator[M]:
    """The async twin of :func:`stream`."""
    try:
        async with (
            conn.transaction(),
            conn.cursor(
                name=f"registry_sql_stream_{next(_STREAM_IDS)}", row_factory=class_row(model)
            ) as cur,
        ):
            cur.itersize = batch_size
            await cur.execute(sql, params)
            async for row in cur:
                yield row
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc


def copy_rows(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    rows: Iterable[Sequence[Any]],
    types: Sequence[int],
    query: str,
) -> int:
    """COPY ``rows`` (any iterable, consumed lazily) into the table; return how many were sent.

    One COPY statement: in the caller's transaction it is all or nothing; in autocommit mode it
    is its own transaction. A bad row aborts the whole COPY with a translated error.
    """
    count = 0
    try:
        with conn.cursor() as cur, cur.copy(sql) as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
                count += 1
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc
    return count


async def acopy_rows(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]],
    types: Sequence[int],
    query: str,
) -> int:
    """The async twin of :func:`copy_rows` (also takes an async iterable)."""
    count = 0
    try:
        async with conn.cursor() as cur, cur.copy(sql) as copy:
            copy.set_types(list(types))
            if isinstance(rows, AsyncIterable):
                async for row in rows:
                    await copy.write_row(row)
                    count += 1
            else:
                for row in rows:
                    await copy.write_row(row)
                    count += 1
    except psycopg.Error as exc:
        raise translate_error(exc, query=query) from exc
    return count
