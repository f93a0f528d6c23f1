"""The TimescaleDB suite (``REGISTRY_SQL_TIMESCALE_URL``; skipped, with the reason, when unset).

On a TimescaleDB server the migrations take their TimescaleDB branch: hypertables instead of
native partitions, columnstore/compression, retention policies and a continuous aggregate
(community license). Tables under row-level security stay rowstore (0070; docs/scale-out.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from engine_support import (
    fresh_database,
    prepare_problems,
    timescale_url,  # noqa: F401 (a fixture)
)

from registry_sql import db
from registry_sql.demo import run_demo

pytestmark = pytest.mark.timescaledb

HYPERTABLES = {
    "core.audit_log",
    "model_registry.download_history",
    "model_registry.system_health_metrics",
    "mlops.run_metrics",
    "mlops.model_monitoring",
}
UNDER_RLS = {"core.audit_log", "mlops.run_metrics", "mlops.model_monitoring"}


@pytest.fixture(scope="module")
def tsdb(timescale_url: str) -> Iterator[str]:  # noqa: F811 (the imported fixture)
    with db.connect(timescale_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
        preload = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
    assert row is not None, "REGISTRY_SQL_TIMESCALE_URL: timescaledb is not available there"
    assert preload is not None and "timescaledb" in preload[0], "timescaledb is not preloaded"
    yield from fresh_database(timescale_url)


def _rows(url: str, query: str) -> set[tuple[object, ...]]:
    with db.connect(url, autocommit=True) as conn:
        return {tuple(r) for r in conn.execute(query).fetchall()}


def test_migrations_apply_roll_back_and_apply_again(tsdb: str) -> None:
    # fresh_database() did up/down/up; the TimescaleDB branch was taken
    assert _rows(tsdb, "SELECT extname FROM pg_extension WHERE extname = 'timescaledb'")


def test_the_hypertables_exist(tsdb: str) -> None:
    rows = _rows(
        tsdb,
        "SELECT hypertable_schema || '.' || hypertable_name, compression_enabled "
        "FROM timescaledb_information.hypertables",
    )
    assert {name for name, _ in rows} == HYPERTABLES
    compressed = {name for name, enabled in rows if enabled}
    # columnstore where the catalog asks for it, except on tables under row security
    assert compressed == {"model_registry.download_history"}


def test_row_security_on_the_tenant_hypertables(tsdb: str) -> None:
    rows = _rows(
        tsdb,
        "SELECT c.oid::regclass::text, c.relrowsecurity, c.relforcerowsecurity "
        "FROM pg_class c WHERE c.oid = ANY(ARRAY['core.audit_log', 'mlops.run_metrics', "
        "'mlops.model_monitoring']::regclass[])",
    )
    assert {(name, rls) for name, rls, _ in rows} == {(name, True) for name in UNDER_RLS}
    # the event trigger of 0070 was only needed while 0011/0012/0026 ran: 0071 dropped it
    assert not _rows(
        tsdb, "SELECT 1 FROM pg_event_trigger WHERE evtname LIKE 'trg_registry_sql__%'"
    )


def test_the_policies_exist(tsdb: str) -> None:
    jobs = _rows(
        tsdb,
        "SELECT proc_name, hypertable_schema || '.' || hypertable_name "
        "FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL",
    )
    assert ("policy_compression", "model_registry.download_history") in jobs
    assert ("policy_retention", "model_registry.system_health_metrics") in jobs
    assert ("policy_retention", "mlops.model_monitoring") in jobs
    assert (
        "policy_refresh_continuous_aggregate",
        "model_registry.system_health_metrics_1m",
    ) in jobs
    # no columnstore policy on a table under row security
    assert not {name for proc, name in jobs if proc == "policy_compression"} & UNDER_RLS


def test_the_continuous_aggregate_exists(tsdb: str) -> None:
    assert _rows(
        tsdb,
        "SELECT view_schema || '.' || view_name, hypertable_schema || '.' || hypertable_name "
        "FROM timescaledb_information.continuous_aggregates",
    ) == {("model_registry.system_health_metrics_1m", "model_registry.system_health_metrics")}


def test_every_query_prepares(tsdb: str) -> None:
    with db.connect(tsdb) as conn:
        assert prepare_problems(conn) == []


def test_seed_and_demo_complete(tsdb: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(tsdb) == 0
    out = capsys.readouterr().out
    assert "Tour complete." in out
    # the tour's rows went into the hypertables
    with psycopg.connect(tsdb) as conn:
        n = conn.execute("SELECT count(*) FROM model_registry.download_history").fetchone()
    assert n is not None and n[0] > 0
