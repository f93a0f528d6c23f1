"""Connections, pools, transactions and the tenant context.

Nothing here runs at import: pools and connections exist only when you ask for them.

Transactions belong to the caller (every generated function takes the connection first)::

    from registry_sql.db import create_pool, transaction, tenant

    pool = create_pool()                      # from DATABASE_URL / POSTGRES_* / DB_POOL_*
    with transaction(pool) as conn:           # checks a connection out for the block
        tenant(conn, org_id)                  # SET LOCAL app.org_id: this transaction only
        create_project(conn, name="x", ...)
        with transaction(conn):               # nested: a savepoint
            ...

psycopg errors raised inside a ``transaction()`` block (and at commit) are translated to the
:mod:`registry_sql.errors` hierarchy, raised ``from`` the driver error.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, LiteralString, cast

import psycopg
from psycopg import pq, sql
from psycopg.abc import Params, Query, QueryNoTemplate
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from registry_sql.errors import (
    ConfigError,
    InvalidInput,
    TransactionRequired,
    translate_error,
)
from registry_sql.settings import Settings

__all__ = [
    "aconnect",
    "acorrelation",
    "acurrent_tenant",
    "ahealth_check",
    "atenant",
    "atransaction",
    "connect",
    "correlation",
    "create_async_pool",
    "create_pool",
    "current_tenant",
    "health_check",
    "tenant",
    "transaction",
]

#: Logger of the SQL statements run when DB_ECHO is on (statements at INFO, parameters at DEBUG).
sql_logger = logging.getLogger("registry_sql.sql")

POOL_NAME = "registry-sql"
MAX_CORRELATION_ID_LENGTH = 200

AnyConnection = psycopg.Connection[Any]
AnyAsyncConnection = psycopg.AsyncConnection[Any]


# --------------------------------------------------------------------------------------------
# Echo (DB_ECHO): cursors that log what they run


def _log(query: Query, params: Params | None) -> None:
    if isinstance(query, bytes):
        text = query.decode(errors="replace")
    elif isinstance(query, str):
        text = query
    else:
        text = repr(query)
    sql_logger.info("%s", text)
    if params is not None:
        sql_logger.debug("parameters: %r", params)


class EchoCursor(psycopg.Cursor[Any]):
    """A cursor that logs each statement to ``registry_sql.sql`` (used when ``echo`` is on)."""

    def execute(self, query: Query, params: Params | None = None, **kwargs: Any) -> EchoCursor:
        _log(query, params)
        super().execute(cast(QueryNoTemplate, query), params, **kwargs)
        return self


class AsyncEchoCursor(psycopg.AsyncCursor[Any]):
    """The async twin of :class:`EchoCursor`."""

    async def execute(
        self, query: Query, params: Params | None = None, **kwargs: Any
    ) -> AsyncEchoCursor:
        _log(query, params)
        await super().execute(cast(QueryNoTemplate, query), params, **kwargs)
        return self


# --------------------------------------------------------------------------------------------
# Settings and connections


def _settings(source: Settings | str | None) -> Settings:
    if source is None:
        source = Settings.from_env()
    elif isinstance(source, str):
        source = Settings(database_url=source)
    if source.database_url is None:
        raise ConfigError(
            "no database is configured: set DATABASE_URL (e.g. "
            "postgresql://USER:PASSWORD@HOST:5432/DBNAME) or POSTGRES_HOST/POSTGRES_DB/..., "
            "or pass registry_sql.server.embedded_url() to start a local embedded server"
        )
    return source


def _connect_kwargs(settings: Settings, *, is_async: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"prepare_threshold": settings.prepare_threshold}
    if settings.echo:
        kwargs["cursor_factory"] = AsyncEchoCursor if is_async else EchoCursor
    return kwargs


# Behind PgBouncer (Settings.pgbouncer) the timeouts cannot be connection options: they are set
# at the start of every top-level transaction() instead, from this registry of connections.
_TIMEOUTS: LiteralString = (
    "SELECT set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true)"
)
_txn_timeouts: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()


def _timeouts_configure(settings: Settings) -> Any:
    """The pool's ``configure`` callback: remember the timeouts of each new connection."""
    timeouts = settings.transaction_timeouts
    if timeouts is None:
        return None

    def configure(conn: Any) -> None:
        _txn_timeouts[conn] = timeouts

    return configure


def _atimeouts_configure(settings: Settings) -> Any:
    """The async pool's ``configure`` callback (see :func:`_timeouts_configure`)."""
    timeouts = settings.transaction_timeouts
    if timeouts is None:
        return None

    async def configure(conn: Any) -> None:
        _txn_timeouts[conn] = timeouts

    return configure


def _set_timeouts(conn: AnyConnection) -> None:
    timeouts = _txn_timeouts.get(conn)
    if timeouts is not None:
        conn.execute(_TIMEOUTS, timeouts, prepare=False)


async def _aset_timeouts(conn: AnyAsyncConnection) -> None:
    timeouts = _txn_timeouts.get(conn)
    if timeouts is not None:
        await conn.execute(_TIMEOUTS, timeouts, prepare=False)


def connect(url_or_settings: Settings | str | None = None, **kw: Any) -> AnyConnection:
    """Open one connection (the caller closes it; prefer ``with connect() as conn:``).

    ``url_or_settings``: a URL (any form :func:`~registry_sql.settings.normalize_url` accepts),
    a :class:`Settings`, or None to read the environment. Extra keywords go to
    :func:`psycopg.connect` (e.g. ``autocommit=True``).
    """
    settings = _settings(url_or_settings)
    kwargs = _connect_kwargs(settings, is_async=False) | kw
    try:
        conn = psycopg.Connection.connect(settings.conninfo, **kwargs)
    except psycopg.Error as e:
        raise translate_error(e, query=_connecting(settings)) from e
    if settings.transaction_timeouts is not None:
        _txn_timeouts[conn] = settings.transaction_timeouts
    return conn


async def aconnect(url_or_settings: Settings | str | None = None, **kw: Any) -> AnyAsyncConnection:
    """The async twin of :func:`connect`."""
    settings = _settings(url_or_settings)
    kwargs = _connect_kwargs(settings, is_async=True) | kw
    try:
        conn = await psycopg.AsyncConnection.connect(settings.conninfo, **kwargs)
    except psycopg.Error as e:
        raise translate_error(e, query=_connecting(settings)) from e
    if settings.transaction_timeouts is not None:
        _txn_timeouts[conn] = settings.transaction_timeouts
    return conn


def _connecting(settings: Settings) -> str:
    """How a connection failure names its target (the password masked)."""
    return f"connecting to {settings.redacted_url}"


def _reset_session(conn: AnyConnection) -> None:
    """On return to the pool: undo any session-level ``SET`` (registry-sql only uses ``SET
    LOCAL``, but application code might not), so a setting such as ``app.org_id`` can never leak
    to the next user of the connection. Prepared statements are kept (unlike ``DISCARD ALL``).
    One round trip: run outside a transaction, not in one that then needs a COMMIT. Never
    prepared (see the tenant statements below: a prepared name can mean another statement
    behind PgBouncer)."""
    autocommit = conn.autocommit
    conn.autocommit = True
    try:
        conn.execute("RESET ALL", prepare=False)
    finally:
        conn.autocommit = autocommit


async def _areset_session(conn: AnyAsyncConnection) -> None:
    autocommit = conn.autocommit
    await conn.set_autocommit(True)
    try:
        await conn.execute("RESET ALL", prepare=False)
    finally:
        await conn.set_autocommit(autocommit)


class _FailFastPool(ConnectionPool[AnyConnection]):
    """A pool whose ``open()`` first opens one connection itself: a pool that cannot connect at
    all (authentication, unknown database, refused, DNS) raises the translated
    :class:`~registry_sql.errors.ConfigError` / :class:`~registry_sql.errors.Unavailable`
    at once, instead of a :class:`PoolTimeout` at the first checkout after ``timeout`` seconds."""

    _settings: Settings

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        if self.closed:
            connect(self._settings).close()
        super().open(wait=wait, timeout=timeout)


class _AsyncFailFastPool(AsyncConnectionPool[AnyAsyncConnection]):
    """The async twin of :class:`_FailFastPool`."""

    _settings: Settings

    async def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        if self.closed:
            await (await aconnect(self._settings)).close()
        await super().open(wait=wait, timeout=timeout)


def create_pool(
    settings: Settings | str | None = None, *, open: bool = True
) -> ConnectionPool[AnyConnection]:
    """A :class:`psycopg_pool.ConnectionPool` configured from ``settings`` (default: environment).

    Connections are checked with ``ConnectionPool.check_connection`` when handed out (the
    replacement for SQLAlchemy's ``pool_pre_ping``: a connection the server dropped while it sat
    in the pool is replaced instead of failing the next call) and reset with ``RESET ALL`` when
    returned (no session setting survives into the next checkout). With ``open=True`` (default)
    the pool first opens one connection itself, so a pool that cannot connect at all raises the
    translated :class:`~registry_sql.errors.ConfigError` / ``Unavailable`` here (within the
    connect timeout), then it fills in the background; use it as ``with create_pool() as pool:``
    or call ``pool.close()`` at shutdown. ``pool.wait()`` blocks until ``min_size`` connections
    are up.
    """
    s = _settings(settings)
    pool = _FailFastPool(
        s.conninfo,
        kwargs=_connect_kwargs(s, is_async=False),
        min_size=s.min_size,
        max_size=s.max_size,
        timeout=s.timeout,
        max_idle=s.max_idle,
        max_lifetime=s.max_lifetime,
        check=ConnectionPool.check_connection,
        configure=_timeouts_configure(s),
        reset=_reset_session,
        name=POOL_NAME,
        open=False,
    )
    pool._settings = s
    if open:
        pool.open()
    return pool


def create_async_pool(
    settings: Settings | str | None = None,
) -> AsyncConnectionPool[AnyAsyncConnection]:
    """An :class:`psycopg_pool.AsyncConnectionPool`, not yet open.

    Open it with ``async with create_async_pool() as pool:`` or ``await pool.open()``
    (an async pool cannot open in a constructor).
    """
    s = _settings(settings)
    pool = _AsyncFailFastPool(
        s.conninfo,
        kwargs=_connect_kwargs(s, is_async=True),
        min_size=s.min_size,
        max_size=s.max_size,
        timeout=s.timeout,
        max_idle=s.max_idle,
        max_lifetime=s.max_lifetime,
        check=AsyncConnectionPool.check_connection,
        configure=_atimeouts_configure(s),
        reset=_areset_session,
        name=POOL_NAME,
        open=False,
    )
    pool._settings = s
    return pool


def health_check(target: AnyConnection | ConnectionPool[Any]) -> None:
    """Run ``SELECT 1``; raise :class:`~registry_sql.errors.Unavailable` (or PoolTimeout) if it
    fails. Safe on a connection in a transaction (it does not commit or roll back)."""
    try:
        if isinstance(target, ConnectionPool):
            with target.connection() as conn:
                conn.execute("SELECT 1", prepare=False)
        else:
            target.execute("SELECT 1", prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="health_check") from e


async def ahealth_check(target: AnyAsyncConnection | AsyncConnectionPool[Any]) -> None:
    """The async twin of :func:`health_check`."""
    try:
        if isinstance(target, AsyncConnectionPool):
            async with target.connection() as conn:
                await conn.execute("SELECT 1", prepare=False)
        else:
            await target.execute("SELECT 1", prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="ahealth_check") from e


# --------------------------------------------------------------------------------------------
# Transactions


@contextmanager
def transaction(
    conn_or_pool: AnyConnection | ConnectionPool[Any],
    *,
    org_id: uuid.UUID | str | None = None,
    correlation_id: str | None = None,
) -> Iterator[AnyConnection]:
    """A transaction block: commit at the end, roll back on an exception.

    Given a connection, it uses ``conn.transaction()``: a top-level transaction, or a savepoint
    when one is already open (an inner failure rolls back to the savepoint, the outer
    transaction goes on). Given a pool, it checks a connection out for the block.
    ``org_id`` / ``correlation_id`` call :func:`tenant` / :func:`correlation` first.
    psycopg errors are re-raised as :mod:`registry_sql.errors` exceptions.
    """
    try:
        if isinstance(conn_or_pool, ConnectionPool):
            with conn_or_pool.connection() as conn, conn.transaction():
                _set_timeouts(conn)
                _set_context(conn, org_id, correlation_id)
                yield conn
        else:
            outer = conn_or_pool.info.transaction_status == pq.TransactionStatus.IDLE
            with conn_or_pool.transaction():
                if outer:
                    _set_timeouts(conn_or_pool)
                _set_context(conn_or_pool, org_id, correlation_id)
                yield conn_or_pool
    except psycopg.Error as e:
        raise translate_error(e) from e


@asynccontextmanager
async def atransaction(
    conn_or_pool: AnyAsyncConnection | AsyncConnectionPool[Any],
    *,
    org_id: uuid.UUID | str | None = None,
    correlation_id: str | None = None,
) -> AsyncIterator[AnyAsyncConnection]:
    """The async twin of :func:`transaction`."""
    try:
        if isinstance(conn_or_pool, AsyncConnectionPool):
            async with conn_or_pool.connection() as conn, conn.transaction():
                await _aset_timeouts(conn)
                await _aset_context(conn, org_id, correlation_id)
                yield conn
        else:
            outer = conn_or_pool.info.transaction_status == pq.TransactionStatus.IDLE
            async with conn_or_pool.transaction():
                if outer:
                    await _aset_timeouts(conn_or_pool)
                await _aset_context(conn_or_pool, org_id, correlation_id)
                yield conn_or_pool
    except psycopg.Error as e:
        raise translate_error(e) from e


def _set_context(
    conn: AnyConnection, org_id: uuid.UUID | str | None, correlation_id: str | None
) -> None:
    if org_id is not None:
        tenant(conn, org_id)
    if correlation_id is not None:
        correlation(conn, correlation_id)


async def _aset_context(
    conn: AnyAsyncConnection, org_id: uuid.UUID | str | None, correlation_id: str | None
) -> None:
    if org_id is not None:
        await atenant(conn, org_id)
    if correlation_id is not None:
        await acorrelation(conn, correlation_id)


# --------------------------------------------------------------------------------------------
# Tenant and correlation context (transaction-local settings)

# The statements are static; only the value is a literal, quoted by psycopg.
# They are executed with prepare=False, whatever prepare_threshold says: behind a pooler in
# transaction mode (PgBouncer) a prepared name such as "_pg3_0" may exist on the server
# connection as ANOTHER client's statement, and executing it would run that client's
# "SET LOCAL app.org_id = '<other tenant>'" without any error. An unprepared statement carries
# its own text, so it always sets the value it was given (tests/reliability/test_pgbouncer.py).
_SET_ORG: LiteralString = "SET LOCAL app.org_id = {}"
_SET_CORRELATION: LiteralString = "SET LOCAL app.correlation_id = {}"
_GET_ORG: LiteralString = "SELECT NULLIF(current_setting('app.org_id', true), '')"


def _org_uuid(org_id: uuid.UUID | str, helper: str) -> uuid.UUID:
    if isinstance(org_id, uuid.UUID):
        return org_id
    try:
        return uuid.UUID(str(org_id))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(
            f"{helper}: org_id {org_id!r} is not a UUID; pass the organization's id "
            "(e.g. '7c9e6679-7425-40de-944b-e07fc1f90ae7')",
            field="org_id",
        ) from None


def _correlation_value(correlation_id: str, helper: str) -> str:
    if (
        not isinstance(correlation_id, str)
        or not correlation_id
        or len(correlation_id) > MAX_CORRELATION_ID_LENGTH
        or not correlation_id.isprintable()
    ):
        raise InvalidInput(
            f"{helper}: correlation_id {correlation_id!r} is not valid; pass 1 to "
            f"{MAX_CORRELATION_ID_LENGTH} printable characters (e.g. a request id)",
            field="correlation_id",
        )
    return correlation_id


def _require_transaction(status: pq.TransactionStatus, helper: str) -> None:
    if status == pq.TransactionStatus.INTRANS:
        return
    if status == pq.TransactionStatus.INERROR:
        raise TransactionRequired(
            f"{helper}: the current transaction has failed; roll it back (leave the "
            "transaction() block) before setting the context again"
        )
    raise TransactionRequired(
        f"{helper}() must run inside a transaction, because SET LOCAL lasts only until the "
        f"transaction ends: wrap it, e.g. `with transaction(conn): {helper}(conn, ...)`, or pass "
        "org_id= to transaction()"
    )


def tenant(conn: AnyConnection, org_id: uuid.UUID | str) -> uuid.UUID:
    """Set the tenant (``app.org_id``) for the rest of the current transaction.

    Uses ``SET LOCAL`` (transaction-local; the form Citus propagates) with the validated UUID
    quoted as a literal: SET takes no bind parameters. Raises
    :class:`~registry_sql.errors.InvalidInput` for a value that is not a UUID and
    :class:`~registry_sql.errors.TransactionRequired` outside a transaction. Returns the UUID.
    """
    value = _org_uuid(org_id, "tenant")
    _require_transaction(conn.info.transaction_status, "tenant")
    try:
        conn.execute(sql.SQL(_SET_ORG).format(sql.Literal(str(value))), prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="tenant") from e
    return value


async def atenant(conn: AnyAsyncConnection, org_id: uuid.UUID | str) -> uuid.UUID:
    """The async twin of :func:`tenant`."""
    value = _org_uuid(org_id, "atenant")
    _require_transaction(conn.info.transaction_status, "atenant")
    try:
        await conn.execute(sql.SQL(_SET_ORG).format(sql.Literal(str(value))), prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="atenant") from e
    return value


def correlation(conn: AnyConnection, correlation_id: str) -> None:
    """Set ``app.correlation_id`` (read by audit triggers) for the rest of the transaction."""
    value = _correlation_value(correlation_id, "correlation")
    _require_transaction(conn.info.transaction_status, "correlation")
    try:
        conn.execute(sql.SQL(_SET_CORRELATION).format(sql.Literal(value)), prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="correlation") from e


async def acorrelation(conn: AnyAsyncConnection, correlation_id: str) -> None:
    """The async twin of :func:`correlation`."""
    value = _correlation_value(correlation_id, "acorrelation")
    _require_transaction(conn.info.transaction_status, "acorrelation")
    try:
        await conn.execute(sql.SQL(_SET_CORRELATION).format(sql.Literal(value)), prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="acorrelation") from e


def current_tenant(conn: AnyConnection) -> uuid.UUID | None:
    """The tenant set in the current transaction, or None."""
    try:
        row = conn.execute(_GET_ORG).fetchone()
    except psycopg.Error as e:
        raise translate_error(e, query="current_tenant") from e
    value = row[0] if row else None
    return None if value is None else uuid.UUID(str(value))


async def acurrent_tenant(conn: AnyAsyncConnection) -> uuid.UUID | None:
    """The async twin of :func:`current_tenant`."""
    try:
        cur = await conn.execute(_GET_ORG)
        row = await cur.fetchone()
    except psycopg.Error as e:
        raise translate_error(e, query="acurrent_tenant") from e
    value = row[0] if row else None
    return None if value is None else uuid.UUID(str(value))
