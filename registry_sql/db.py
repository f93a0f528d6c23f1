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

One source for sync and async: the shared helpers come first, then the async functions (the
source, edited by hand), then their sync twins, generated from the async source by
``python -m registry_sql.codegen.async_to_sync`` (``make generate``; ``registry-sql check`` fails
when they are stale). Edit the async code only.
"""

from __future__ import annotations

import ipaddress
import logging
import select
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, LiteralString, cast

import psycopg
from psycopg import pq, sql
from psycopg.abc import Params, Query, QueryNoTemplate
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from registry_sql import execute as _execute
from registry_sql.errors import (
    ConfigError,
    InvalidInput,
    TransactionRequired,
    translate_error,
)
from registry_sql.execute import AsyncBatch, Batch, Pending
from registry_sql.settings import Settings

__all__ = [
    "AsyncBatch",
    "Batch",
    "Pending",
    "aaudit_context",
    "abatch",
    "acheck_service_role",
    "aconnect",
    "acorrelation",
    "acurrent_tenant",
    "ahealth_check",
    "atenant",
    "atransaction",
    "audit_context",
    "batch",
    "check_service_role",
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
MAX_SESSION_ID_LENGTH = 200
MAX_USER_AGENT_LENGTH = 1000
MAX_CHANGE_REASON_LENGTH = 2000

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


def _connect_kwargs(settings: Settings, echo_cursor: type[Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"prepare_threshold": settings.prepare_threshold}
    if settings.echo:
        kwargs["cursor_factory"] = echo_cursor
    return kwargs


# Behind PgBouncer (Settings.pgbouncer) the timeouts cannot be connection options: they are set
# at the start of every top-level transaction() instead, from this registry of connections.
_TIMEOUTS: LiteralString = (
    "SELECT set_config('statement_timeout', {}, true), set_config('lock_timeout', {}, true)"
)
_txn_timeouts: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()

# --------------------------------------------------------------------------------------------
# The pooled path: few round trips, the same guarantees
#
# - A connection handed out by the pool is pinged only when it sat idle in the pool longer than
#   CHECK_IDLE_SECONDS (HikariCP's rule); transaction(pool) also runs again on another connection
#   when its first message fails because the connection is dead, after the pool checks its idle
#   connections. So a connection the server dropped never fails a call that could run.
# - transaction(pool) sends BEGIN, SET TRANSACTION, the PgBouncer timeouts and every SET LOCAL
#   (tenant, correlation, audit, lock_timeout) in ONE simple-query message, never prepared, and
#   ends with one "COMMIT; RESET ALL" (or "ROLLBACK; RESET ALL") message: the session is reset
#   in the same round trip, so the pool's return needs none. A connection returned any other
#   way (pool.connection() used directly, a failed COMMIT) gets RESET ALL on return as before.

#: A pooled connection that came back to the pool less than this many seconds ago is handed out
#: without a ping (see above).
CHECK_IDLE_SECONDS = 1.0

_returned_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
_reset_done: weakref.WeakSet[Any] = weakref.WeakSet()

_BEGIN: LiteralString = "BEGIN"
_BEGIN_MESSAGE = b"BEGIN"
_COMMIT_AND_RESET = b"COMMIT; RESET ALL"
_ROLLBACK_AND_RESET = b"ROLLBACK; RESET ALL"

# The pooled path's own statements (BEGIN ..., COMMIT/ROLLBACK; RESET ALL) are sent as bytes
# without a cursor (execute.command): a cursor and a Composed per message cost more client CPU
# than the rest of a pooled lookup's Python work (benchmarks/notes.md).


def _start_message(conn: Any, options: _Options, *, begin: bool, nested: bool) -> bytes | None:
    """The statements that open a transaction() block, as one message (None: nothing to send).

    Static statements; the values are validated, then quoted as literals by psycopg (SET takes
    no bind parameters). Sent with prepare=False (see the tenant statements below)."""
    if begin and _begins_only(conn, options):
        return _BEGIN_MESSAGE
    parts = _start_parts(conn, options, begin=begin, nested=nested)
    return sql.SQL("; ").join(parts).as_bytes(conn) if parts else None


def _begins_only(conn: Any, options: _Options) -> bool:
    """True when a pooled transaction opens with a bare ``BEGIN`` (no option, no context, no
    PgBouncer-mode timeouts): the fast path, nothing to build."""
    return not (options.sets_context or options.starts_only or conn in _txn_timeouts)


def _batch_start(conn: Any, options: _Options) -> Sequence[bytes]:
    """The statements that open a pooled batch's transaction, one by one, as bytes."""
    if _begins_only(conn, options):
        return _BEGIN_ONLY
    return [part.as_bytes(conn) for part in _start_parts(conn, options, begin=True, nested=False)]


_BEGIN_ONLY = (_BEGIN_MESSAGE,)


def _start_parts(
    conn: Any, options: _Options, *, begin: bool, nested: bool
) -> list[sql.Composable]:
    """The statements of :func:`_start_message`, one by one (a pipeline sends them apart)."""
    parts: list[sql.Composable] = [sql.SQL(_BEGIN)] if begin else []
    if not nested:
        parts.extend(sql.SQL(statement) for statement in _start_statements(options))
        timeouts = _txn_timeouts.get(conn)
        if timeouts is not None:
            parts.append(sql.SQL(_TIMEOUTS).format(*(sql.Literal(t) for t in timeouts)))
    if options.lock_timeout is not None:
        parts.append(sql.SQL(_SET_LOCK_TIMEOUT).format(sql.Literal(options.lock_timeout)))
    if options.org_id is not None:
        parts.append(sql.SQL(_SET_ORG).format(sql.Literal(str(options.org_id))))
    if options.correlation_id is not None:
        parts.append(sql.SQL(_SET_CORRELATION).format(sql.Literal(options.correlation_id)))
    parts.extend(_audit_statements(options.audit))
    return parts


def _gone(conn: Any) -> bool:
    """True when the server end of an idle pooled connection is gone, found without a round trip.

    A backend that was terminated, or a server that shut down or crashed, leaves an error and/or
    the end of the stream on the socket of a connection that sent nothing: something to read.
    (A LISTENing connection may have notifications to read; those are consumed, not fatal.)"""
    pgconn = conn.pgconn
    for _ in range(3):  # the error message, then the end of the stream (read separately)
        try:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.OperationalError):
            return True
        if not readable:
            break
        try:
            pgconn.consume_input()
        except psycopg.OperationalError:
            return True
    return bool(conn.broken) or pgconn.status != pq.ConnStatus.OK


#: What ends a pooled batch, in the same pipeline as its calls (see transaction(pool)'s end).
_BATCH_END = (b"COMMIT", b"RESET ALL")


def _idle_too_long(conn: Any) -> bool:
    returned = _returned_at.get(conn)
    return returned is None or time.monotonic() - returned > CHECK_IDLE_SECONDS


def _connecting(settings: Settings) -> str:
    """How a connection failure names its target (the password masked)."""
    return f"connecting to {settings.redacted_url}"


# --------------------------------------------------------------------------------------------
# The service's role: never a superuser or the schema owner

_ROLE_CHECK: LiteralString = """
SELECT current_user::text, r.rolsuper, r.rolbypassrls,
       EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                WHERE o.rolname = 'registry_owner'
                  AND pg_catalog.pg_has_role(current_user, o.oid, 'MEMBER'))
FROM pg_catalog.pg_roles r
WHERE r.rolname = current_user
"""


def _role_problem(row: tuple[Any, ...] | None) -> str | None:
    if row is None:
        return None
    user, superuser, bypassrls, owner = row
    if superuser:
        why = "is a superuser"
    elif bypassrls:
        why = "has BYPASSRLS"
    elif owner:
        why = "is (a member of) registry_owner, which owns the tables"
    else:
        return None
    return (
        f"the service's pool refuses role {user!r}: it {why}, so row-level security would not "
        "apply to it (every tenant's rows visible) and it could change the schema and the audit "
        "log. Connect the service as a login role that is a member of registry_app only: "
        "`registry-sql roles create-login NAME` creates one (see docs/runtime.md, 'The "
        "service's role'). Tools that need the owner (migrations, admin scripts) use "
        "connect(), or create_pool(..., allow_privileged_role=True)"
    )


# --------------------------------------------------------------------------------------------
# Transactions


#: Isolation levels ``transaction(isolation=...)`` accepts, and the statement each one runs.
_ISOLATION: dict[str, LiteralString] = {
    "read committed": "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "repeatable read": "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "serializable": "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
}
_READ_ONLY: LiteralString = "SET TRANSACTION READ ONLY"
_READ_WRITE: LiteralString = "SET TRANSACTION READ WRITE"
_SET_LOCK_TIMEOUT: LiteralString = "SET LOCAL lock_timeout = {}"
_GET_CONTEXT: LiteralString = (
    "SELECT current_setting('app.org_id', true), current_setting('app.correlation_id', true),"
    " current_setting('app.user_id', true), current_setting('app.session_id', true),"
    " current_setting('app.client_ip', true), current_setting('app.user_agent', true),"
    " current_setting('app.change_reason', true), current_setting('lock_timeout')"
)

Isolation = Literal["read committed", "repeatable read", "serializable"] | psycopg.IsolationLevel


@dataclass(frozen=True)
class _Options:
    """What a ``transaction()`` block sets, validated before anything is sent."""

    org_id: uuid.UUID | None
    correlation_id: str | None
    audit: _Audit
    isolation: LiteralString | None
    read_only: bool | None
    lock_timeout: str | None

    @property
    def starts_only(self) -> bool:
        """Options that only the outermost transaction can take."""
        return self.isolation is not None or self.read_only is not None

    @property
    def sets_context(self) -> bool:
        return (
            self.org_id is not None
            or self.correlation_id is not None
            or bool(self.audit)
            or self.lock_timeout is not None
        )


def _options(
    helper: str,
    org_id: uuid.UUID | str | None,
    correlation_id: str | None,
    isolation: Isolation | None,
    read_only: bool | None,
    lock_timeout: float | timedelta | None,
    audit: _Audit,
) -> _Options:
    level: LiteralString | None = None
    if isolation is not None:
        key = (
            isolation.name.replace("_", " ").lower()
            if isinstance(isolation, psycopg.IsolationLevel)
            else str(isolation).strip().lower()
        )
        if key not in _ISOLATION:
            raise InvalidInput(
                f"{helper}: isolation {isolation!r} is not an isolation level; use one of: "
                f"{', '.join(_ISOLATION)}",
                field="isolation",
            )
        level = _ISOLATION[key]
    if read_only is not None and not isinstance(read_only, bool):
        raise InvalidInput(f"{helper}: read_only must be True or False", field="read_only")
    timeout: str | None = None
    if lock_timeout is not None:
        seconds = (
            lock_timeout.total_seconds() if isinstance(lock_timeout, timedelta) else lock_timeout
        )
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 < seconds < 86400 * 24
        ):
            raise InvalidInput(
                f"{helper}: lock_timeout {lock_timeout!r} is not valid; pass seconds (e.g. 0.5) "
                "or a timedelta, more than 0",
                field="lock_timeout",
            )
        timeout = f"{max(1, round(seconds * 1000))}ms"
    return _Options(
        org_id=None if org_id is None else _org_uuid(org_id, helper),
        correlation_id=(
            None if correlation_id is None else _correlation_value(correlation_id, helper)
        ),
        audit=audit,
        isolation=level,
        read_only=read_only,
        lock_timeout=timeout,
    )


_NO_OPTIONS = _Options(
    org_id=None, correlation_id=None, audit=(), isolation=None, read_only=None, lock_timeout=None
)


def _refuse_nested(options: _Options, helper: str) -> None:
    if options.starts_only:
        raise InvalidInput(
            f"{helper}: isolation and read_only apply to a whole transaction, and this block is "
            "nested in one (a savepoint); pass them to the outermost transaction()",
            field="isolation" if options.isolation is not None else "read_only",
        )


def _start_statements(options: _Options) -> list[LiteralString]:
    statements: list[LiteralString] = []
    if options.isolation is not None:
        statements.append(options.isolation)
    if options.read_only is not None:
        statements.append(_READ_ONLY if options.read_only else _READ_WRITE)
    return statements


# The values of _GET_CONTEXT, in its order: app.org_id, app.correlation_id, the five audit
# settings of _AUDIT_SETTINGS, lock_timeout.
_Saved = tuple[str | None, ...]


def _restore_statements(saved: _Saved) -> list[sql.Composed]:
    org, corr, *audit, timeout = saved
    return [
        sql.SQL(_SET_ORG).format(sql.Literal(org or "")),
        sql.SQL(_SET_CORRELATION).format(sql.Literal(corr or "")),
        *(
            sql.SQL(statement).format(sql.Literal(value or ""))
            for statement, value in zip(_AUDIT_SETTINGS.values(), audit, strict=True)
        ),
        sql.SQL(_SET_LOCK_TIMEOUT).format(sql.Literal(timeout)),
    ]


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


# Who acts, from where and why: transaction-local settings that audit triggers read (a schema's
# trigger decides which it requires). Same rules as the tenant: SET LOCAL, a validated value
# quoted as a literal, never prepared.
_AUDIT_SETTINGS: dict[str, LiteralString] = {
    "user_id": "SET LOCAL app.user_id = {}",
    "session_id": "SET LOCAL app.session_id = {}",
    "client_ip": "SET LOCAL app.client_ip = {}",
    "user_agent": "SET LOCAL app.user_agent = {}",
    "change_reason": "SET LOCAL app.change_reason = {}",
}

# (setting name, value) in _AUDIT_SETTINGS order, only the ones given.
_Audit = tuple[tuple[str, str], ...]


def _text_value(helper: str, field: str, value: object, limit: int, example: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        raise InvalidInput(
            f"{helper}: {field} {value!r} is not valid; pass 1 to {limit} characters "
            f"(not only spaces, no NUL), e.g. {example}",
            field=field,
        )
    return value


def _audit_values(
    helper: str,
    *,
    user_id: uuid.UUID | str | None,
    session_id: str | None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None,
    user_agent: str | None,
    change_reason: str | None,
) -> _Audit:
    values: list[tuple[str, str]] = []
    if user_id is not None:
        try:
            user = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
        except (ValueError, TypeError, AttributeError):
            raise InvalidInput(
                f"{helper}: user_id {user_id!r} is not a UUID; pass the id of the user who acts",
                field="user_id",
            ) from None
        values.append(("user_id", str(user)))
    if session_id is not None:
        session = _text_value(helper, "session_id", session_id, MAX_SESSION_ID_LENGTH, "'s-42'")
        if not session.isprintable():
            raise InvalidInput(
                f"{helper}: session_id {session_id!r} has unprintable characters",
                field="session_id",
            )
        values.append(("session_id", session))
    if client_ip is not None:
        try:
            address = ipaddress.ip_address(
                client_ip if not isinstance(client_ip, str) else client_ip.strip()
            )
        except (ValueError, TypeError):
            raise InvalidInput(
                f"{helper}: client_ip {client_ip!r} is not an IP address; pass the client's "
                "IPv4 or IPv6 address (e.g. '203.0.113.7')",
                field="client_ip",
            ) from None
        values.append(("client_ip", str(address)))
    if user_agent is not None:
        values.append(
            (
                "user_agent",
                _text_value(helper, "user_agent", user_agent, MAX_USER_AGENT_LENGTH, "'curl/8.5'"),
            )
        )
    if change_reason is not None:
        values.append(
            (
                "change_reason",
                _text_value(
                    helper,
                    "change_reason",
                    change_reason,
                    MAX_CHANGE_REASON_LENGTH,
                    "'re-measured, gauge recalibrated'",
                ),
            )
        )
    return tuple(values)


def _audit_statements(audit: _Audit) -> list[sql.Composed]:
    return [sql.SQL(_AUDIT_SETTINGS[name]).format(sql.Literal(value)) for name, value in audit]


def _block_options(
    helper: str,
    *,
    org_id: uuid.UUID | str | None,
    correlation_id: str | None,
    isolation: Isolation | None,
    read_only: bool | None,
    lock_timeout: float | timedelta | None,
    user_id: uuid.UUID | str | None,
    session_id: str | None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None,
    user_agent: str | None,
    change_reason: str | None,
) -> _Options:
    """The validated options of a transaction() block or a pooled batch()."""
    if (
        org_id is None
        and correlation_id is None
        and isolation is None
        and read_only is None
        and lock_timeout is None
        and user_id is None
        and session_id is None
        and client_ip is None
        and user_agent is None
        and change_reason is None
    ):
        return _NO_OPTIONS  # the common case, on every request: nothing to validate
    audit = _audit_values(
        helper,
        user_id=user_id,
        session_id=session_id,
        client_ip=client_ip,
        user_agent=user_agent,
        change_reason=change_reason,
    )
    return _options(helper, org_id, correlation_id, isolation, read_only, lock_timeout, audit)


# --------------------------------------------------------------------------------------------
# Connections, pools, transactions and the context: the async code, then its sync twins


# === ASYNC SOURCE: the sync twins below are generated from this section ===
class AsyncEchoCursor(psycopg.AsyncCursor[Any]):
    """A cursor that logs each statement to ``registry_sql.sql`` (used when ``echo`` is on)."""

    #: What a batch, which sends its statements without a cursor, logs them with.
    echo_statement = staticmethod(_log)

    async def execute(
        self, query: Query, params: Params | None = None, **kwargs: Any
    ) -> AsyncEchoCursor:
        _log(query, params)
        await super().execute(cast(QueryNoTemplate, query), params, **kwargs)
        return self


def _apool_configure(settings: Settings, *, check_role: bool) -> Any:
    """The pool's ``configure`` callback for each new connection: remember its transaction
    timeouts (PgBouncer mode) and, unless the caller opted out, check the service role."""
    timeouts = settings.transaction_timeouts
    if timeouts is None and not check_role:
        return None

    async def configure(conn: Any) -> None:
        if timeouts is not None:
            _txn_timeouts[conn] = timeouts
        if check_role:
            await _achecked_configure(conn)

    return configure


async def aconnect(url_or_settings: Settings | str | None = None, **kw: Any) -> AnyAsyncConnection:
    """Open one connection (the caller closes it; prefer ``async with await aconnect() as conn:``).

    ``url_or_settings``: a URL (any form :func:`~registry_sql.settings.normalize_url` accepts),
    a :class:`Settings`, or None to read the environment. Extra keywords go to
    ``psycopg.AsyncConnection.connect`` (e.g. ``autocommit=True``).
    """
    settings = _settings(url_or_settings)
    kwargs = _connect_kwargs(settings, AsyncEchoCursor) | kw
    try:
        conn = await psycopg.AsyncConnection.connect(settings.conninfo, **kwargs)
    except psycopg.Error as e:
        raise translate_error(e, query=_connecting(settings)) from e
    if settings.transaction_timeouts is not None:
        _txn_timeouts[conn] = settings.transaction_timeouts
    return conn


async def _areset_session(conn: AnyAsyncConnection) -> None:
    """On return to the pool (from :func:`_areturn`): undo any session-level ``SET``
    (registry-sql only uses ``SET LOCAL``, but application code might not), so a setting such as
    ``app.org_id`` can never leak to the next user of the connection. Prepared statements are
    kept (unlike ``DISCARD ALL``).
    Nothing to send when transaction(pool) already ran ``RESET ALL`` with its ``COMMIT``;
    otherwise one round trip, outside a transaction. Never prepared (see the tenant statements:
    a prepared name can mean another statement behind PgBouncer). Pooled connections leave in
    the pool's mode (not autocommit)."""
    if conn in _reset_done:
        _reset_done.discard(conn)
        if conn.autocommit:
            await conn.set_autocommit(False)
        return
    await conn.set_autocommit(True)
    try:
        await conn.execute("RESET ALL", prepare=False)
    finally:
        await conn.set_autocommit(False)


async def _areturn(conn: AnyAsyncConnection) -> None:
    """A connection coming back to the pool: roll back what is still open, reset the session;
    a connection that cannot be reset is closed (the pool then replaces it)."""
    _returned_at[conn] = time.monotonic()
    if conn.closed or conn.broken:
        return
    try:
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            _reset_done.discard(conn)
            await conn.rollback()
        await _areset_session(conn)
    except psycopg.Error:
        await conn.close()


async def _acheck_idle(conn: AnyAsyncConnection) -> None:
    """The pool's ``check`` callback: ping a connection that sat idle too long (see above)."""
    if _idle_too_long(conn):
        await AsyncConnectionPool.check_connection(conn)


async def acheck_service_role(conn: AnyAsyncConnection) -> None:
    """Raise :class:`~registry_sql.errors.ConfigError` when ``conn``'s role would bypass
    row-level security (a superuser, BYPASSRLS, or the schema owner ``registry_owner``)."""
    try:
        cur = await conn.execute(_ROLE_CHECK, prepare=False)
        row = await cur.fetchone()
    except psycopg.Error as e:
        raise translate_error(e, query="acheck_service_role") from e
    problem = _role_problem(row)
    if problem is not None:
        raise ConfigError(problem)


async def _achecked_configure(conn: AnyAsyncConnection) -> None:
    # Every new connection (the pool logs the error and retries; the start-up check in open()
    # is what the service sees).
    await acheck_service_role(conn)
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        await conn.rollback()


class _AsyncFailFastPool(AsyncConnectionPool[AnyAsyncConnection]):
    """A pool whose ``open()`` first opens one connection itself: a pool that cannot connect at
    all (authentication, unknown database, refused, DNS) raises the translated
    :class:`~registry_sql.errors.ConfigError` / :class:`~registry_sql.errors.Unavailable`
    at once, instead of a :class:`PoolTimeout` at the first checkout after ``timeout`` seconds.
    Unless ``allow_privileged_role``, that connection also checks the role
    (:func:`acheck_service_role`): a superuser or owner is refused at start-up.

    A returned connection is reset in the caller (:func:`_areturn`), not through the pool's
    ``reset`` callback, which psycopg_pool runs in a worker: a thread hop on every return."""

    _settings: Settings
    _check_role: bool

    async def putconn(self, conn: AnyAsyncConnection) -> None:
        await _areturn(conn)
        await super().putconn(conn)

    async def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        if self.closed:
            async with await aconnect(self._settings) as conn:
                if self._check_role:
                    await acheck_service_role(conn)
        await super().open(wait=wait, timeout=timeout)


def create_async_pool(
    settings: Settings | str | None = None,
    *,
    # sync-only: open: bool = True,
    allow_privileged_role: bool = False,
) -> AsyncConnectionPool[AnyAsyncConnection]:
    """A :class:`psycopg_pool.AsyncConnectionPool` configured from ``settings`` (default:
    the environment).

    A connection that sat idle in the pool longer than ``CHECK_IDLE_SECONDS`` is pinged when
    handed out (the replacement for SQLAlchemy's ``pool_pre_ping``: one the server dropped is
    replaced instead of failing the next call; :func:`atransaction` also runs again on a fresh
    connection when its first message finds the connection dead), and the session is reset
    with ``RESET ALL`` before the next checkout (no session setting survives; in
    :func:`atransaction` it travels with the ``COMMIT``). Opening the pool first opens
    one connection itself, so a pool that cannot connect at all raises the translated
    :class:`~registry_sql.errors.ConfigError` / ``Unavailable`` then (within the connect
    timeout); then it fills in the background. ``async with create_async_pool() as pool:`` opens
    it and closes it at the end. The sync ``create_pool()`` opens its pool itself unless
    ``open=False`` is passed; the async one is opened by ``async with`` or ``await pool.open()``
    (an async pool cannot open in its constructor: it needs the running event loop).
    ``pool.wait()`` waits until ``min_size`` connections are up.

    The pool is for the service: opening it raises :class:`~registry_sql.errors.ConfigError` when
    the role is a superuser, has BYPASSRLS or owns the schema (row-level security would not
    apply); every new connection is checked too. Admin tools that really need such a role pass
    ``allow_privileged_role=True``.
    """
    s = _settings(settings)
    pool = _AsyncFailFastPool(
        s.conninfo,
        kwargs=_connect_kwargs(s, AsyncEchoCursor),
        min_size=s.min_size,
        max_size=s.max_size,
        timeout=s.timeout,
        max_idle=s.max_idle,
        max_lifetime=s.max_lifetime,
        check=_acheck_idle,
        configure=_apool_configure(s, check_role=not allow_privileged_role),
        name=POOL_NAME,
        open=False,
    )
    pool._settings = s
    pool._check_role = not allow_privileged_role
    # sync-only: if open:
    # sync-only:     pool.open()
    return pool


async def ahealth_check(target: AnyAsyncConnection | AsyncConnectionPool[Any]) -> None:
    """Run ``SELECT 1``; raise :class:`~registry_sql.errors.Unavailable` (or PoolTimeout) if it
    fails. Safe on a connection in a transaction (it does not commit or roll back)."""
    try:
        if isinstance(target, AsyncConnectionPool):
            async with target.connection() as conn:
                await conn.execute("SELECT 1", prepare=False)
        else:
            await target.execute("SELECT 1", prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="ahealth_check") from e


@asynccontextmanager
async def atransaction(
    conn_or_pool: AnyAsyncConnection | AsyncConnectionPool[Any],
    *,
    org_id: uuid.UUID | str | None = None,
    correlation_id: str | None = None,
    isolation: Isolation | None = None,
    read_only: bool | None = None,
    lock_timeout: float | timedelta | None = None,
    user_id: uuid.UUID | str | None = None,
    session_id: str | None = None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    user_agent: str | None = None,
    change_reason: str | None = None,
) -> AsyncIterator[AnyAsyncConnection]:
    """A transaction block: commit at the end, roll back on an exception.

    Given a connection, it uses ``conn.transaction()``: a top-level transaction, or a savepoint
    when one is already open (an inner failure rolls back to the savepoint, the outer
    transaction goes on). Given a pool, it checks a connection out for the block.
    psycopg errors are re-raised as :mod:`registry_sql.errors` exceptions.

    Options (all validated before anything is sent):

    - ``org_id`` / ``correlation_id``: call :func:`atenant` / :func:`acorrelation` first. In a
      nested block they last for the block only: on its exit the outer block's values are
      restored (on an error, the savepoint's rollback restores them).
    - ``isolation``: ``"read committed"`` (PostgreSQL's default), ``"repeatable read"`` or
      ``"serializable"`` (or a :class:`psycopg.IsolationLevel`); ``read_only``: True for
      ``SET TRANSACTION READ ONLY``. Outermost block only: a nested one raises InvalidInput.
    - ``lock_timeout``: seconds (or a timedelta) to wait for a lock before
      :class:`~registry_sql.errors.LockTimeout`; for this block (restored on exit when nested).
    - ``user_id``, ``session_id``, ``client_ip``, ``user_agent``, ``change_reason``: who acts,
      from where and why, for audit triggers: call :func:`aaudit_context` first (same rules as
      ``org_id`` in a nested block).
    """
    options = _block_options(
        "atransaction",
        org_id=org_id,
        correlation_id=correlation_id,
        isolation=isolation,
        read_only=read_only,
        lock_timeout=lock_timeout,
        user_id=user_id,
        session_id=session_id,
        client_ip=client_ip,
        user_agent=user_agent,
        change_reason=change_reason,
    )
    try:
        if isinstance(conn_or_pool, AsyncConnectionPool):
            retried = False
            while True:
                async with conn_or_pool.connection() as conn:
                    if await _abegin(conn, options, can_retry=not retried):
                        try:
                            yield conn
                        except BaseException:
                            await _aabort(conn)
                            raise
                        await _aend(conn)
                        return
                # The connection was dead: check the pool's idle ones, then once again.
                retried = True
                await conn_or_pool.check()
        else:
            conn = conn_or_pool
            nested = conn.info.transaction_status != pq.TransactionStatus.IDLE
            if nested:
                _refuse_nested(options, "atransaction")
            saved = await _asave_context(conn) if nested and options.sets_context else None
            async with conn.transaction():
                await _astart(conn, options, nested=nested)
                yield conn
                if saved is not None:
                    await _arestore_context(conn, saved)
    except psycopg.Error as e:
        raise translate_error(e) from e


async def _asave_context(conn: AnyAsyncConnection) -> _Saved:
    cur = await conn.execute(_GET_CONTEXT, prepare=False)
    row = await cur.fetchone()
    assert row is not None
    return tuple(row)


async def _arestore_context(conn: AnyAsyncConnection, saved: _Saved) -> None:
    for statement in _restore_statements(saved):
        await conn.execute(statement, prepare=False)


async def _astart(conn: AnyAsyncConnection, options: _Options, *, nested: bool = False) -> None:
    message = _start_message(conn, options, begin=False, nested=nested)
    if message is not None:
        await conn.execute(message, prepare=False)


async def _abegin(conn: AnyAsyncConnection, options: _Options, *, can_retry: bool) -> bool:
    """Open the pooled transaction in one message; False when the connection turned out dead
    and the block may run on another one."""
    message = cast(bytes, _start_message(conn, options, begin=True, nested=False))
    try:
        await conn.set_autocommit(True)  # BEGIN is ours, in the same message as the SET LOCALs
        await _execute.acommand(conn, message)
    except psycopg.OperationalError:
        if can_retry and conn.broken:
            return False
        raise
    return True


async def _aend(conn: AnyAsyncConnection) -> None:
    await _execute.acommand(conn, _COMMIT_AND_RESET)
    _reset_done.add(conn)
    await conn.set_autocommit(False)


async def _aabort(conn: AnyAsyncConnection) -> None:
    """Roll back (and reset) after an error in the block; a connection that cannot is left to
    the pool, which rolls back or discards it."""
    if conn.closed or conn.broken:
        return
    try:
        await _execute.acommand(conn, _ROLLBACK_AND_RESET)
        _reset_done.add(conn)
        await conn.set_autocommit(False)
    except psycopg.Error:
        return


async def atenant(conn: AnyAsyncConnection, org_id: uuid.UUID | str) -> uuid.UUID:
    """Set the tenant (``app.org_id``) for the rest of the current transaction.

    Uses ``SET LOCAL`` (transaction-local; the form Citus propagates) with the validated UUID
    quoted as a literal: SET takes no bind parameters. Raises
    :class:`~registry_sql.errors.InvalidInput` for a value that is not a UUID and
    :class:`~registry_sql.errors.TransactionRequired` outside a transaction. Returns the UUID.
    """
    value = _org_uuid(org_id, "atenant")
    _require_transaction(conn.info.transaction_status, "atenant")
    try:
        await conn.execute(sql.SQL(_SET_ORG).format(sql.Literal(str(value))), prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="atenant") from e
    return value


async def acorrelation(conn: AnyAsyncConnection, correlation_id: str) -> None:
    """Set ``app.correlation_id`` (read by audit triggers) for the rest of the transaction."""
    value = _correlation_value(correlation_id, "acorrelation")
    _require_transaction(conn.info.transaction_status, "acorrelation")
    try:
        await conn.execute(sql.SQL(_SET_CORRELATION).format(sql.Literal(value)), prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="acorrelation") from e


async def _aset_audit(conn: AnyAsyncConnection, audit: _Audit, helper: str) -> None:
    _require_transaction(conn.info.transaction_status, helper)
    try:
        for statement in _audit_statements(audit):
            await conn.execute(statement, prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query=helper) from e


async def aaudit_context(
    conn: AnyAsyncConnection,
    *,
    user_id: uuid.UUID | str | None = None,
    session_id: str | None = None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    user_agent: str | None = None,
    change_reason: str | None = None,
) -> None:
    """Say who acts, from where and why, for the rest of the current transaction.

    Sets ``app.user_id`` (a UUID), ``app.session_id``, ``app.client_ip`` (an IPv4/IPv6
    address), ``app.user_agent`` and ``app.change_reason`` with ``SET LOCAL``, only those given;
    audit triggers read them (and a schema's trigger may refuse a change without them).
    Raises :class:`~registry_sql.errors.InvalidInput` naming the field for an invalid value
    (before anything is sent) and :class:`~registry_sql.errors.TransactionRequired` outside a
    transaction. Usually passed to :func:`atransaction` instead.
    """
    audit = _audit_values(
        "aaudit_context",
        user_id=user_id,
        session_id=session_id,
        client_ip=client_ip,
        user_agent=user_agent,
        change_reason=change_reason,
    )
    await _aset_audit(conn, audit, "aaudit_context")


async def acurrent_tenant(conn: AnyAsyncConnection) -> uuid.UUID | None:
    """The tenant set in the current transaction, or None."""
    try:
        cur = await conn.execute(_GET_ORG)
        row = await cur.fetchone()
    except psycopg.Error as e:
        raise translate_error(e, query="acurrent_tenant") from e
    value = row[0] if row else None
    return None if value is None else uuid.UUID(str(value))


class _AsyncPooledBatch(AsyncBatch):
    """A batch that is its own transaction on a pooled connection: see :func:`abatch`."""

    def __init__(self, pool: AsyncConnectionPool[Any], options: _Options) -> None:
        super().__init__(cast(AnyAsyncConnection, None))
        self._pool = pool
        self._options = options

    async def run(self) -> None:
        if not self._calls:
            return
        retried = False
        try:
            while True:
                async with self._pool.connection() as conn:
                    if _gone(conn) and not retried:
                        retried = True  # then check the pool's idle ones, and once again
                    else:
                        await self._transaction(conn)
                        return
                await self._pool.check()
        except psycopg.Error as e:
            raise translate_error(e) from e

    async def _transaction(self, conn: AnyAsyncConnection) -> None:
        # BEGIN and COMMIT are ours, in the pipeline (which psycopg's own BEGIN never joins).
        try:
            await self._run(conn, _batch_start(conn, self._options), _BATCH_END)
        except BaseException:
            await _aabort(conn)
            raise
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            await _aabort(conn)  # not committed (cannot happen without an error; be sure)
            return
        _reset_done.add(conn)  # RESET ALL ran after the COMMIT


def abatch(
    conn_or_pool: AnyAsyncConnection | AsyncConnectionPool[Any],
    *,
    org_id: uuid.UUID | str | None = None,
    correlation_id: str | None = None,
    isolation: Isolation | None = None,
    read_only: bool | None = None,
    lock_timeout: float | timedelta | None = None,
    user_id: uuid.UUID | str | None = None,
    session_id: str | None = None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    user_agent: str | None = None,
    change_reason: str | None = None,
) -> AsyncBatch:
    """Several generated calls in one round trip: ``async with abatch(conn_or_pool) as b:``.

    Given a connection, the calls run in its transaction (see :class:`AsyncBatch`). Given a
    pool, the batch is a transaction of its own, sent with its calls in the same pipeline:
    ``BEGIN``, the ``SET LOCAL``s of the options (the same as :func:`atransaction`'s), the
    calls, ``COMMIT`` and ``RESET ALL``: one round trip for the whole request. All or nothing:
    when a call fails, nothing is committed. A connection found dead before anything was sent
    is replaced, as in :func:`atransaction`.
    """
    options = _block_options(
        "abatch",
        org_id=org_id,
        correlation_id=correlation_id,
        isolation=isolation,
        read_only=read_only,
        lock_timeout=lock_timeout,
        user_id=user_id,
        session_id=session_id,
        client_ip=client_ip,
        user_agent=user_agent,
        change_reason=change_reason,
    )
    if isinstance(conn_or_pool, AsyncConnectionPool):
        return _AsyncPooledBatch(conn_or_pool, options)
    if options != _NO_OPTIONS:
        given = {
            "org_id": org_id,
            "correlation_id": correlation_id,
            "isolation": isolation,
            "read_only": read_only,
            "lock_timeout": lock_timeout,
        }
        field = next((name for name, value in given.items() if value is not None), "user_id")
        raise InvalidInput(
            f"abatch: {field} is a transaction option, for a batch on a pool; on a connection "
            "the batch runs in the connection's transaction: pass it to atransaction()",
            field=field,
        )
    return _execute.abatch(conn_or_pool)


# === SYNC TWINS: generated from the async source above (codegen/async_to_sync.py); DO NOT EDIT ===


class EchoCursor(psycopg.Cursor[Any]):
    """A cursor that logs each statement to ``registry_sql.sql`` (used when ``echo`` is on)."""

    #: What a batch, which sends its statements without a cursor, logs them with.
    echo_statement = staticmethod(_log)

    def execute(self, query: Query, params: Params | None = None, **kwargs: Any) -> EchoCursor:
        _log(query, params)
        super().execute(cast(QueryNoTemplate, query), params, **kwargs)
        return self


def _pool_configure(settings: Settings, *, check_role: bool) -> Any:
    """The pool's ``configure`` callback for each new connection: remember its transaction
    timeouts (PgBouncer mode) and, unless the caller opted out, check the service role."""
    timeouts = settings.transaction_timeouts
    if timeouts is None and not check_role:
        return None

    def configure(conn: Any) -> None:
        if timeouts is not None:
            _txn_timeouts[conn] = timeouts
        if check_role:
            _checked_configure(conn)

    return configure


def connect(url_or_settings: Settings | str | None = None, **kw: Any) -> AnyConnection:
    """Open one connection (the caller closes it; prefer ``with connect() as conn:``).

    ``url_or_settings``: a URL (any form :func:`~registry_sql.settings.normalize_url` accepts),
    a :class:`Settings`, or None to read the environment. Extra keywords go to
    ``psycopg.Connection.connect`` (e.g. ``autocommit=True``).
    """
    settings = _settings(url_or_settings)
    kwargs = _connect_kwargs(settings, EchoCursor) | kw
    try:
        conn = psycopg.Connection.connect(settings.conninfo, **kwargs)
    except psycopg.Error as e:
        raise translate_error(e, query=_connecting(settings)) from e
    if settings.transaction_timeouts is not None:
        _txn_timeouts[conn] = settings.transaction_timeouts
    return conn


def _reset_session(conn: AnyConnection) -> None:
    """On return to the pool (from :func:`_return`): undo any session-level ``SET``
    (registry-sql only uses ``SET LOCAL``, but application code might not), so a setting such as
    ``app.org_id`` can never leak to the next user of the connection. Prepared statements are
    kept (unlike ``DISCARD ALL``).
    Nothing to send when transaction(pool) already ran ``RESET ALL`` with its ``COMMIT``;
    otherwise one round trip, outside a transaction. Never prepared (see the tenant statements:
    a prepared name can mean another statement behind PgBouncer). Pooled connections leave in
    the pool's mode (not autocommit)."""
    if conn in _reset_done:
        _reset_done.discard(conn)
        if conn.autocommit:
            conn.set_autocommit(False)
        return
    conn.set_autocommit(True)
    try:
        conn.execute("RESET ALL", prepare=False)
    finally:
        conn.set_autocommit(False)


def _return(conn: AnyConnection) -> None:
    """A connection coming back to the pool: roll back what is still open, reset the session;
    a connection that cannot be reset is closed (the pool then replaces it)."""
    _returned_at[conn] = time.monotonic()
    if conn.closed or conn.broken:
        return
    try:
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            _reset_done.discard(conn)
            conn.rollback()
        _reset_session(conn)
    except psycopg.Error:
        conn.close()


def _check_idle(conn: AnyConnection) -> None:
    """The pool's ``check`` callback: ping a connection that sat idle too long (see above)."""
    if _idle_too_long(conn):
        ConnectionPool.check_connection(conn)


def check_service_role(conn: AnyConnection) -> None:
    """Raise :class:`~registry_sql.errors.ConfigError` when ``conn``'s role would bypass
    row-level security (a superuser, BYPASSRLS, or the schema owner ``registry_owner``)."""
    try:
        cur = conn.execute(_ROLE_CHECK, prepare=False)
        row = cur.fetchone()
    except psycopg.Error as e:
        raise translate_error(e, query="check_service_role") from e
    problem = _role_problem(row)
    if problem is not None:
        raise ConfigError(problem)


def _checked_configure(conn: AnyConnection) -> None:
    # Every new connection (the pool logs the error and retries; the start-up check in open()
    # is what the service sees).
    check_service_role(conn)
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        conn.rollback()


class _FailFastPool(ConnectionPool[AnyConnection]):
    """A pool whose ``open()`` first opens one connection itself: a pool that cannot connect at
    all (authentication, unknown database, refused, DNS) raises the translated
    :class:`~registry_sql.errors.ConfigError` / :class:`~registry_sql.errors.Unavailable`
    at once, instead of a :class:`PoolTimeout` at the first checkout after ``timeout`` seconds.
    Unless ``allow_privileged_role``, that connection also checks the role
    (:func:`check_service_role`): a superuser or owner is refused at start-up.

    A returned connection is reset in the caller (:func:`_return`), not through the pool's
    ``reset`` callback, which psycopg_pool runs in a worker: a thread hop on every return."""

    _settings: Settings
    _check_role: bool

    def putconn(self, conn: AnyConnection) -> None:
        _return(conn)
        super().putconn(conn)

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        if self.closed:
            with connect(self._settings) as conn:
                if self._check_role:
                    check_service_role(conn)
        super().open(wait=wait, timeout=timeout)


def create_pool(
    settings: Settings | str | None = None,
    *,
    open: bool = True,
    allow_privileged_role: bool = False,
) -> ConnectionPool[AnyConnection]:
    """A :class:`psycopg_pool.ConnectionPool` configured from ``settings`` (default:
    the environment).

    A connection that sat idle in the pool longer than ``CHECK_IDLE_SECONDS`` is pinged when
    handed out (the replacement for SQLAlchemy's ``pool_pre_ping``: one the server dropped is
    replaced instead of failing the next call; :func:`transaction` also runs again on a fresh
    connection when its first message finds the connection dead), and the session is reset
    with ``RESET ALL`` before the next checkout (no session setting survives; in
    :func:`transaction` it travels with the ``COMMIT``). Opening the pool first opens
    one connection itself, so a pool that cannot connect at all raises the translated
    :class:`~registry_sql.errors.ConfigError` / ``Unavailable`` then (within the connect
    timeout); then it fills in the background. ``with create_pool() as pool:`` opens
    it and closes it at the end. The sync ``create_pool()`` opens its pool itself unless
    ``open=False`` is passed; the async one is opened by ``with`` or ``pool.open()``
    (an async pool cannot open in its constructor: it needs the running event loop).
    ``pool.wait()`` waits until ``min_size`` connections are up.

    The pool is for the service: opening it raises :class:`~registry_sql.errors.ConfigError` when
    the role is a superuser, has BYPASSRLS or owns the schema (row-level security would not
    apply); every new connection is checked too. Admin tools that really need such a role pass
    ``allow_privileged_role=True``.
    """
    s = _settings(settings)
    pool = _FailFastPool(
        s.conninfo,
        kwargs=_connect_kwargs(s, EchoCursor),
        min_size=s.min_size,
        max_size=s.max_size,
        timeout=s.timeout,
        max_idle=s.max_idle,
        max_lifetime=s.max_lifetime,
        check=_check_idle,
        configure=_pool_configure(s, check_role=not allow_privileged_role),
        name=POOL_NAME,
        open=False,
    )
    pool._settings = s
    pool._check_role = not allow_privileged_role
    if open:
        pool.open()
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


@contextmanager
def transaction(
    conn_or_pool: AnyConnection | ConnectionPool[Any],
    *,
    org_id: uuid.UUID | str | None = None,
    correlation_id: str | None = None,
    isolation: Isolation | None = None,
    read_only: bool | None = None,
    lock_timeout: float | timedelta | None = None,
    user_id: uuid.UUID | str | None = None,
    session_id: str | None = None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    user_agent: str | None = None,
    change_reason: str | None = None,
) -> Iterator[AnyConnection]:
    """A transaction block: commit at the end, roll back on an exception.

    Given a connection, it uses ``conn.transaction()``: a top-level transaction, or a savepoint
    when one is already open (an inner failure rolls back to the savepoint, the outer
    transaction goes on). Given a pool, it checks a connection out for the block.
    psycopg errors are re-raised as :mod:`registry_sql.errors` exceptions.

    Options (all validated before anything is sent):

    - ``org_id`` / ``correlation_id``: call :func:`tenant` / :func:`correlation` first. In a
      nested block they last for the block only: on its exit the outer block's values are
      restored (on an error, the savepoint's rollback restores them).
    - ``isolation``: ``"read committed"`` (PostgreSQL's default), ``"repeatable read"`` or
      ``"serializable"`` (or a :class:`psycopg.IsolationLevel`); ``read_only``: True for
      ``SET TRANSACTION READ ONLY``. Outermost block only: a nested one raises InvalidInput.
    - ``lock_timeout``: seconds (or a timedelta) to wait for a lock before
      :class:`~registry_sql.errors.LockTimeout`; for this block (restored on exit when nested).
    - ``user_id``, ``session_id``, ``client_ip``, ``user_agent``, ``change_reason``: who acts,
      from where and why, for audit triggers: call :func:`audit_context` first (same rules as
      ``org_id`` in a nested block).
    """
    options = _block_options(
        "transaction",
        org_id=org_id,
        correlation_id=correlation_id,
        isolation=isolation,
        read_only=read_only,
        lock_timeout=lock_timeout,
        user_id=user_id,
        session_id=session_id,
        client_ip=client_ip,
        user_agent=user_agent,
        change_reason=change_reason,
    )
    try:
        if isinstance(conn_or_pool, ConnectionPool):
            retried = False
            while True:
                with conn_or_pool.connection() as conn:
                    if _begin(conn, options, can_retry=not retried):
                        try:
                            yield conn
                        except BaseException:
                            _abort(conn)
                            raise
                        _end(conn)
                        return
                # The connection was dead: check the pool's idle ones, then once again.
                retried = True
                conn_or_pool.check()
        else:
            conn = conn_or_pool
            nested = conn.info.transaction_status != pq.TransactionStatus.IDLE
            if nested:
                _refuse_nested(options, "transaction")
            saved = _save_context(conn) if nested and options.sets_context else None
            with conn.transaction():
                _start(conn, options, nested=nested)
                yield conn
                if saved is not None:
                    _restore_context(conn, saved)
    except psycopg.Error as e:
        raise translate_error(e) from e


def _save_context(conn: AnyConnection) -> _Saved:
    cur = conn.execute(_GET_CONTEXT, prepare=False)
    row = cur.fetchone()
    assert row is not None
    return tuple(row)


def _restore_context(conn: AnyConnection, saved: _Saved) -> None:
    for statement in _restore_statements(saved):
        conn.execute(statement, prepare=False)


def _start(conn: AnyConnection, options: _Options, *, nested: bool = False) -> None:
    message = _start_message(conn, options, begin=False, nested=nested)
    if message is not None:
        conn.execute(message, prepare=False)


def _begin(conn: AnyConnection, options: _Options, *, can_retry: bool) -> bool:
    """Open the pooled transaction in one message; False when the connection turned out dead
    and the block may run on another one."""
    message = cast(bytes, _start_message(conn, options, begin=True, nested=False))
    try:
        conn.set_autocommit(True)  # BEGIN is ours, in the same message as the SET LOCALs
        _execute.command(conn, message)
    except psycopg.OperationalError:
        if can_retry and conn.broken:
            return False
        raise
    return True


def _end(conn: AnyConnection) -> None:
    _execute.command(conn, _COMMIT_AND_RESET)
    _reset_done.add(conn)
    conn.set_autocommit(False)


def _abort(conn: AnyConnection) -> None:
    """Roll back (and reset) after an error in the block; a connection that cannot is left to
    the pool, which rolls back or discards it."""
    if conn.closed or conn.broken:
        return
    try:
        _execute.command(conn, _ROLLBACK_AND_RESET)
        _reset_done.add(conn)
        conn.set_autocommit(False)
    except psycopg.Error:
        return


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


def correlation(conn: AnyConnection, correlation_id: str) -> None:
    """Set ``app.correlation_id`` (read by audit triggers) for the rest of the transaction."""
    value = _correlation_value(correlation_id, "correlation")
    _require_transaction(conn.info.transaction_status, "correlation")
    try:
        conn.execute(sql.SQL(_SET_CORRELATION).format(sql.Literal(value)), prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query="correlation") from e


def _set_audit(conn: AnyConnection, audit: _Audit, helper: str) -> None:
    _require_transaction(conn.info.transaction_status, helper)
    try:
        for statement in _audit_statements(audit):
            conn.execute(statement, prepare=False)
    except psycopg.Error as e:
        raise translate_error(e, query=helper) from e


def audit_context(
    conn: AnyConnection,
    *,
    user_id: uuid.UUID | str | None = None,
    session_id: str | None = None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    user_agent: str | None = None,
    change_reason: str | None = None,
) -> None:
    """Say who acts, from where and why, for the rest of the current transaction.

    Sets ``app.user_id`` (a UUID), ``app.session_id``, ``app.client_ip`` (an IPv4/IPv6
    address), ``app.user_agent`` and ``app.change_reason`` with ``SET LOCAL``, only those given;
    audit triggers read them (and a schema's trigger may refuse a change without them).
    Raises :class:`~registry_sql.errors.InvalidInput` naming the field for an invalid value
    (before anything is sent) and :class:`~registry_sql.errors.TransactionRequired` outside a
    transaction. Usually passed to :func:`transaction` instead.
    """
    audit = _audit_values(
        "audit_context",
        user_id=user_id,
        session_id=session_id,
        client_ip=client_ip,
        user_agent=user_agent,
        change_reason=change_reason,
    )
    _set_audit(conn, audit, "audit_context")


def current_tenant(conn: AnyConnection) -> uuid.UUID | None:
    """The tenant set in the current transaction, or None."""
    try:
        cur = conn.execute(_GET_ORG)
        row = cur.fetchone()
    except psycopg.Error as e:
        raise translate_error(e, query="current_tenant") from e
    value = row[0] if row else None
    return None if value is None else uuid.UUID(str(value))


class _PooledBatch(Batch):
    """A batch that is its own transaction on a pooled connection: see :func:`batch`."""

    def __init__(self, pool: ConnectionPool[Any], options: _Options) -> None:
        super().__init__(cast(AnyConnection, None))
        self._pool = pool
        self._options = options

    def run(self) -> None:
        if not self._calls:
            return
        retried = False
        try:
            while True:
                with self._pool.connection() as conn:
                    if _gone(conn) and not retried:
                        retried = True  # then check the pool's idle ones, and once again
                    else:
                        self._transaction(conn)
                        return
                self._pool.check()
        except psycopg.Error as e:
            raise translate_error(e) from e

    def _transaction(self, conn: AnyConnection) -> None:
        # BEGIN and COMMIT are ours, in the pipeline (which psycopg's own BEGIN never joins).
        try:
            self._run(conn, _batch_start(conn, self._options), _BATCH_END)
        except BaseException:
            _abort(conn)
            raise
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            _abort(conn)  # not committed (cannot happen without an error; be sure)
            return
        _reset_done.add(conn)  # RESET ALL ran after the COMMIT


def batch(
    conn_or_pool: AnyConnection | ConnectionPool[Any],
    *,
    org_id: uuid.UUID | str | None = None,
    correlation_id: str | None = None,
    isolation: Isolation | None = None,
    read_only: bool | None = None,
    lock_timeout: float | timedelta | None = None,
    user_id: uuid.UUID | str | None = None,
    session_id: str | None = None,
    client_ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
    user_agent: str | None = None,
    change_reason: str | None = None,
) -> Batch:
    """Several generated calls in one round trip: ``with batch(conn_or_pool) as b:``.

    Given a connection, the calls run in its transaction (see :class:`Batch`). Given a
    pool, the batch is a transaction of its own, sent with its calls in the same pipeline:
    ``BEGIN``, the ``SET LOCAL``s of the options (the same as :func:`transaction`'s), the
    calls, ``COMMIT`` and ``RESET ALL``: one round trip for the whole request. All or nothing:
    when a call fails, nothing is committed. A connection found dead before anything was sent
    is replaced, as in :func:`transaction`.
    """
    options = _block_options(
        "batch",
        org_id=org_id,
        correlation_id=correlation_id,
        isolation=isolation,
        read_only=read_only,
        lock_timeout=lock_timeout,
        user_id=user_id,
        session_id=session_id,
        client_ip=client_ip,
        user_agent=user_agent,
        change_reason=change_reason,
    )
    if isinstance(conn_or_pool, ConnectionPool):
        return _PooledBatch(conn_or_pool, options)
    if options != _NO_OPTIONS:
        given = {
            "org_id": org_id,
            "correlation_id": correlation_id,
            "isolation": isolation,
            "read_only": read_only,
            "lock_timeout": lock_timeout,
        }
        field = next((name for name, value in given.items() if value is not None), "user_id")
        raise InvalidInput(
            f"batch: {field} is a transaction option, for a batch on a pool; on a connection "
            "the batch runs in the connection's transaction: pass it to transaction()",
            field=field,
        )
    return _execute.batch(conn_or_pool)
