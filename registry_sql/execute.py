"""The few execution paths every generated function goes through.

Generated code calls these with its SQL constant, a parameter dict, the row model and the query's
qualified name; they open one cursor, run the statement, and translate driver errors in the one
place that does it (:func:`registry_sql.errors.translate_error`).

One source for sync and async: the shared helpers come first, then the async functions (the
source, edited by hand), then their sync twins, generated from the async source by
``python -m registry_sql.codegen.async_to_sync`` (``make generate``; ``registry-sql check`` fails
when they are stale). Edit the async code only.
"""

from __future__ import annotations

import itertools
import json
import re
import weakref
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, Generic, LiteralString, TypeVar

import psycopg
from psycopg import pq
from psycopg import sql as psql
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import Format
from psycopg.rows import tuple_row
from psycopg.types.json import Json, Jsonb
from pydantic import BaseModel

from registry_sql.errors import InvalidInput, RegistrySqlError, not_found, translate_error
from registry_sql.rows import model_rows
from registry_sql.secrets import is_masked, sanitized_cause

M = TypeVar("M", bound=BaseModel)

Params = Mapping[str, Any]


_SHOWN_CHARS = 100  # longer values are cut in NotFound messages (a 1 MB key is no help)


def _shown(value: object) -> object:
    if isinstance(value, str) and len(value) > _SHOWN_CHARS:
        return f"{value[:_SHOWN_CHARS]}... ({len(value)} characters)"
    return value


def _missing(query: str, params: Params, keys: tuple[str, ...]) -> Exception:
    return not_found(query, **{key: _shown(params[key]) for key in keys})


def _unsendable(value: object) -> str | None:
    """Why ``value`` cannot be sent as a parameter (None when it can)."""
    if isinstance(value, str):
        if "\x00" in value:
            return "text cannot contain NUL (0x00) characters; remove them"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text must be valid Unicode (it has a lone surrogate); fix the encoding"
        return None
    if isinstance(value, Json | Jsonb):
        try:
            json.dumps(value.obj)
        except (TypeError, ValueError) as exc:
            return f"the value is not JSON ({exc}); pass dicts, lists, str, int, float, bool, None"
        return _unsendable(value.obj)
    if isinstance(value, list | tuple):
        for item in value:
            why = _unsendable(item)
            if why is not None:
                return why
    if isinstance(value, dict):
        for key, item in value.items():
            why = _unsendable(key) or _unsendable(item)
            if why is not None:
                return why
    return None


def _bad_parameter(query: str, params: Params) -> InvalidInput | None:
    """InvalidInput naming the first parameter that cannot be sent (encoded/serialised)."""
    for name, value in params.items():
        why = _unsendable(value)
        if why is not None:
            return InvalidInput(f"{query}: parameter {name}: {why}", field=name, query=query)
    return None


def _translate(exc: psycopg.Error, query: str, params: Params) -> RegistrySqlError:
    """translate_error, naming the parameter when a value could not be sent or stored (NUL
    characters, lone surrogates, also inside JSON)."""
    error = translate_error(exc, query=query)
    if isinstance(error, InvalidInput) and error.field is None and error.constraint is None:
        bad = _bad_parameter(query, params)
        if bad is not None:
            bad.sqlstate = error.sqlstate
            return bad
        field = _rejected_parameter(exc, params)
        if field is not None:
            error.field = field
            error.message = error.message.replace(f"{query}: ", f"{query}: parameter {field}: ", 1)
            error.args = (error.message,)
    return error


def _holds(value: object, text: str) -> bool:
    if isinstance(value, list | tuple):
        return any(_holds(item, text) for item in value)
    return isinstance(value, str) and value == text


def _rejected_parameter(exc: psycopg.Error, params: Params) -> str | None:
    """The parameter whose value the server rejected ('invalid input syntax for type uuid:
    "x"'), when exactly one parameter holds that value."""
    if exc.sqlstate not in ("22P02", "22007", "22008", "22003"):
        return None
    match = _REJECTED_RE.match(exc.diag.message_primary or "")
    if match is None:
        return None
    names = [name for name, value in params.items() if _holds(value, match["value"])]
    return names[0] if len(names) == 1 else None


_REJECTED_RE = re.compile(r'^[^"]*: "(?P<value>.*)"$', re.S)


class _Translating:
    """``with _Translating(query, params):`` turns every driver error into ours, in one place.

    psycopg errors go through :func:`_translate`; a value psycopg could not even encode (a lone
    surrogate, a non-JSON object) becomes ``InvalidInput`` naming the parameter. A plain class,
    not ``@contextmanager``: it sits on every call's hot path.
    """

    __slots__ = ("params", "query")

    def __init__(self, query: str, params: Params) -> None:
        self.query = query
        self.params = params

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if exc is None:
            return
        if isinstance(exc, psycopg.Error):
            error = _translate(exc, self.query, self.params)
            # The driver error carries the values that were masked (secret columns).
            raise error from (sanitized_cause(exc, error) if is_masked(error) else exc)
        if isinstance(exc, UnicodeEncodeError | TypeError):
            bad = _bad_parameter(self.query, self.params)
            if bad is not None:
                raise bad from exc


# Idle cursors per connection, reused by the single-row paths. A new cursor per call costs more
# than the rest of a primary-key lookup's Python work (measured in benchmarks/: 126 µs per lookup
# with a fresh cursor against 86 µs with a reused one, raw psycopg 91 µs): a fresh cursor sets up
# its column loaders again. Each call takes its own cursor off the list (list.pop is atomic), so
# threads or tasks sharing a connection never share a cursor; a cursor that saw an error is
# closed, not returned. Many-row paths keep a cursor per call, so no large result stays alive.
_IDLE: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()
_MAX_IDLE = 4


def _take(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> Any:
    idle = _IDLE.get(conn)
    if idle:
        try:
            return idle.pop()
        except IndexError:  # another thread took the last one meanwhile
            pass
    return conn.cursor()


def _give(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any], cur: Any) -> None:
    idle = _IDLE.get(conn)
    if idle is None:
        idle = _IDLE.setdefault(conn, [])
    if len(idle) < _MAX_IDLE:
        idle.append(cur)


_STREAM_IDS = itertools.count(1)

# The statements a stream sends. The cursor's name is generated here (a counter), the query is
# the generated module's constant: nothing comes from the caller but bound parameters.
_DECLARE: LiteralString = "DECLARE {} NO SCROLL CURSOR WITHOUT HOLD FOR {}"
_DECLARE_HOLD: LiteralString = "DECLARE {} NO SCROLL CURSOR WITH HOLD FOR {}"
_FETCH: LiteralString = "FETCH FORWARD {} FROM {}"
_CLOSE: LiteralString = "CLOSE {}"
_CURSOR_EXISTS: LiteralString = "SELECT 1 FROM pg_catalog.pg_cursors WHERE name = %s"

_IDLE_STATUS = pq.TransactionStatus.IDLE
_INTRANS_STATUS = pq.TransactionStatus.INTRANS


class _StreamState(Generic[M]):
    """What :class:`Stream` and :class:`AsyncStream` share.

    A stream is a server-side cursor driven with plain ``DECLARE`` / ``FETCH`` / ``CLOSE`` on the
    caller's connection. It opens no transaction or savepoint of its own, so breaking out of the
    loop, raising inside it, or dropping a half-read stream never changes the caller's transaction
    (its writes commit as usual), and the connection may run other queries between two rows.

    - Inside a transaction the cursor lives until the stream is read to the end or closed, or
      until the transaction ends (PostgreSQL closes it then).
    - On an autocommit connection outside a transaction the cursor is declared ``WITH HOLD``: the
      server keeps the result until the stream ends or is closed (or the session ends); the
      client still receives it ``batch_size`` rows at a time.
    """

    def __init__(
        self,
        conn: Any,
        sql_text: LiteralString,
        params: Params,
        model: type[M],
        query: str,
        batch_size: int,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInput(
                f"{query}: batch_size must be a whole number of rows, 1 or more "
                f"(got {batch_size!r})",
                field="batch_size",
                query=query,
            )
        self._conn = conn
        self._sql = sql_text
        self._params = params
        self._model = model
        self._query = query
        self._batch_size = batch_size
        self._name = f"registry_sql_stream_{next(_STREAM_IDS)}"
        self._rows: Iterator[M] = iter(())
        self._started = False
        self._done = False
        self._hold = False

    @property
    def name(self) -> str:
        """The server-side cursor's name (as in ``pg_cursors``)."""
        return self._name

    @property
    def closed(self) -> bool:
        """True once the stream was read to the end, failed or was closed."""
        return self._done

    def _declare_statement(self) -> psql.Composed:
        status = self._conn.info.transaction_status
        self._hold = status == _IDLE_STATUS and bool(self._conn.autocommit)
        template = _DECLARE_HOLD if self._hold else _DECLARE
        return psql.SQL(template).format(psql.Identifier(self._name), psql.SQL(self._sql))

    def _fetch_statement(self) -> psql.Composed:
        return psql.SQL(_FETCH).format(psql.Literal(self._batch_size), psql.Identifier(self._name))

    def _close_statement(self) -> psql.Composed:
        return psql.SQL(_CLOSE).format(psql.Identifier(self._name))

    def _close_needed(self) -> bool:
        """Mark the stream closed; True when a CLOSE may still be owed to the server."""
        if self._done:
            return False
        self._done = True
        self._rows = iter(())
        if not self._started or self._conn.closed:
            return False
        status = self._conn.info.transaction_status
        if status not in (_IDLE_STATUS, _INTRANS_STATUS):
            return False  # a failed transaction: the rollback closes the cursor
        # A cursor without hold is gone once its transaction has ended.
        return self._hold or status == _INTRANS_STATUS


#: What ``copy_rows`` takes (any iterable of rows) and ``acopy_rows`` (an async iterable too).
Rows = Iterable[Sequence[Any]]
AsyncRows = Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]]


def _row_fields(row: Sequence[Any]) -> dict[str, Any]:
    """The row being written when COPY failed, by field name (a NamedTuple's, else positions)."""
    names = getattr(row, "_fields", None) or [str(i) for i in range(len(row))]
    return dict(zip(names, row, strict=False))


def _bad_copy_field(
    conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any],
    row: Sequence[Any],
    types: Sequence[int],
    query: str,
) -> InvalidInput | None:
    """The field of ``row`` that psycopg cannot encode as its column's type, as InvalidInput.

    Dumps each value alone with its column's dumper (no server round trip): the first one that
    fails is named, e.g. ``file_size_bytes`` given a float NaN, or a jsonb value holding a set.
    """
    tx = Transformer(conn)
    for (name, value), oid in zip(_row_fields(row).items(), types, strict=False):
        if value is None:
            continue
        try:
            tx.set_dumper_types([oid], Format.TEXT)
            tx.dump_sequence([value], [PyFormat.TEXT])
        except (psycopg.Error, UnicodeEncodeError, TypeError, ValueError) as exc:
            why = _unsendable(value) or f"{exc}"
            return InvalidInput(
                f"{query}: parameter {name}: {why}; fix the value and try again",
                field=name,
                query=query,
            )
    return None


def _copy_failed(
    exc: BaseException,
    conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any],
    row: Sequence[Any],
    types: Sequence[int],
    query: str,
) -> BaseException:
    """The error to raise for a failed COPY: a value that could not be encoded names its field;
    a server error (a constraint, a bad label) is translated as usual."""
    if not (isinstance(exc, psycopg.Error) and exc.sqlstate):
        bad = _bad_copy_field(conn, row, types, query)
        if bad is not None:
            return bad
    if isinstance(exc, psycopg.Error):
        return _translate(exc, query, {})
    return exc


# --------------------------------------------------------------------------------------------
# Batches: several generated calls in one round trip (psycopg's pipeline mode)

T = TypeVar("T")


class Pending(Generic[T]):
    """The result of one call added to a batch: :attr:`result` once the batch has run."""

    __slots__ = ("_done", "_error", "_value", "query")

    def __init__(self, query: str) -> None:
        self.query = query
        self._done = False
        self._error: BaseException | None = None
        self._value: Any = None

    @property
    def ok(self) -> bool:
        """True when the call ran and returned (False before the batch ran or when it failed)."""
        return self._done and self._error is None

    @property
    def result(self) -> T:
        """What the generated function returned; raises its (translated) error if it failed,
        or :class:`~registry_sql.errors.InvalidInput` before the batch has run."""
        if self._error is not None:
            raise self._error
        if not self._done:
            raise InvalidInput(
                f"batch: {self.query} has not run yet; read results after the `with` block "
                "(or after run())",
                query=self.query,
            )
        value: T = self._value
        return value


class _Recorder:
    """What a generated function is given as its connection while a batch records its call: the
    execution helpers see it and raise :class:`_Captured` instead of running anything. It has no
    ``cursor``: a function that would use one (a stream, COPY) cannot be batched."""

    __slots__ = ()


#: The one recorder (typed ``Any``: the helpers compare their connection with it).
_RECORDER: Any = _Recorder()

# What a batched call makes of its statement's result: the helper it went through.
_ALL, _OPTIONAL, _ONE, _VALUE, _ROWCOUNT = range(5)


class _Captured(Exception):
    """Raised by an execution helper given the recorder: the statement a generated function
    would run, and what the helper would return from its result."""

    def __init__(
        self,
        kind: int,
        sql: Any,
        params: Params,
        row_factory: Any,
        query: str,
        keys: tuple[str, ...] = (),
    ) -> None:
        self.kind = kind
        self.sql = sql
        self.params = params
        self.row_factory = row_factory
        self.query = query
        self.keys = keys


class _Call:
    __slots__ = ("fn", "params", "pending")

    def __init__(self, fn: Callable[..., Any], params: dict[str, Any]) -> None:
        self.fn = fn
        self.params = params
        self.pending: Pending[Any] = Pending(getattr(fn, "__qualname__", repr(fn)))


def _not_batchable(call: _Call) -> InvalidInput:
    return InvalidInput(
        f"batch: {call.pending.query} cannot run in a batch: only calls that run one statement "
        "and return rows or a row count can (not streams, COPY, or a function of the other "
        "world: sync functions in batch(), async ones in abatch())",
        query=call.pending.query,
    )


def _settle(call: _Call, statement: _Captured, rows: list[Any], rowcount: int) -> Exception | None:
    """Give a batched call the value its helper would have returned from these rows (or the
    helper's ``NotFound``, returned as well)."""
    kind = statement.kind
    pending = call.pending
    pending._done = True
    if kind == _ALL:
        pending._value = rows
    elif kind == _ROWCOUNT:
        pending._value = rowcount
    elif rows:
        pending._value = rows[0][0] if kind == _VALUE else rows[0]
    elif kind == _OPTIONAL:
        pending._value = None
    else:
        pending._error = error = _missing(statement.query, statement.params, statement.keys)
        return error
    return None


def _failed(call: _Call, statement: _Captured, exc: BaseException) -> Exception:
    """Give a batched call its statement's error, translated as the helper would have (and
    return it)."""
    try:
        with _Translating(statement.query, statement.params):
            raise exc
    except Exception as error:  # handed to the caller through the call's pending result
        call.pending._error = error
        call.pending._done = True
        return error
    raise AssertionError("unreachable")  # pragma: no cover


def _failed_index(cursors: Sequence[Any]) -> int:
    """The call whose statement failed in a pipeline: the first cursor left without a result."""
    for index, cur in enumerate(cursors):
        if cur.pgresult is None:
            return index
    return len(cursors) - 1


def _not_run(call: _Call, failed: _Call) -> RegistrySqlError:
    return RegistrySqlError(
        f"batch: {call.pending.query} did not run: {failed.pending.query}, before it in the "
        "same batch, failed"
    )


# === ASYNC SOURCE: the sync twins below are generated from this section ===
async def afetch_all(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
) -> list[M]:
    """All rows of the query as ``model`` instances."""
    if conn is _RECORDER:
        raise _Captured(_ALL, sql, params, model_rows(model), query)
    with _Translating(query, params):
        async with conn.cursor(row_factory=model_rows(model)) as cur:
            await cur.execute(sql, params)
            return await cur.fetchall()


async def afetch_optional(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
) -> M | None:
    """The one row of the query as a ``model`` instance, or None when there is none."""
    if conn is _RECORDER:
        raise _Captured(_OPTIONAL, sql, params, model_rows(model), query)
    cur: psycopg.AsyncCursor[Any] = _take(conn)
    rows = model_rows(model)
    with _Translating(query, params):
        try:
            if cur.row_factory is not rows:  # setting it builds the row maker again
                cur.row_factory = rows
            await cur.execute(sql, params)
            row: M | None = await cur.fetchone()
        except BaseException:
            await cur.close()
            raise
    _give(conn, cur)
    return row


async def afetch_one(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    keys: tuple[str, ...] = (),
) -> M:
    """One row; ``NotFound`` naming the ``keys`` parameters when there is none."""
    if conn is _RECORDER:
        raise _Captured(_ONE, sql, params, model_rows(model), query, keys)
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
    """The first column of the one row (a scalar query always returns a row)."""
    if conn is _RECORDER:
        raise _Captured(_VALUE, sql, params, tuple_row, query, keys)
    cur: psycopg.AsyncCursor[Any] = _take(conn)
    with _Translating(query, params):
        try:
            if cur.row_factory is not tuple_row:
                cur.row_factory = tuple_row
            await cur.execute(sql, params)
            row = await cur.fetchone()
        except BaseException:
            await cur.close()
            raise
    _give(conn, cur)
    if row is None:
        raise _missing(query, params, keys)
    return row[0]


async def aexecute(
    conn: psycopg.AsyncConnection[Any], sql: LiteralString, params: Params, query: str
) -> int:
    """Run the statement; the number of rows it affected."""
    if conn is _RECORDER:
        raise _Captured(_ROWCOUNT, sql, params, tuple_row, query)
    with _Translating(query, params):
        async with conn.cursor() as cur:
            await cur.execute(sql, params)
            return cur.rowcount


class AsyncStream(_StreamState[M], AsyncIterator[M]):
    """Rows of one query, read from a server-side cursor ``batch_size`` at a time.

    Iterate it (``async for row in rows:``); it closes itself at the end. Stop early with
    ``break`` or an exception at any time: the enclosing transaction is untouched. Call
    :meth:`aclose` (or ``async with rows:``, or wrap it in
    :func:`contextlib.aclosing`) to free the server-side cursor before the transaction ends.
    """

    def __aiter__(self) -> AsyncStream[M]:
        return self

    async def __anext__(self) -> M:
        try:
            return next(self._rows)
        except StopIteration:
            pass
        if self._done:
            raise StopAsyncIteration
        batch = await self._read()
        if not batch:
            raise StopAsyncIteration
        self._rows = iter(batch)
        return next(self._rows)

    async def _read(self) -> list[M]:
        conn: psycopg.AsyncConnection[Any] = self._conn
        try:
            with _Translating(self._query, self._params):
                async with conn.cursor(row_factory=model_rows(self._model)) as cur:
                    if not self._started:
                        self._started = True
                        await cur.execute(self._declare_statement(), self._params, prepare=False)
                    await cur.execute(self._fetch_statement(), prepare=False)
                    batch: list[M] = await cur.fetchall()
                    if len(batch) < self._batch_size:
                        self._done = True
                        await cur.execute(self._close_statement(), prepare=False)
        except BaseException:
            self._done = True
            raise
        return batch

    async def aclose(self) -> None:
        """Free the server-side cursor now (safe to call twice, or after the transaction)."""
        if not self._close_needed():
            return
        conn: psycopg.AsyncConnection[Any] = self._conn
        with _Translating(self._query, {}):
            async with conn.cursor() as cur:
                if not self._hold:
                    await cur.execute(_CURSOR_EXISTS, (self._name,), prepare=False)
                    if await cur.fetchone() is None:
                        return  # declared in a transaction that has ended since
                await cur.execute(self._close_statement(), prepare=False)

    async def __aenter__(self) -> AsyncStream[M]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def astream(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    batch_size: int = 1000,
) -> AsyncStream[M]:
    """Rows through a server-side cursor, ``batch_size`` at a time: memory stays flat.

    Nothing runs until the first row is asked for. See :class:`AsyncStream`.
    """
    return AsyncStream(conn, sql, params, model, query, batch_size)


async def acopy_rows(
    conn: psycopg.AsyncConnection[Any],
    sql: LiteralString,
    rows: AsyncRows,
    types: Sequence[int],
    query: str,
) -> int:
    """COPY ``rows`` (any iterable, consumed lazily) into the table; return how many were sent.

    One COPY statement: in the caller's transaction it is all or nothing; in autocommit mode it
    is its own transaction. A bad row aborts the whole COPY with a translated error. The async
    twin also takes an async iterable (an async generator reading a file or a queue).
    """
    count = 0
    row: Sequence[Any] = ()
    try:
        async with conn.cursor() as cur, cur.copy(sql) as copy:
            copy.set_types(list(types))
            if True:  # ASYNC
                if isinstance(rows, AsyncIterable):
                    async for row in rows:
                        await copy.write_row(row)
                        count += 1
                else:
                    for row in rows:
                        await copy.write_row(row)
                        count += 1
            else:
                for row in rows:
                    copy.write_row(row)
                    count += 1
    except (psycopg.Error, UnicodeEncodeError, TypeError) as exc:
        error = _copy_failed(exc, conn, row, types, query)
        if error is exc:
            raise
        raise error from exc
    return count


class AsyncBatch:
    """Several generated calls sent in one round trip (psycopg's pipeline mode).

    ``b.add(fn, **params)`` queues a generated function (``fn(conn, **params)`` is what it
    stands for) and returns a :class:`Pending`; nothing is sent yet. Leaving the ``async with``
    block (or ``await b.run()``) sends every statement at once and gives each call its typed
    result: ``pending.result``. The calls run in order, in the connection's transaction (use
    ``atransaction()`` around the batch for all or nothing). When a call fails, its error is
    translated as usual and named after that call (``pending.result`` raises it); the calls
    after it do not run; the first error is raised when the batch ends.
    """

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn
        self._calls: list[_Call] = []

    def add(
        self,
        fn: Callable[..., Awaitable[T]],  # sync: fn: Callable[..., T],
        /,
        **params: Any,
    ) -> Pending[T]:
        """Queue ``fn(conn, **params)``; its result is the returned Pending's ``result``."""
        call = _Call(fn, params)
        self._calls.append(call)
        return call.pending

    async def run(self) -> None:
        """Send the queued calls in one round trip and set their results (see the class)."""
        await self._run(self._conn, (), ())

    async def _run(
        self,
        conn: psycopg.AsyncConnection[Any],
        prologue: Sequence[bytes],
        epilogue: Sequence[bytes],
    ) -> None:
        """Run the queued calls in one pipeline, ``prologue`` before them and ``epilogue`` after
        them (statements of the caller's own, e.g. BEGIN and COMMIT; the epilogue is not sent
        when a call could not even be sent). A statement of the prologue or epilogue that fails
        is raised as is, not attributed to a call."""
        calls, self._calls = self._calls, []
        if not calls:
            return
        # Each call runs its generated function once, against the recorder: the parameters are
        # built and checked as on any call, and the helper it reaches hands back its statement.
        statements: list[_Captured] = []
        for call in calls:
            try:
                await call.fn(_RECORDER, **call.params)
            except _Captured as recorded:
                statements.append(recorded)
                continue
            except AttributeError:
                raise _not_batchable(call) from None
            raise _not_batchable(call)
        cursors: list[Any] = []
        failed: int | None = None
        error: BaseException | None = None
        control = conn.cursor() if prologue or epilogue else None
        try:
            async with conn.pipeline():
                for statement in prologue:
                    await control.execute(statement, prepare=False)  # type: ignore[union-attr]
                for index, captured in enumerate(statements):
                    cur = _take(conn)
                    if cur.row_factory is not captured.row_factory:
                        cur.row_factory = captured.row_factory
                    cursors.append(cur)
                    try:
                        await cur.execute(captured.sql, captured.params)
                    except (UnicodeEncodeError, TypeError) as exc:  # not sent: a bad value
                        error, failed = exc, index
                        break
                if failed is None:
                    for statement in epilogue:
                        await control.execute(statement, prepare=False)  # type: ignore[union-attr]
        except psycopg.Error as exc:
            # A statement's result is set on its cursor only when it succeeded (execute() resets
            # a reused cursor's), so the first call without one is the one that failed.
            if (
                conn.broken
                or not cursors
                or (control is not None and prologue and control.pgresult is None)
                or all(cur.pgresult is not None for cur in cursors)
            ):
                # The connection, or a statement of the caller's (the prologue, or the epilogue
                # after every call ran): not a call's error.
                for cur in cursors:
                    await cur.close()
                raise
            failed = _failed_index(cursors)
            error = exc
        first: Exception | None = None
        for index, call in enumerate(calls):
            captured = statements[index]
            if failed is not None and index >= failed:
                if index == failed and error is not None:
                    failure = _failed(call, captured, error)
                    first = first or failure
                else:
                    call.pending._error = _not_run(call, calls[failed])
                continue
            cur = cursors[index]
            rows = await cur.fetchall() if cur.description is not None else []
            missing = _settle(call, captured, rows, cur.rowcount)
            first = first or missing
        for cur in cursors:
            if cur.pgresult is None:  # failed or not sent
                await cur.close()
            else:
                _give(conn, cur)
        if first is not None:
            raise first

    async def __aenter__(self) -> AsyncBatch:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if kind is None:
            await self.run()


def abatch(conn: psycopg.AsyncConnection[Any]) -> AsyncBatch:
    """Several generated calls in one round trip: ``async with abatch(conn) as b:`` (see
    :class:`AsyncBatch`)."""
    return AsyncBatch(conn)


# === SYNC TWINS: generated from the async source above (codegen/async_to_sync.py); DO NOT EDIT ===


def fetch_all(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
) -> list[M]:
    """All rows of the query as ``model`` instances."""
    if conn is _RECORDER:
        raise _Captured(_ALL, sql, params, model_rows(model), query)
    with _Translating(query, params):
        with conn.cursor(row_factory=model_rows(model)) as cur:
            cur.execute(sql, params)
            return cur.fetchall()


def fetch_optional(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
) -> M | None:
    """The one row of the query as a ``model`` instance, or None when there is none."""
    if conn is _RECORDER:
        raise _Captured(_OPTIONAL, sql, params, model_rows(model), query)
    cur: psycopg.Cursor[Any] = _take(conn)
    rows = model_rows(model)
    with _Translating(query, params):
        try:
            if cur.row_factory is not rows:  # setting it builds the row maker again
                cur.row_factory = rows
            cur.execute(sql, params)
            row: M | None = cur.fetchone()
        except BaseException:
            cur.close()
            raise
    _give(conn, cur)
    return row


def fetch_one(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    keys: tuple[str, ...] = (),
) -> M:
    """One row; ``NotFound`` naming the ``keys`` parameters when there is none."""
    if conn is _RECORDER:
        raise _Captured(_ONE, sql, params, model_rows(model), query, keys)
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
    if conn is _RECORDER:
        raise _Captured(_VALUE, sql, params, tuple_row, query, keys)
    cur: psycopg.Cursor[Any] = _take(conn)
    with _Translating(query, params):
        try:
            if cur.row_factory is not tuple_row:
                cur.row_factory = tuple_row
            cur.execute(sql, params)
            row = cur.fetchone()
        except BaseException:
            cur.close()
            raise
    _give(conn, cur)
    if row is None:
        raise _missing(query, params, keys)
    return row[0]


def execute(conn: psycopg.Connection[Any], sql: LiteralString, params: Params, query: str) -> int:
    """Run the statement; the number of rows it affected."""
    if conn is _RECORDER:
        raise _Captured(_ROWCOUNT, sql, params, tuple_row, query)
    with _Translating(query, params):
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount


class Stream(_StreamState[M], Iterator[M]):
    """Rows of one query, read from a server-side cursor ``batch_size`` at a time.

    Iterate it (``for row in rows:``); it closes itself at the end. Stop early with
    ``break`` or an exception at any time: the enclosing transaction is untouched. Call
    :meth:`close` (or ``with rows:``, or wrap it in
    :func:`contextlib.closing`) to free the server-side cursor before the transaction ends.
    """

    def __iter__(self) -> Stream[M]:
        return self

    def __next__(self) -> M:
        try:
            return next(self._rows)
        except StopIteration:
            pass
        if self._done:
            raise StopIteration
        batch = self._read()
        if not batch:
            raise StopIteration
        self._rows = iter(batch)
        return next(self._rows)

    def _read(self) -> list[M]:
        conn: psycopg.Connection[Any] = self._conn
        try:
            with _Translating(self._query, self._params):
                with conn.cursor(row_factory=model_rows(self._model)) as cur:
                    if not self._started:
                        self._started = True
                        cur.execute(self._declare_statement(), self._params, prepare=False)
                    cur.execute(self._fetch_statement(), prepare=False)
                    batch: list[M] = cur.fetchall()
                    if len(batch) < self._batch_size:
                        self._done = True
                        cur.execute(self._close_statement(), prepare=False)
        except BaseException:
            self._done = True
            raise
        return batch

    def close(self) -> None:
        """Free the server-side cursor now (safe to call twice, or after the transaction)."""
        if not self._close_needed():
            return
        conn: psycopg.Connection[Any] = self._conn
        with _Translating(self._query, {}):
            with conn.cursor() as cur:
                if not self._hold:
                    cur.execute(_CURSOR_EXISTS, (self._name,), prepare=False)
                    if cur.fetchone() is None:
                        return  # declared in a transaction that has ended since
                cur.execute(self._close_statement(), prepare=False)

    def __enter__(self) -> Stream[M]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def stream(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    params: Params,
    model: type[M],
    query: str,
    batch_size: int = 1000,
) -> Stream[M]:
    """Rows through a server-side cursor, ``batch_size`` at a time: memory stays flat.

    Nothing runs until the first row is asked for. See :class:`Stream`.
    """
    return Stream(conn, sql, params, model, query, batch_size)


def copy_rows(
    conn: psycopg.Connection[Any],
    sql: LiteralString,
    rows: Rows,
    types: Sequence[int],
    query: str,
) -> int:
    """COPY ``rows`` (any iterable, consumed lazily) into the table; return how many were sent.

    One COPY statement: in the caller's transaction it is all or nothing; in autocommit mode it
    is its own transaction. A bad row aborts the whole COPY with a translated error. The async
    twin also takes an async iterable (an async generator reading a file or a queue).
    """
    count = 0
    row: Sequence[Any] = ()
    try:
        with conn.cursor() as cur, cur.copy(sql) as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
                count += 1
    except (psycopg.Error, UnicodeEncodeError, TypeError) as exc:
        error = _copy_failed(exc, conn, row, types, query)
        if error is exc:
            raise
        raise error from exc
    return count


class Batch:
    """Several generated calls sent in one round trip (psycopg's pipeline mode).

    ``b.add(fn, **params)`` queues a generated function (``fn(conn, **params)`` is what it
    stands for) and returns a :class:`Pending`; nothing is sent yet. Leaving the ``with``
    block (or ``b.run()``) sends every statement at once and gives each call its typed
    result: ``pending.result``. The calls run in order, in the connection's transaction (use
    ``transaction()`` around the batch for all or nothing). When a call fails, its error is
    translated as usual and named after that call (``pending.result`` raises it); the calls
    after it do not run; the first error is raised when the batch ends.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._calls: list[_Call] = []

    def add(
        self,
        fn: Callable[..., T],
        /,
        **params: Any,
    ) -> Pending[T]:
        """Queue ``fn(conn, **params)``; its result is the returned Pending's ``result``."""
        call = _Call(fn, params)
        self._calls.append(call)
        return call.pending

    def run(self) -> None:
        """Send the queued calls in one round trip and set their results (see the class)."""
        self._run(self._conn, (), ())

    def _run(
        self,
        conn: psycopg.Connection[Any],
        prologue: Sequence[bytes],
        epilogue: Sequence[bytes],
    ) -> None:
        """Run the queued calls in one pipeline, ``prologue`` before them and ``epilogue`` after
        them (statements of the caller's own, e.g. BEGIN and COMMIT; the epilogue is not sent
        when a call could not even be sent). A statement of the prologue or epilogue that fails
        is raised as is, not attributed to a call."""
        calls, self._calls = self._calls, []
        if not calls:
            return
        # Each call runs its generated function once, against the recorder: the parameters are
        # built and checked as on any call, and the helper it reaches hands back its statement.
        statements: list[_Captured] = []
        for call in calls:
            try:
                call.fn(_RECORDER, **call.params)
            except _Captured as recorded:
                statements.append(recorded)
                continue
            except AttributeError:
                raise _not_batchable(call) from None
            raise _not_batchable(call)
        cursors: list[Any] = []
        failed: int | None = None
        error: BaseException | None = None
        control = conn.cursor() if prologue or epilogue else None
        try:
            with conn.pipeline():
                for statement in prologue:
                    control.execute(statement, prepare=False)  # type: ignore[union-attr]
                for index, captured in enumerate(statements):
                    cur = _take(conn)
                    if cur.row_factory is not captured.row_factory:
                        cur.row_factory = captured.row_factory
                    cursors.append(cur)
                    try:
                        cur.execute(captured.sql, captured.params)
                    except (UnicodeEncodeError, TypeError) as exc:  # not sent: a bad value
                        error, failed = exc, index
                        break
                if failed is None:
                    for statement in epilogue:
                        control.execute(statement, prepare=False)  # type: ignore[union-attr]
        except psycopg.Error as exc:
            # A statement's result is set on its cursor only when it succeeded (execute() resets
            # a reused cursor's), so the first call without one is the one that failed.
            if (
                conn.broken
                or not cursors
                or (control is not None and prologue and control.pgresult is None)
                or all(cur.pgresult is not None for cur in cursors)
            ):
                # The connection, or a statement of the caller's (the prologue, or the epilogue
                # after every call ran): not a call's error.
                for cur in cursors:
                    cur.close()
                raise
            failed = _failed_index(cursors)
            error = exc
        first: Exception | None = None
        for index, call in enumerate(calls):
            captured = statements[index]
            if failed is not None and index >= failed:
                if index == failed and error is not None:
                    failure = _failed(call, captured, error)
                    first = first or failure
                else:
                    call.pending._error = _not_run(call, calls[failed])
                continue
            cur = cursors[index]
            rows = cur.fetchall() if cur.description is not None else []
            missing = _settle(call, captured, rows, cur.rowcount)
            first = first or missing
        for cur in cursors:
            if cur.pgresult is None:  # failed or not sent
                cur.close()
            else:
                _give(conn, cur)
        if first is not None:
            raise first

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if kind is None:
            self.run()


def batch(conn: psycopg.Connection[Any]) -> Batch:
    """Several generated calls in one round trip: ``with batch(conn) as b:`` (see
    :class:`Batch`)."""
    return Batch(conn)
