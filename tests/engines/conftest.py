"""Engine suites: the same migrations and queries on TimescaleDB and on a Citus cluster.

They run only where the engines are (`../shared/tools/engines.sh` builds and starts both on this
machine, see docs/testing.md, "Engine suites"):

``REGISTRY_SQL_TIMESCALE_URL``  a database on a TimescaleDB 2.x server (timescaledb preloaded)
``REGISTRY_SQL_CITUS_URL``      a database on a Citus coordinator (workers added)

Both as a superuser (the suites create the extension, event triggers and a login role), and both
databases are WIPED (every registry-sql schema dropped) and rebuilt. Unset, every test here is
skipped with the reason in the summary (`-ra`), so `make test` stays green without them.
"""

from __future__ import annotations

import os

import pytest

from registry_sql.settings import normalize_url

TIMESCALE_ENV = "REGISTRY_SQL_TIMESCALE_URL"
CITUS_ENV = "REGISTRY_SQL_CITUS_URL"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"timescaledb: engine suite, runs against ${TIMESCALE_ENV} (skipped unset)"
    )
    config.addinivalue_line(
        "markers", f"citus: engine suite, runs against ${CITUS_ENV} (skipped unset)"
    )


def _engine_url(variable: str, engine: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        pytest.skip(
            f"{engine} suite: {variable} is not set (a database on a {engine} server, as a "
            "superuser; the suite wipes it; ../shared/tools/engines.sh starts one here)"
        )
    return normalize_url(value, source=variable)


@pytest.fixture(scope="module")
def timescale_url() -> str:
    return _engine_url(TIMESCALE_ENV, "TimescaleDB")


@pytest.fixture(scope="module")
def citus_url() -> str:
    return _engine_url(CITUS_ENV, "Citus")
