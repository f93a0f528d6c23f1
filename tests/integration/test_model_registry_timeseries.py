"""The time-series tables of model_registry (download_history, system_health_metrics): native
partitions registered for maintenance, routing of far past / far future rows to the DEFAULT
partition, retention of health metrics, and COPY ingest of 100,000 rows with an exact count
(its rate is printed: run with ``-s`` to see it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from registry_sql import model_registry as mr
from registry_sql.model_registry import DownloadIn, HealthMetricIn

Conn = psycopg.Connection[Any]



def _partition_of_download(conn: Conn, download_id: uuid.UUID) -> str:
    row = conn.execute(
        "SELECT tableoid::regclass::text FROM model_registry.download_history WHERE id = %s",
        (download_id,),
    ).fetchone()
    assert row is not None
    return str(row[0])


def _partition_of_metric(conn: Conn, metric_id: uuid.UUID) -> str:
    row = conn.execute(
        "SELECT tableoid::regclass::text FROM model_registry.system_health_metrics "
        "WHERE id = %s",
        (metric_id,),
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_tables_are_registered_for_maintenance(conn: Conn) -> None:
    rows = conn.execute(
        "SELECT parent::text, partition_interval, premake, retention "
        "FROM core.partitioned_tables WHERE parent::text LIKE 'model_registry.%' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("model_registry.download_history", timedelta(days=7), 3, None),
        ("model_registry.system_health_metrics", timedelta(days=1), 3, timedelta(days=30)),
    ]


def test_current_rows_land_in_a_dated_partition(conn: Conn) -> None:
    pkg = mr.create_package(conn, name="m", version="1", s3_key="k", s3_bucket="b",
                            file_size_bytes=1)
    dl = mr.record_download(conn, package_id=pkg.id, access_granted=True)
    assert _partition_of_download(conn, dl.id).startswith("model_registry.download_history_p")
    metric = mr.record_health_metric(conn, metric_name="cpu", metric_value=1.0)
    assert _partition_of_metric(conn, metric.id).startswith(
        "model_registry.system_health_metrics_p")


def test_far_past_and_future_rows_land_in_the_default_partition(conn: Conn) -> None:
    pkg = mr.create_package(conn, name="m", version="1", s3_key="k", s3_bucket="b",
                            file_size_bytes=1)
    far = [datetime(1999, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, tzinfo=UTC)]
    assert mr.copy_downloads(conn, [DownloadIn(pkg.id, None, t, True, None, None, None)
                                    for t in far]) == 2
    rows = mr.list_downloads_for_package(conn, package_id=pkg.id, limit=10)
    assert {r.downloaded_at for r in rows} == set(far)
    for r in rows:
        assert _partition_of_download(conn, r.id) == "model_registry.download_history_default"
    for t in far:
        m = mr.record_health_metric(conn, metric_name="cpu", metric_value=1.0, recorded_at=t)
        assert _partition_of_metric(conn, m.id) == "model_registry.system_health_metrics_default"


def test_maintenance_drops_expired_health_partitions_but_keeps_downloads(conn: Conn) -> None:
    """Simulate 40 days passing: daily health partitions older than 30 days are dropped;
    download partitions (no retention) are all kept."""
    now = datetime.now(UTC)
    before = {r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'model_registry.download_history'::regclass")}
    actions = conn.execute(
        "SELECT parent, action FROM core.maintain_partitions(%s)", (now + timedelta(days=40),)
    ).fetchall()
    dropped = {p for p, a in actions if a == "dropped"}
    assert dropped == {"model_registry.system_health_metrics"}
    after = {r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'model_registry.download_history'::regclass")}
    assert before <= after


def _download_rows(pkg_ids: list[uuid.UUID], n: int) -> Iterator[DownloadIn]:
    start = datetime.now(UTC) - timedelta(hours=1)
    for i in range(n):
        yield DownloadIn(pkg_ids[i % len(pkg_ids)], None, start + timedelta(milliseconds=i),
                         i % 17 != 0, None if i % 17 else "denied", None, "bench")


def test_copy_ingest_of_100k_downloads_and_metrics(conn: Conn) -> None:
    pkgs = [mr.create_package(conn, name=f"m{i}", version="1", s3_key="k", s3_bucket="b",
                              file_size_bytes=1).id for i in range(10)]
    n = 100_000
    t0 = time.perf_counter()
    assert mr.copy_downloads(conn, _download_rows(pkgs, n)) == n
    dt = time.perf_counter() - t0
    print(f"\ncopy_downloads: {n} rows in {dt:.2f} s = {n / dt:,.0f} rows/s")
    row = conn.execute("SELECT count(*) FROM model_registry.download_history").fetchone()
    assert row == (n,)
    assert mr.count_downloads(conn, package_id=pkgs[0], access_granted=False) == sum(
        1 for i in range(0, n, 10) if i % 17 == 0)

    start = datetime.now(UTC) - timedelta(hours=2)
    metrics = (HealthMetricIn("request_latency_ms", float(i % 100), "ms",
                              {"host": f"h{i % 4}"}, start + timedelta(milliseconds=10 * i))
               for i in range(n))
    t0 = time.perf_counter()
    assert mr.copy_health_metrics(conn, metrics) == n
    dt = time.perf_counter() - t0
    print(f"copy_health_metrics: {n} rows in {dt:.2f} s = {n / dt:,.0f} rows/s")
    row = conn.execute("SELECT count(*) FROM model_registry.system_health_metrics").fetchone()
    assert row == (n,)
    rollup = mr.rollup_health_metrics(conn, bucket=timedelta(hours=1),
                                      metric_name="request_latency_ms",
                                      recorded_from=start - timedelta(hours=1),
                                      recorded_to=datetime.now(UTC) + timedelta(hours=1))
    assert sum(r.samples for r in rollup) == n
