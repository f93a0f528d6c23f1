"""Validation claims of ``splunk_ta``: how fast 16 workers claim runs with at most N running.

``python -m benchmarks.splunk_ta`` (also run by ``make bench``). Against one PostgreSQL server
(``--url``, else ``DATABASE_URL``, else the embedded PostgreSQL 18), in a database of its own
(``registry_sql_bench_splunk_ta``, created afresh and migrated; ``--in-place`` uses the URL's
database as it is, migrated by this run). It queues ``--runs`` validation runs, sets
``max_parallel_validations`` to ``--max-parallel`` and starts ``--workers`` threads, each with
its own connection, as a sandbox worker would: claim (``splunk_ta.start_validation`` in its own
transaction), hold the run ``--hold-ms``, complete it (``complete_validation``), repeat until
the queue is empty. A sampler thread reads ``count_running_validations`` in a loop.

It reports claims per second (successful claims / wall time), the refused claims (none free or
limit reached), and the highest running count seen by the sampler and by the workers right
after a claim: it must never pass N. Results: ``--out`` (Markdown) and the last line of stdout
(JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

from registry_sql import core, migrate, splunk_ta
from registry_sql.db import transaction
from registry_sql.settings import normalize_url
from registry_sql.splunk_ta import RequestStatus, TaRevisionType, ValidationStatus

DEFAULT_DBNAME = "registry_sql_bench_splunk_ta"


@dataclass(frozen=True)
class Result:
    workers: int
    max_parallel: int
    runs: int
    hold_ms: float
    seconds: float
    claims: int
    claims_per_second: float
    refused_claims: int
    max_running_sampled: int
    max_running_after_claim: int
    samples: int
    server_version: str


def _server_url(arg: str | None) -> str:
    if arg:
        return normalize_url(arg)
    env = os.environ.get("DATABASE_URL")
    if env:
        return normalize_url(env)
    from registry_sql.server import embedded_url

    return embedded_url()


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))


def fresh_database(server_url: str, dbname: str) -> str:
    """Drop and create ``dbname`` on the server, migrate it, return its URL."""
    with psycopg.connect(server_url, autocommit=True) as c:
        c.execute(
            pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(dbname))
        )
        c.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(dbname)))
    url = _with_dbname(server_url, dbname)
    migrate.apply(url)
    return url


def prepare(url: str, runs: int, max_parallel: int) -> uuid.UUID:
    """A request in validation with one revision and ``runs`` queued runs; N = max_parallel."""
    with psycopg.connect(url, autocommit=True) as c, transaction(c):
        user = core.create_user(
            c,
            username=f"bench-{uuid.uuid4().hex[:8]}",
            email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
            auth_provider=core.AuthProvider.OIDC,
        )
        r = splunk_ta.create_request(c, requester_id=user.id, title="benchmark")
        splunk_ta.submit_request(c, id=r.id, submitted_by=user.id)
        splunk_ta.approve_request(c, id=r.id, approver_id=user.id)
        splunk_ta.update_request_status(
            c, id=r.id, expected_status=RequestStatus.APPROVED, status=RequestStatus.GENERATING_TA
        )
        rev = splunk_ta.create_ta_revision(
            c, request_id=r.id, revision_type=TaRevisionType.AUTO, storage_key="bench.tgz"
        )
        for _ in range(runs):
            splunk_ta.queue_validation(c, request_id=r.id, ta_revision_id=rev.id)
        splunk_ta.set_max_parallel_validations(c, value=max_parallel)
    return r.id


def measure(url: str, *, workers: int, max_parallel: int, runs: int, hold_ms: float) -> Result:
    request_id = prepare(url, runs, max_parallel)
    lock = threading.Lock()
    claimed: set[uuid.UUID] = set()
    after_claim: list[int] = []
    refused = [0]
    samples: list[int] = []
    done = threading.Event()
    start = threading.Barrier(workers + 2)  # the workers, the sampler, this thread
    errors: list[BaseException] = []

    def sampler() -> None:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("SELECT 1")
            start.wait()
            while not done.is_set():
                samples.append(splunk_ta.count_running_validations(c))

    def worker(i: int) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as c:
                c.execute("SELECT 1")
                start.wait()
                while not done.is_set():  # set when another worker failed
                    with transaction(c):
                        run = splunk_ta.start_validation(c, sandbox_id=f"bench-{i}")
                    if run is None:
                        with lock:
                            refused[0] += 1
                            if len(claimed) >= runs:
                                return
                        time.sleep(0.0005)
                        continue
                    running = splunk_ta.count_running_validations(c)
                    with lock:
                        if run.id in claimed:
                            raise AssertionError(f"run {run.id} claimed twice")
                        claimed.add(run.id)
                        after_claim.append(running)
                    if hold_ms:
                        time.sleep(hold_ms / 1000)
                    with transaction(c):
                        splunk_ta.complete_validation(c, id=run.id, status=ValidationStatus.PASSED)
        except BaseException as exc:  # reported after the run
            errors.append(exc)
            done.set()

    sampling = threading.Thread(target=sampler)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    sampling.start()
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    done.set()
    sampling.join()
    if errors:
        raise errors[0]
    with psycopg.connect(url, autocommit=True) as c:
        left = splunk_ta.list_validation_runs_for_request(c, request_id=request_id)
        version = str(c.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    if len(claimed) != runs or any(x.status != ValidationStatus.PASSED for x in left):
        raise AssertionError(f"{len(claimed)} of {runs} runs were started exactly once")
    return Result(
        workers=workers,
        max_parallel=max_parallel,
        runs=runs,
        hold_ms=hold_ms,
        seconds=round(seconds, 3),
        claims=len(claimed),
        claims_per_second=round(len(claimed) / seconds, 1),
        refused_claims=refused[0],
        max_running_sampled=max(samples, default=0),
        max_running_after_claim=max(after_claim, default=0),
        samples=len(samples),
        server_version=version,
    )


def report(results: list[Result]) -> str:
    lines = [
        "# splunk_ta: validation claims (`python -m benchmarks.splunk_ta`)",
        "",
        "Each worker: `start_validation` in its own transaction, hold the run, "
        "`complete_validation`. Claims/s = successful claims / wall time. The highest running "
        "count must never pass N (max_parallel_validations).",
        "",
        "| workers | N | runs | hold | seconds | claims/s | refused claims | max running "
        "(sampler) | max running (after a claim) | samples | server |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.workers} | {r.max_parallel} | {r.runs} | {r.hold_ms:g} ms | {r.seconds:.2f} "
            f"| {r.claims_per_second:.0f} | {r.refused_claims} | {r.max_running_sampled} "
            f"| {r.max_running_after_claim} | {r.samples} | PostgreSQL {r.server_version} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.splunk_ta",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--url", default=None, help="server URL (default DATABASE_URL, else embedded)")
    ap.add_argument("--dbname", default=DEFAULT_DBNAME, help="database created on the server")
    ap.add_argument("--in-place", action="store_true", help="use the URL's database itself")
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--max-parallel", type=int, default=3)
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument(
        "--hold-ms", default="0,5", help="comma-separated hold times per run, one measurement each"
    )
    ap.add_argument("--out", type=Path, default=None, help="Markdown report (default: none)")
    a = ap.parse_args(argv)
    url = _server_url(a.url)
    if not a.in_place:
        url = fresh_database(url, a.dbname)
    else:
        migrate.apply(url)
    results = [
        measure(url, workers=a.workers, max_parallel=a.max_parallel, runs=a.runs, hold_ms=float(h))
        for h in a.hold_ms.split(",")
    ]
    text = report(results)
    print(text, flush=True)
    if a.out is not None:
        a.out.write_text(text, encoding="utf-8")
    out = {"results": [asdict(r) for r in results]}
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
