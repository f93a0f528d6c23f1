"""Scale figures: a Citus cluster against a single PostgreSQL, and a TimescaleDB continuous
aggregate against the same rollup on native partitions (issue 15, point 5; docs/scale-out.md).

    python -m benchmarks.engines --citus-url URL --timescale-url URL [--single-url URL]
    make bench-engines            # REGISTRY_SQL_CITUS_URL / REGISTRY_SQL_TIMESCALE_URL

Every database named is WIPED and migrated again (as the engine suites do). The single
PostgreSQL defaults to the embedded PostgreSQL 18 (a database ``registry_sql_bench_engines``).

1. mlops, ``--tenants`` organizations, each with one project, one experiment, ``--runs`` runs
   and ``--points`` steps of two metrics per run: bulk ingest rate (``COPY`` into
   ``mlops.run_metrics`` as the owner, rows/s), then tenant-scoped query latency through a pool
   as a login member of ``registry_app`` with the tenant set (``get_metric_history`` and
   ``list_runs`` of a random tenant; p50 / p95 / mean). On Citus the tables are distributed
   first (``registry-sql distribute``).
2. health metrics, ``--hours`` of one sample per second for three metrics: the per-minute rollup
   of the whole window from the continuous aggregate ``system_health_metrics_1m``, against
   ``rollup_health_metrics`` (``date_bin`` over the table) on the TimescaleDB hypertable and on
   the single PostgreSQL's native partitions (median of ``--reps`` runs).

Writes a Markdown report (``--out``, default benchmarks/ENGINES.md). Timings include the
client round trip; all servers of a run are on the same machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from psycopg import sql as pgsql

from registry_sql import db, migrate, mlops, roles
from registry_sql.distribute import distribute
from registry_sql.model_registry import rollup_health_metrics
from registry_sql.settings import normalize_url

LOGIN_ROLE = "registry_bench_app"
SINGLE_DB = "registry_sql_bench_engines"


def _login_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{LOGIN_ROLE}@{host}"))


def _single_url(explicit: str | None) -> str:
    if explicit:
        return normalize_url(explicit)
    from registry_sql.server import embedded_url

    server = embedded_url()
    with db.connect(server, autocommit=True) as conn:
        if (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (SINGLE_DB,)).fetchone()
            is None
        ):
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(SINGLE_DB)))
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{SINGLE_DB}"))


def _prepare(url: str, *, citus: bool) -> None:
    migrate.wipe(url)
    migrate.apply(url)
    if citus:
        distribute(url)
    with db.connect(url, autocommit=True) as conn:
        roles.create_login_role(conn, LOGIN_ROLE)


def _one(cur: Any) -> Any:
    """The first column of the one row a statement returns."""
    row = cur.fetchone()
    assert row is not None
    return row[0]


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --------------------------------------------------------------------------- mlops


Tenant = tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]
"""(organization, experiment, [run ids])"""


def _load_tenants(url: str, tenants: int, runs: int) -> list[Tenant]:
    """Organizations, projects, experiments and runs, as the owner (one transaction each)."""
    out: list[Tenant] = []
    with db.connect(url) as conn:
        for i in range(tenants):
            org = _one(
                conn.execute(
                    "INSERT INTO core.organizations (name, slug) VALUES (%s, %s) RETURNING id",
                    (f"Bench tenant {i}", f"bench-{i}"),
                )
            )
            project = _one(
                conn.execute(
                    "INSERT INTO mlops.projects (organization_id, name, slug) VALUES (%s, %s, %s) "
                    "RETURNING id",
                    (org, "bench", "bench"),
                )
            )
            experiment = _one(
                conn.execute(
                    "INSERT INTO mlops.experiments (organization_id, project_id, name) "
                    "VALUES (%s, %s, %s) RETURNING id",
                    (org, project, "bench"),
                )
            )
            run_ids = [
                r[0]
                for r in conn.execute(
                    "INSERT INTO mlops.experiment_runs (organization_id, experiment_id, name) "
                    "SELECT %s, %s, 'run ' || g FROM generate_series(1, %s) AS g RETURNING id",
                    (org, experiment, runs),
                ).fetchall()
            ]
            out.append((org, experiment, run_ids))
            conn.commit()
    return out


def _metric_rows(tenants: list[Tenant], points: int) -> Iterator[tuple[Any, ...]]:
    start = datetime.now(UTC) - timedelta(hours=1)
    for org, _, run_ids in tenants:
        for run in run_ids:
            for step in range(points):
                at = start + timedelta(seconds=step)
                yield (org, run, "loss", 1.0 / (step + 1), step, at)
                yield (org, run, "accuracy", step / points, step, at)


def _ingest(url: str, tenants: list[Tenant], points: int) -> tuple[int, float]:
    rows = list(_metric_rows(tenants, points))
    with db.connect(url) as conn:

        def copy() -> None:
            with conn.cursor().copy(
                "COPY mlops.run_metrics (organization_id, run_id, metric_name, value, step, "
                "recorded_at) FROM STDIN"
            ) as cp:
                for row in rows:
                    cp.write_row(row)
            conn.commit()

        seconds = _timed(copy)
    return len(rows), seconds


def _latencies(url: str, tenants: list[Tenant], calls: int) -> dict[str, list[float]]:
    rnd = random.Random(15)
    out: dict[str, list[float]] = {"get_metric_history": [], "list_runs": []}
    with db.create_pool(_login_url(url)) as pool:
        for _ in range(calls):
            org, experiment, run_ids = rnd.choice(tenants)
            run = rnd.choice(run_ids)
            start = time.perf_counter()
            with db.transaction(pool, org_id=org) as conn:
                history = mlops.get_metric_history(
                    conn, organization_id=org, run_id=run, metric_name="loss"
                )
            out["get_metric_history"].append(time.perf_counter() - start)
            assert history, "a tenant's run has no metrics: isolation or load is broken"
            start = time.perf_counter()
            with db.transaction(pool, org_id=org) as conn:
                mlops.list_runs(conn, organization_id=org, experiment_id=experiment, limit=20)
            out["list_runs"].append(time.perf_counter() - start)
    return out


def _summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{statistics.median(ms):.2f} / {p95:.2f} / {statistics.fmean(ms):.2f}"


# --------------------------------------------------------------------------- rollups


def _health_rows(hours: int) -> Iterator[tuple[Any, ...]]:
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    start = end - timedelta(hours=hours)
    for s in range(hours * 3600):
        at = start + timedelta(seconds=s)
        for name, value in (("cpu", 50 + (s % 40)), ("memory", 60 + (s % 13)), ("rps", s % 97)):
            yield (name, float(value), at)


def _load_health(url: str, hours: int) -> tuple[datetime, datetime]:
    rows = list(_health_rows(hours))
    with db.connect(url) as conn:
        with conn.cursor().copy(
            "COPY model_registry.system_health_metrics (metric_name, metric_value, recorded_at) "
            "FROM STDIN"
        ) as cp:
            for row in rows:
                cp.write_row(row)
        conn.commit()
    return rows[0][2], rows[-1][2] + timedelta(seconds=1)


_CAGG = pgsql.SQL(
    "SELECT metric_name, bucket, samples, avg_value, min_value, max_value "
    "FROM model_registry.system_health_metrics_1m "
    "WHERE bucket >= %s AND bucket < %s ORDER BY metric_name, bucket"
)


def _median_ms(fn: Callable[[], Any], reps: int) -> float:
    fn()  # warm the cache once
    return statistics.median(_timed(fn) for _ in range(reps)) * 1000


def _rollups(tsdb: str, single: str, hours: int, reps: int) -> dict[str, Any]:
    frm, to = _load_health(tsdb, hours)
    _load_health(single, hours)
    with db.connect(tsdb, autocommit=True) as conn:
        refresh = _timed(
            lambda: conn.execute(
                "CALL refresh_continuous_aggregate('model_registry.system_health_metrics_1m', "
                "NULL, NULL)"
            )
        )
    figures: dict[str, Any] = {"rows": hours * 3600 * 3, "refresh_s": refresh}
    with db.connect(tsdb) as conn:
        n_cagg = len(conn.execute(_CAGG, (frm, to)).fetchall())
        figures["cagg_ms"] = _median_ms(lambda: conn.execute(_CAGG, (frm, to)).fetchall(), reps)
        figures["tsdb_rollup_ms"] = _median_ms(
            lambda: rollup_health_metrics(
                conn, bucket=timedelta(minutes=1), recorded_from=frm, recorded_to=to
            ),
            reps,
        )
    with db.connect(single) as conn:
        n_native = len(
            rollup_health_metrics(
                conn, bucket=timedelta(minutes=1), recorded_from=frm, recorded_to=to
            )
        )
        figures["native_rollup_ms"] = _median_ms(
            lambda: rollup_health_metrics(
                conn, bucket=timedelta(minutes=1), recorded_from=frm, recorded_to=to
            ),
            reps,
        )
    figures["buckets"] = (n_cagg, n_native)
    return figures


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.engines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--citus-url", default=os.environ.get("REGISTRY_SQL_CITUS_URL"))
    ap.add_argument("--timescale-url", default=os.environ.get("REGISTRY_SQL_TIMESCALE_URL"))
    ap.add_argument("--single-url", default=None, help="default: the embedded PostgreSQL 18")
    ap.add_argument("--tenants", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5, help="runs per tenant")
    ap.add_argument("--points", type=int, default=200, help="steps per run (two metrics each)")
    ap.add_argument("--calls", type=int, default=300, help="latency samples per query")
    ap.add_argument("--hours", type=int, default=24, help="health samples: hours at 1/s x 3")
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--out", default="benchmarks/ENGINES.md")
    args = ap.parse_args(argv)
    if not args.citus_url or not args.timescale_url:
        ap.error(
            "set --citus-url and --timescale-url (or REGISTRY_SQL_CITUS_URL / "
            "REGISTRY_SQL_TIMESCALE_URL): both databases are wiped"
        )
    citus = normalize_url(args.citus_url)
    tsdb = normalize_url(args.timescale_url)
    single = _single_url(args.single_url)

    results: dict[str, dict[str, Any]] = {}
    for name, url, is_citus in (("single PostgreSQL", single, False), ("Citus", citus, True)):
        print(f"{name}: wipe, migrate{', distribute' if is_citus else ''}", flush=True)
        _prepare(url, citus=is_citus)
        tenants = _load_tenants(url, args.tenants, args.runs)
        rows, seconds = _ingest(url, tenants, args.points)
        lat = _latencies(url, tenants, args.calls)
        results[name] = {"rows": rows, "seconds": seconds, "lat": lat}
        print(f"  ingest {rows} rows in {seconds:.2f}s; latency done", flush=True)

    print("TimescaleDB / single PostgreSQL: health metrics rollups", flush=True)
    _prepare(tsdb, citus=False)
    _prepare(single, citus=False)
    roll = _rollups(tsdb, single, args.hours, args.reps)

    with db.connect(citus, autocommit=True) as conn:
        workers = _one(
            conn.execute("SELECT count(*) FROM pg_dist_node WHERE shouldhaveshards AND isactive")
        )
        citus_version = str(_one(conn.execute("SELECT citus_version()"))).split(" on ")[0]
    with db.connect(tsdb, autocommit=True) as conn:
        ts_version = _one(
            conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
        )

    lines = [
        "# Engine figures (issue 15, point 5)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m benchmarks.engines` on "
        f"{platform.machine()}, {os.cpu_count()} CPUs shared with other work; {citus_version} with "
        f"{workers} workers and the coordinator ON THE SAME MACHINE as the single PostgreSQL "
        f"and TimescaleDB {ts_version}: these figures show the cost and behaviour of the layout, "
        "not the capacity of a real cluster (where each worker has its own CPUs and disks).",
        "",
        f"## mlops: {args.tenants} tenants, {args.runs} runs each, {args.points} steps x 2 metrics",
        "",
        "| | single PostgreSQL | Citus |",
        "|---|---|---|",
    ]
    s, c = results["single PostgreSQL"], results["Citus"]
    lines.append(
        f"| bulk ingest (COPY into mlops.run_metrics), rows/s | {s['rows'] / s['seconds']:,.0f} | "
        f"{c['rows'] / c['seconds']:,.0f} |"
    )
    for query in ("get_metric_history", "list_runs"):
        lines.append(
            f"| `{query}`, tenant set, through the pool: ms p50 / p95 / mean "
            f"({args.calls} calls) | {_summary(s['lat'][query])} | {_summary(c['lat'][query])} |"
        )
    lines += [
        "",
        f"## Per-minute rollup of {args.hours} h of health samples ({roll['rows']:,} rows, "
        "3 metrics, 1/s)",
        "",
        "| | median ms |",
        "|---|---|",
        f"| TimescaleDB continuous aggregate `system_health_metrics_1m` ({roll['buckets'][0]} "
        f"buckets; refreshing it took {roll['refresh_s']:.2f} s) | {roll['cagg_ms']:.2f} |",
        f"| `rollup_health_metrics` (date_bin) on the TimescaleDB hypertable | "
        f"{roll['tsdb_rollup_ms']:.2f} |",
        f"| `rollup_health_metrics` (date_bin) on native partitions, single PostgreSQL "
        f"({roll['buckets'][1]} buckets) | {roll['native_rollup_ms']:.2f} |",
        "",
    ]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
