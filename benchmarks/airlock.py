"""Airlock benchmarks: ``python -m benchmarks.airlock [--url URL] [--out FILE]``.

Two measurements, each beside the same work done by a Python loop of single statements:

* **lockfile ingest** (rows/s): a 10,000-entry ``package-lock.json`` (v3; scoped, nested,
  duplicates) becomes its deduplicated requests, one pending workflow and one usage row each.
  ``submit_lockfile`` does it in ONE set-based statement; the loop parses the JSON in Python and
  sends one ``INSERT`` per row (``create_submission``, then per request
  ``create_package_request`` + ``create_workflow`` + ``record_package_usage``), in one
  transaction. Rows/s counts requests (each with its workflow and usage row).
* **work queue** (claims/s): 8 worker threads, each with its own connection, claim pending
  workflows until none is left: ``claim_next_workflows(limit=N)`` (FOR UPDATE SKIP LOCKED, one
  transaction per batch), beside the same workers claiming one workflow per transaction
  (``limit=1``: the loop of single-row claims).

Against ``--url``, else ``DATABASE_URL``, else the embedded PostgreSQL 18. A database
``--dbname`` (default ``registry_sql_bench_airlock``) is dropped, created and migrated; with
``--in-place`` the URL's own migrated database is used (the smoke test). Every case runs once to
warm up, then ``--reps`` rounds; the report gives medians and min-max. Timings include the
client round trips (the server is local: Unix socket). The airlock tables are vacuumed (untimed)
before every run, so the previous runs' deleted rows do not slow the next one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

from registry_sql import airlock, core, migrate
from registry_sql.core import AuthProvider
from registry_sql.db import transaction
from registry_sql.seeds.airlock_lockfiles import lockfile_v3
from registry_sql.settings import normalize_url

DEFAULT_DBNAME = "registry_sql_bench_airlock"


def _server_url(arg: str | None) -> str:
    import os

    if arg:
        return normalize_url(arg)
    if os.environ.get("DATABASE_URL"):
        return normalize_url(os.environ["DATABASE_URL"])
    from registry_sql.server import embedded_url

    return embedded_url()


def _fresh_database(url: str, dbname: str) -> str:
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(dbname)))
        c.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(dbname)))
    parts = urlsplit(url)
    db_url = urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))
    migrate.apply(db_url)
    return db_url


def _requests_in_python(lock: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """What the loop sends: distinct (name, version) with the first integrity seen."""
    seen: dict[tuple[str, str], str | None] = {}
    for path, entry in lock["packages"].items():
        if "node_modules/" not in path or entry.get("link"):
            continue
        key = (entry.get("name") or path.split("node_modules/")[-1], entry["version"])
        seen.setdefault(key, entry.get("integrity"))
    return [(n, v, i) for (n, v), i in sorted(seen.items())]


def ingest_set_based(conn: psycopg.Connection[Any], user: uuid.UUID,
                     lock: dict[str, Any]) -> tuple[float, int, uuid.UUID]:
    t0 = time.perf_counter()
    with transaction(conn):
        row = airlock.submit_lockfile(conn, user_id=user, package_lock_json=lock)
    return time.perf_counter() - t0, row.request_count, row.submission_id


def ingest_python_loop(conn: psycopg.Connection[Any], user: uuid.UUID,
                       lock: dict[str, Any]) -> tuple[float, int, uuid.UUID]:
    t0 = time.perf_counter()
    with transaction(conn):
        sub = airlock.create_submission(conn, user_id=user, package_lock_json=lock)
        n = 0
        for name, version, integrity in _requests_in_python(lock):
            req = airlock.create_package_request(conn, submission_id=sub.id, package_name=name,
                                                 package_version=version, integrity=integrity)
            airlock.create_workflow(conn, package_request_id=req.id)
            airlock.record_package_usage(conn, package_request_id=req.id,
                                         project_name=sub.project_name,
                                         project_version=sub.project_version)
            n += 1
    return time.perf_counter() - t0, n, sub.id


def _queue(conn: psycopg.Connection[Any], user: uuid.UUID, workflows: int) -> uuid.UUID:
    lock = {"name": "bench-queue", "version": "1.0.0", "lockfileVersion": 3,
            "packages": {f"node_modules/q-{i:06d}": {"version": "1.0.0"}
                         for i in range(workflows)}}
    with transaction(conn):
        return airlock.submit_lockfile(conn, user_id=user, package_lock_json=lock).submission_id


def _vacuum(conn: psycopg.Connection[Any]) -> None:
    """Untimed, before every run: the previous runs' deleted rows would otherwise sit in the
    indexes (the queue's scan walks them) until autovacuum, and the figures would depend on
    its timing. A production queue relies on autovacuum the same way."""
    conn.execute("VACUUM (ANALYZE) airlock.workflows, airlock.package_requests,"
                 " airlock.package_submissions, airlock.package_usage")


def claim_all(url: str, workers: int, batch: int) -> tuple[float, int]:
    start = threading.Barrier(workers + 1)

    def worker(_: int) -> int:
        got = 0
        with psycopg.connect(url) as c:
            start.wait()
            while True:
                with transaction(c):
                    claimed = airlock.claim_next_workflows(c, limit=batch)
                if not claimed:
                    return got
                got += len(claimed)

    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(worker, i) for i in range(workers)]
        start.wait()
        t0 = time.perf_counter()
        total = sum(f.result() for f in futures)
    return time.perf_counter() - t0, total


def run(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.airlock", description=__doc__)
    ap.add_argument("--url", default=None, help="server URL (default DATABASE_URL, else embedded)")
    ap.add_argument("--dbname", default=DEFAULT_DBNAME)
    ap.add_argument("--in-place", action="store_true", help="use the URL's migrated database")
    ap.add_argument("--entries", type=int, default=10_000, help="lockfile entries (ingest)")
    ap.add_argument("--workflows", type=int, default=4_000, help="workflows to claim per run")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--batch", type=int, default=10, help="claim_next_workflows(limit=...)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="write a Markdown report here")
    args = ap.parse_args(argv)

    url = normalize_url(args.url) if args.in_place else _fresh_database(
        _server_url(args.url), args.dbname)
    lock = lockfile_v3(args.entries, name="bench-monorepo", seed=11)
    with psycopg.connect(url, autocommit=True) as conn:
        user = core.create_user(conn, username=f"bench-{uuid.uuid4().hex[:8]}",
                                email="bench@example.com", auth_provider=AuthProvider.OIDC).id

        def ingest(fn: Callable[..., tuple[float, int, uuid.UUID]]) -> list[float]:
            rates = []
            for rep in range(args.reps + 1):
                _vacuum(conn)
                secs, rows, sub = fn(conn, user, lock)
                airlock.delete_submission(conn, id=sub)
                if rep:  # the first run warms up
                    rates.append(rows / secs)
            return rates

        results: dict[str, Any] = {"entries": args.entries, "requests": 0, "cases": {}}
        results["requests"] = len(_requests_in_python(lock))
        results["cases"]["ingest: submit_lockfile (one statement)"] = ingest(ingest_set_based)
        results["cases"]["ingest: Python loop of single INSERTs"] = ingest(ingest_python_loop)

        for label, batch in ((f"queue: {args.workers} workers, claim_next_workflows(limit="
                              f"{args.batch})", args.batch),
                             (f"queue: {args.workers} workers, one claim per transaction "
                              "(limit=1)", 1)):
            rates = []
            for rep in range(args.reps + 1):
                sub = _queue(conn, user, args.workflows)
                _vacuum(conn)
                secs, claimed = claim_all(url, args.workers, batch)
                assert claimed == args.workflows, (claimed, args.workflows)
                airlock.delete_submission(conn, id=sub)
                if rep:
                    rates.append(claimed / secs)
            results["cases"][label] = rates

    lines = [
        "# Airlock benchmarks (`python -m benchmarks.airlock`, part of `make bench`)",
        "",
        f"Lockfile: v3, {args.entries:,} entries, {results['requests']:,} distinct requests "
        f"(each with a workflow and a usage row). Queue: {args.workflows:,} pending workflows, "
        f"{args.workers} worker threads. Median of {args.reps} runs after a warm-up (min-max).",
        "",
        "| case | median | min-max | unit |",
        "|---|---|---|---|",
    ]
    for label, rates in results["cases"].items():
        unit = "requests/s" if label.startswith("ingest") else "claims/s"
        lines.append(f"| {label} | {statistics.median(rates):,.0f} | "
                     f"{min(rates):,.0f}-{max(rates):,.0f} | {unit} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out is not None:
        args.out.write_text(report, encoding="utf-8")
    print(json.dumps({k: statistics.median(v) for k, v in results["cases"].items()}))
    return results


if __name__ == "__main__":
    run()
