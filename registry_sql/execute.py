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
from collections import OrderedDict
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
from psycopg import generators, pq
from psycopg import sql as psql
from psycopg._queries import PostgresQuery  # what psycopg's cursors convert queries with
from psycopg.abc import PQGen
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


class ConnState:
    """What registry-sql keeps for one connection, stored on the connection object itself (one
    attribute, ``_registry_sql_state``), so that it lives and dies with the connection: a
    module-level dictionary keyed by connection would keep every connection alive for good
    (the cursors it holds refer to their connection).

    - ``idle``: idle cursors, reused by the single-row paths. A new cursor per call costs more
      than the rest of a primary-key lookup's Python work (measured in benchmarks/: 126 µs per
      lookup with a fresh cursor against 86 µs with a reused one, raw psycopg 91 µs): a fresh
      cursor sets up its column loaders again. Each call takes its own cursor off the list
      (list.pop is atomic), so threads or tasks sharing a connection never share a cursor; a
      cursor that saw an error is closed, not returned. Many-row paths keep a cursor per call,
      so no large result stays alive.
    - ``transformer`` and ``prepared``: a batch's adapters (kept: setting them up again costs
      ~40 µs a batch) and the statements batches prepared on this connection (see
      :class:`_Pipeline`), and ``stale``: prepared names whose closing did not happen (the
      pipeline was aborted), closed by the next batch. Used only while holding the connection's
      lock.
    """

    __slots__ = ("idle", "prepared", "stale", "transformer")

    def __init__(self) -> None:
        self.idle: list[Any] = []
        self.transformer: Any = None  # a psycopg Transformer
        self.prepared: OrderedDict[tuple[bytes, tuple[int, ...]], bytes] = OrderedDict()
        self.stale: list[bytes] = []  # prepared names to close (their closing was not done)


_STATE = "_registry_sql_state"
_MAX_IDLE = 4


def conn_state(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> ConnState:
    """The connection's :class:`ConnState` (created on first use)."""
    state: ConnState | None = getattr(conn, _STATE, None)
    if state is None:
        state = ConnState()
        setattr(conn, _STATE, state)
    return state


def _take(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> Any:
    idle = conn_state(conn).idle
    if idle:
        try:
            return idle.pop()
        except IndexError:  # another thread took the last one meanwhile
            pass
    return conn.cursor()


def _give(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any], cur: Any) -> None:
    idle = conn_state(conn).idle
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
# Batches: several generated calls in one round trip (libpq's pipeline mode)

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


def _not_run(call: _Call, failed: _Call) -> RegistrySqlError:
    return RegistrySqlError(
        f"batch: {call.pending.query} did not run: {failed.pending.query}, before it in the "
        "same batch, failed"
    )


def _not_sent(call: _Call, failed: _Call) -> RegistrySqlError:
    return RegistrySqlError(
        f"batch: {call.pending.query} did not run: nothing was sent, because a value of "
        f"{failed.pending.query}, in the same batch, could not be sent"
    )


def _begin_command(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bytes:
    """The ``BEGIN`` psycopg would send before a statement on this connection (its isolation
    level, read-only and deferrable settings)."""
    parts = [b"BEGIN"]
    if conn.isolation_level is not None:
        level = psycopg.IsolationLevel(conn.isolation_level)
        parts += [b"ISOLATION LEVEL", level.name.replace("_", " ").encode()]
    if conn.read_only is not None:
        parts.append(b"READ ONLY" if conn.read_only else b"READ WRITE")
    if conn.deferrable is not None:
        parts.append(b"DEFERRABLE" if conn.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _echo(
    conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any],
) -> Callable[[Any, Any], None] | None:
    """How the connection's cursors log their statements (``echo`` on), for the statements sent
    without a cursor (a batch's, :func:`command`'s); None when they do not."""
    echo: Callable[[Any, Any], None] | None = getattr(conn.cursor_factory, "echo_statement", None)
    return echo


class _Unsendable(Exception):
    """A value of the call at ``index`` could not be converted: nothing was sent."""

    def __init__(self, index: int, error: Exception) -> None:
        self.index = index
        self.error = error


class _ResultView:
    """What a row factory is given instead of a cursor: psycopg's row factories (and
    :func:`registry_sql.rows.model_rows`) read the result, and the encoding, from it."""

    __slots__ = ("_conn", "pgresult")

    def __init__(self, pgresult: Any, conn: Any) -> None:
        self.pgresult = pgresult
        self._conn = conn

    @property
    def _encoding(self) -> str:
        encoding: str = self._conn.info.encoding
        return encoding


def _exchange(pgconn: pq.abc.PGconn) -> PQGen[list[list[Any]]]:
    """Flush what was queued, then read every result up to the pipeline's sync point: one list
    of results per queued statement (psycopg's own non-blocking generators do the I/O)."""
    yield from generators.send(pgconn)
    results: list[list[Any]] = []
    while True:
        got = yield from generators.fetch_many(pgconn)
        if got and got[0].status == _PIPELINE_SYNC:
            return results
        if got:
            results.append(got)


_PIPELINE_OFF = pq.PipelineStatus.OFF
_PIPELINE_SYNC = pq.ExecStatus.PIPELINE_SYNC
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_CLOSE_BY_PROTOCOL = psycopg.capabilities.has_send_close_prepared()
_PREPARED_NAMES = itertools.count(1)
_NO_SUCH_STATEMENT = "26000"  # invalid_sql_statement_name: a prepared name the server lacks
# What each queued message is: a statement of the caller's, a call's statement being prepared,
# a call's statement, the closing of an evicted prepared statement.
_SENT_CONTROL, _SENT_PREPARE, _SENT_CALL, _SENT_CLOSE = range(4)


class _Pipeline:
    """A batch's statements on libpq's pipeline mode, driven directly (psycopg's ``pq`` layer
    and its non-blocking generators), all under the connection's lock.

    Every statement's parameters are converted first, so a value that cannot be sent fails
    before anything is queued. Then the caller's statements (``BEGIN``...), the calls and the
    caller's closing statements are queued with one sync point: one round trip. psycopg's own
    ``conn.pipeline()`` costs ~45 µs of client CPU per statement more than this (a cursor per
    statement, a flush and a read attempt after each), which on a server with 2 cores is the
    difference between a batch that pays and one that does not (``benchmarks/notes.md``).

    Statements are prepared on first use under names of ours (``_rs_<n>``) unless the
    connection's ``prepare_threshold`` is None (PgBouncer in transaction mode: then every
    statement is sent unnamed), at most ``prepared_max`` per connection, the least recently
    used closed first (with libpq < 17, which cannot close one by protocol message, statements
    beyond ``prepared_max`` go unnamed instead). A name is remembered only once the server
    confirmed its statement.
    """

    __slots__ = (
        "closing",
        "conn",
        "entered",
        "kinds",
        "new",
        "pgconn",
        "queries",
        "state",
        "statements",
        "tx",
    )

    def __init__(
        self,
        conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any],
        statements: Sequence[_Captured],
    ) -> None:
        self.conn = conn
        self.pgconn = conn.pgconn
        self.state = state = conn_state(conn)
        tx = state.transformer
        if tx is None:
            tx = state.transformer = Transformer(conn)
        self.tx = tx
        self.statements = statements
        self.queries: list[PostgresQuery] = []
        for index, statement in enumerate(statements):
            query = PostgresQuery(tx)
            try:
                query.convert(statement.sql, statement.params)
            except Exception as exc:  # named after its call by the batch
                raise _Unsendable(index, exc) from exc
            self.queries.append(query)
        self.kinds: list[tuple[int, int]] = []
        self.new: list[tuple[tuple[bytes, tuple[int, ...]], bytes, int]] = []
        self.closing: list[tuple[bytes, int]] = []
        self.entered = False

    def check(self) -> None:
        """Raise when the connection cannot take a batch now (before anything is queued)."""
        if self.conn.closed:
            raise psycopg.OperationalError("the connection is closed")
        if self.pgconn.pipeline_status != _PIPELINE_OFF:
            raise InvalidInput(
                "batch: the connection is already in pipeline mode (inside conn.pipeline()); "
                "run the batch outside it"
            )

    def send(self, prologue: Sequence[bytes], epilogue: Sequence[bytes]) -> None:
        """Queue everything (nothing is written before :func:`_exchange` flushes it); call
        :meth:`leave` afterwards in any case."""
        conn, pgconn, kinds = self.conn, self.pgconn, self.kinds
        if not prologue and not conn.autocommit:
            if pgconn.transaction_status == _IDLE_STATUS:
                prologue = (_begin_command(conn),)  # what psycopg would have sent first
        prepared = self.state.prepared if conn.prepare_threshold is not None else None
        limit = None if conn.prepared_max is None else max(1, conn.prepared_max)
        echo = _echo(conn)
        if echo is not None:
            for statement in prologue:
                echo(statement, None)
            for captured in self.statements:
                echo(captured.sql, captured.params)
            for statement in epilogue:
                echo(statement, None)
        pgconn.enter_pipeline_mode()
        self.entered = True
        for statement in prologue:
            pgconn.send_query_params(statement, None)
            kinds.append((_SENT_CONTROL, -1))
        if prepared is not None:
            self._close_stale()
        for index, query in enumerate(self.queries):
            key = (query.query, query.types)
            name = None if prepared is None else prepared.get(key)
            if name is None and (
                prepared is None
                or (limit is not None and len(prepared) >= limit and not _CLOSE_BY_PROTOCOL)
            ):
                # Unnamed: nothing prepared on this connection, or full and no way to close a
                # statement that cannot fail (a DEALLOCATE of a name the server no longer has
                # would abort the pipeline; libpq < 17 has no protocol-level Close).
                pgconn.send_query_params(query.query, query.params, query.types, query.formats)
                kinds.append((_SENT_CALL, index))
                continue
            assert prepared is not None
            if name is None:
                name = b"_rs_%d" % next(_PREPARED_NAMES)
                prepared[key] = name  # for a later call of this batch; kept if the server agrees
                self.new.append((key, name, len(kinds)))
                pgconn.send_prepare(name, query.query, query.types)
                kinds.append((_SENT_PREPARE, index))
            else:
                prepared.move_to_end(key)
            pgconn.send_query_prepared(name, query.params, query.formats)
            kinds.append((_SENT_CALL, index))
            if limit is not None and len(prepared) > limit:
                self._close(prepared.popitem(last=False)[1])
        for statement in epilogue:
            pgconn.send_query_params(statement, None)
            kinds.append((_SENT_CONTROL, -1))
        pgconn.pipeline_sync()

    def _close(self, name: bytes) -> None:
        # Protocol-level Close: closing a name the server does not have is not an error.
        self.pgconn.send_close_prepared(name)
        self.closing.append((name, len(self.kinds)))
        self.kinds.append((_SENT_CLOSE, -1))

    def _close_stale(self) -> None:
        stale, self.state.stale = self.state.stale, []
        for name in stale:
            self._close(name)

    def leave(self) -> None:
        """Leave pipeline mode; a connection that cannot (results left unread after an
        interruption) is closed: it is in no state to be used again."""
        if not self.entered or self.pgconn.pipeline_status == _PIPELINE_OFF:
            return
        try:
            self.pgconn.exit_pipeline_mode()
        except psycopg.Error:
            self.pgconn.finish()

    def read(self, results: list[list[Any]]) -> tuple[list[Any], int | None, psycopg.Error | None]:
        """Each call's result (None when it did not run), the index of the call that failed and
        its error. A statement of the caller's that failed (a ``SET LOCAL`` of the prologue, the
        ``COMMIT``) is raised: it is no call's error."""
        kinds, state = self.kinds, self.state
        if len(results) != len(kinds):
            raise psycopg.OperationalError(
                f"batch: {len(results)} results came back for {len(kinds)} statements"
            )
        statuses = [got[-1].status for got in results]
        for key, name, position in self.new:
            if statuses[position] != _COMMAND_OK and state.prepared.get(key) == name:
                del state.prepared[key]  # never created: prepared again next time
        for name, position in self.closing:
            if statuses[position] != _COMMAND_OK:
                state.stale.append(name)  # not closed (the pipeline was aborted): next time
        calls: list[Any] = [None] * len(self.queries)
        failed: int | None = None
        error: psycopg.Error | None = None
        for (kind, index), got, status in zip(kinds, results, statuses, strict=True):
            if status == _FATAL_ERROR:
                exc = psycopg.errors.error_from_result(got[-1], encoding=self.conn.info.encoding)
                if kind == _SENT_CONTROL or kind == _SENT_CLOSE:
                    raise exc  # the first error: everything after it was skipped
                if exc.sqlstate == _NO_SUCH_STATEMENT:
                    # Our names were dropped behind our back (DEALLOCATE ALL, DISCARD ALL): forget
                    # them all; the next batch prepares again.
                    state.prepared.clear()
                failed, error = index, exc
                break
            if kind == _SENT_CALL:
                calls[index] = got[-1]
        return calls, failed, error

    def rows(self, result: Any, row_factory: Any) -> list[Any]:
        """The rows of a call's result, built by the row factory the call asked for."""
        tx = self.tx
        tx.set_pgresult(result)
        make = row_factory(_ResultView(result, self.conn))
        rows: list[Any] = tx.load_rows(0, result.ntuples, make)
        return rows


# === ASYNC SOURCE: the sync twins below are generated from this section ===
async def acommand(conn: psycopg.AsyncConnection[Any], message: bytes) -> None:
    """Send statements of the runtime's own (``BEGIN ...; SET LOCAL ...``, ``COMMIT; RESET ALL``)
    as one simple-query message, never prepared, and wait for them; the first error is raised.

    What ``cursor.execute`` does for such a message, without a cursor: ~13 µs of client CPU less
    per message, twice per pooled transaction. Logged when the connection echoes."""
    echo = _echo(conn)
    if echo is not None:
        echo(message, None)
    pgconn = conn.pgconn
    async with conn.lock:
        if conn.closed:
            raise psycopg.OperationalError("the connection is closed")
        if pgconn.pipeline_status != _PIPELINE_OFF:
            raise psycopg.ProgrammingError("not available in pipeline mode")
        pgconn.send_query(message)
        results = await conn.wait(generators.execute(pgconn))
    for result in results:
        if result.status == _FATAL_ERROR:
            raise psycopg.errors.error_from_result(result, encoding=conn.info.encoding)


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
    """Several generated calls sent in one round trip (libpq's pipeline mode, see _Pipeline).

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
        them (statements of the caller's own, e.g. BEGIN and COMMIT; nothing at all is sent
        when a value of a call cannot be). A statement of the prologue or epilogue that fails
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
        async with conn.lock:
            try:
                pipeline = _Pipeline(conn, statements)
            except _Unsendable as bad:  # nothing was sent
                failed = calls[bad.index]
                for call in calls:
                    if call is not failed:
                        call.pending._error = _not_sent(call, failed)
                raise _failed(failed, statements[bad.index], bad.error) from None
            pipeline.check()
            try:
                pipeline.send(prologue, epilogue)
                results = await conn.wait(_exchange(pipeline.pgconn))
            finally:
                pipeline.leave()
            outcomes, failed_at, error = pipeline.read(results)
            first: Exception | None = None
            for index, call in enumerate(calls):
                captured = statements[index]
                if failed_at is not None and index >= failed_at:
                    if index == failed_at and error is not None:
                        failure = _failed(call, captured, error)
                        first = first or failure
                    else:
                        call.pending._error = _not_run(call, calls[failed_at])
                    continue
                result = outcomes[index]
                if captured.kind == _ROWCOUNT:
                    rows: list[Any] = []
                    count = result.command_tuples
                    rowcount = -1 if count is None else count
                else:
                    rows, rowcount = pipeline.rows(result, captured.row_factory), -1
                missing = _settle(call, captured, rows, rowcount)
                first = first or missing
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


def command(conn: psycopg.Connection[Any], message: bytes) -> None:
    """Send statements of the runtime's own (``BEGIN ...; SET LOCAL ...``, ``COMMIT; RESET ALL``)
    as one simple-query message, never prepared, and wait for them; the first error is raised.

    What ``cursor.execute`` does for such a message, without a cursor: ~13 µs of client CPU less
    per message, twice per pooled transaction. Logged when the connection echoes."""
    echo = _echo(conn)
    if echo is not None:
        echo(message, None)
    pgconn = conn.pgconn
    with conn.lock:
        if conn.closed:
            raise psycopg.OperationalError("the connection is closed")
        if pgconn.pipeline_status != _PIPELINE_OFF:
            raise psycopg.ProgrammingError("not available in pipeline mode")
        pgconn.send_query(message)
        results = conn.wait(generators.execute(pgconn))
    for result in results:
        if result.status == _FATAL_ERROR:
            raise psycopg.errors.error_from_result(result, encoding=conn.info.encoding)


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
    """Several generated calls sent in one round trip (libpq's pipeline mode, see _Pipeline).

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
        them (statements of the caller's own, e.g. BEGIN and COMMIT; nothing at all is sent
        when a value of a call cannot be). A statement of the prologue or epilogue that fails
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
        with conn.lock:
            try:
                pipeline = _Pipeline(conn, statements)
            except _Unsendable as bad:  # nothing was sent
                failed = calls[bad.index]
                for call in calls:
                    if call is not failed:
                        call.pending._error = _not_sent(call, failed)
                raise _failed(failed, statements[bad.index], bad.error) from None
            pipeline.check()
            try:
                pipeline.send(prologue, epilogue)
                results = conn.wait(_exchange(pipeline.pgconn))
            finally:
                pipeline.leave()
            outcomes, failed_at, error = pipeline.read(results)
            first: Exception | None = None
            for index, call in enumerate(calls):
                captured = statements[index]
                if failed_at is not None and index >= failed_at:
                    if index == failed_at and error is not None:
                        failure = _failed(call, captured, error)
                        first = first or failure
                    else:
                        call.pending._error = _not_run(call, calls[failed_at])
                    continue
                result = outcomes[index]
                if captured.kind == _ROWCOUNT:
                    rows: list[Any] = []
                    count = result.command_tuples
                    rowcount = -1 if count is None else count
                else:
                    rows, rowcount = pipeline.rows(result, captured.row_factory), -1
                missing = _settle(call, captured, rows, rowcount)
                first = first or missing
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
