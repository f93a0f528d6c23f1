"""Run the benchmark and write the report: ``python -m benchmarks.run --size N --reps R --out F``.

Against one PostgreSQL server: ``--url``, else ``DATABASE_URL``, else the embedded PostgreSQL 18
(:func:`registry_sql.server.embedded_url`). On that server it creates (once) the database
``--dbname`` (default ``registry_sql_bench``), migrates it and seeds ``--size`` packages
(:mod:`benchmarks.seed`); a database seeded with another size is dropped and rebuilt. With
``--in-place`` the URL's own database is used instead (it must be migrated and empty, or seeded
with the same size; the smoke test uses this).

Every case (operation x stack) runs once to warm up, then ``--reps`` rounds run every case in
turn (A B C A B C ...), so a disturbance on a busy machine hits every stack alike. The report
gives medians, min-max, ratios to the floor and to the ORM, and the chart.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

from benchmarks import cases, report, seed
from benchmarks.cases import PGBENCH, Context, Params
from registry_sql import migrate
from registry_sql.settings import normalize_url

DEFAULT_DBNAME = "registry_sql_bench"
WARM_UP_SECONDS = 0.3  # each timed case in the warm-up round
NOTES = Path(__file__).with_name("notes.md")


def _server_url(arg: str | None) -> str:
    if arg:
        return normalize_url(arg)
    env = os.environ.get("DATABASE_URL")
    if env:
        return normalize_url(env)
    from registry_sql.server import embedded_url

    return embedded_url()


def _with_dbname(url: str, dbname: str) -> str:
    """The same ``postgresql://`` URL with another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))


def prepare_database(url: str, dbname: str | None, size: int, log: Any) -> str:
    """The URL of a migrated database seeded with ``size`` packages (created when needed)."""
    if dbname is not None:
        with psycopg.connect(url, autocommit=True) as c:
            exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            target = _with_dbname(url, dbname)
            if exists:
                with psycopg.connect(target, autocommit=True) as t:
                    migrated = t.execute(
                        "SELECT to_regclass('model_registry.packages') IS NOT NULL"
                    ).fetchone()
                    have = seed.seeded_size(t) if migrated and migrated[0] else -1
                if have == size:
                    log(f"database {dbname} already holds the data set ({size} packages)")
                    return target
                log(f"dropping database {dbname} (holds {have} packages, want {size})")
                c.execute(pgsql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                    pgsql.Identifier(dbname)))
            c.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(dbname)))
        url = target
    start = time.perf_counter()
    migrate.apply(url)
    log(f"migrated in {time.perf_counter() - start:.1f} s")
    with psycopg.connect(url, autocommit=True) as c:
        have = seed.seeded_size(c)
        if have == size:
            return url
        if have:
            raise SystemExit(
                f"{url}: the database holds {have} generated packages, not {size}; "
                "use another database (--dbname) or the same --size"
            )
        start = time.perf_counter()
        steps = seed.seed(c, size)
        detail = ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
        log(f"seeded {size} packages in {time.perf_counter() - start:.1f} s ({detail})")
    return url


# ------------------------------------------------------------------------------------ pgbench


def pgbench_bin() -> str | None:
    from registry_sql.server import embedded_bindir

    emb = embedded_bindir()
    if emb is not None and (emb / "pgbench").is_file():
        return str(emb / "pgbench")
    return shutil.which("pgbench")


def _pgbench_env(url: str) -> tuple[list[str], dict[str, str]]:
    params = conninfo_to_dict(url)
    args: list[str] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, flag in (("host", "-h"), ("port", "-p"), ("user", "-U")):
        if params.get(key):
            args += [flag, str(params[key])]
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    return args, env


class Pgbench:
    """``pgbench -S`` in its own database (``<dbname>_pgbench``) on the same server."""

    def __init__(
        self, server_url: str, dbname: str, workers: int, seconds: float, scale: int = 10
    ) -> None:
        self.exe = pgbench_bin()
        self.dbname = dbname
        self.url = _with_dbname(server_url, dbname)
        self.server_url = server_url
        self.workers, self.seconds, self.scale = workers, seconds, scale
        self.error: str | None = None if self.exe else "pgbench not found"

    def init(self) -> None:
        if self.exe is None:
            return
        try:
            with psycopg.connect(self.server_url, autocommit=True) as c:
                if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                 (self.dbname,)).fetchone():
                    c.execute(pgsql.SQL("CREATE DATABASE {}").format(
                        pgsql.Identifier(self.dbname)))
            with psycopg.connect(self.url, autocommit=True) as c:
                ready = c.execute("SELECT to_regclass('pgbench_accounts') IS NOT NULL").fetchone()
            if ready and ready[0]:
                return
            args, env = _pgbench_env(self.url)
            subprocess.run(
                [self.exe, "-i", "-q", "-s", str(self.scale), *args, self.dbname],
                env=env, check=True, capture_output=True, text=True, timeout=600,
            )
        except (psycopg.Error, subprocess.SubprocessError, OSError) as e:
            self.error = f"pgbench -i failed: {e}"

    def run(self) -> int:
        """Transactions done in ``seconds`` (0 when pgbench is unavailable)."""
        if self.exe is None or self.error:
            return 0
        args, env = _pgbench_env(self.url)
        secs = max(1, round(self.seconds))
        proc = subprocess.run(
            [self.exe, "-S", "-M", "prepared", "-n", "-c", str(self.workers), "-j",
             str(min(self.workers, os.cpu_count() or 1)), "-T", str(secs), *args, self.dbname],
            env=env, capture_output=True, text=True, timeout=secs + 120, check=False,
        )
        m = re.search(r"number of transactions actually processed: (\d+)", proc.stdout)
        if proc.returncode != 0 or not m:
            self.error = f"pgbench -S failed: {(proc.stderr or proc.stdout).strip()[-300:]}"
            return 0
        return int(m.group(1))


# ------------------------------------------------------------------------------------ memory


def memory_probes(url: str, p: Params, memory_rows: int, log: Any) -> list[dict[str, Any]]:
    """Peak RSS of ingest/export paths, each in a fresh process (``benchmarks.memory``)."""
    probes = [
        ("copy_stream", p.ingest_rows), ("copy_stream", memory_rows), ("copy_list", p.ingest_rows),
        ("orm_add_all", p.ingest_rows), ("export_stream", p.size), ("export_fetch_all", p.size),
    ]
    out = []
    for case, rows in dict.fromkeys(probes):
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", case, url, str(rows)],
            capture_output=True, text=True, check=False, timeout=1800,
        )
        if proc.returncode != 0:
            log(f"memory probe {case} failed: {proc.stderr.strip()[-500:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        log(f"memory {case} {rows} rows: {result['seconds']:.2f} s, "
            f"peak +{result['peak_rss_delta_mb']:.0f} MB")
        out.append(result)
    return out


# ------------------------------------------------------------------------------------ main


def run(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000, help="packages in the data set")
    ap.add_argument("--reps", type=int, default=5, help="interleaved repetitions (after warm-up)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/RESULTS.md"))
    ap.add_argument("--chart", type=Path, default=None,
                    help="PNG path (default: ratios.png next to --out)")
    ap.add_argument("--url", default=None, help="server URL (default DATABASE_URL, else embedded)")
    ap.add_argument("--dbname", default=DEFAULT_DBNAME, help="database created on the server")
    ap.add_argument("--in-place", action="store_true",
                    help="use the URL's database itself (migrated, empty or seeded)")
    ap.add_argument("--lookups", type=int, default=2_000)
    ap.add_argument("--list-rows", type=int, default=10_000)
    ap.add_argument("--search-pages", type=int, default=10)
    ap.add_argument("--inserts", type=int, default=500)
    ap.add_argument("--ingest-rows", type=int, default=50_000)
    ap.add_argument("--lineage-calls", type=int, default=200)
    ap.add_argument("--throughput-seconds", type=float, default=2.0)
    ap.add_argument("--service-seconds", type=float, default=1.0,
                    help="seconds of each pooled service case (pool_pk, pool_tenant, pool_request)")
    ap.add_argument("--pgbench-scale", type=int, default=10, help="pgbench -i scale")
    ap.add_argument("--memory-rows", type=int, default=1_000_000,
                    help="rows of the large streaming-ingest memory probe (0: skip memory)")
    ap.add_argument("--only", default="", help="comma-separated operations (default: all)")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw timings")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)

    def log(msg: str) -> None:
        if not a.quiet:
            print(f"[bench] {msg}", file=sys.stderr, flush=True)

    server = _server_url(a.url)
    url = prepare_database(server, None if a.in_place else a.dbname, a.size, log)
    p = Params(
        size=a.size, lookups=a.lookups, list_rows=min(a.list_rows, a.size),
        search_pages=a.search_pages, inserts=a.inserts, ingest_rows=a.ingest_rows,
        lineage_calls=a.lineage_calls, throughput_seconds=a.throughput_seconds,
        service_seconds=a.service_seconds,
    )
    only = {s for s in a.only.split(",") if s}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    ctx = Context(url=url, p=p, inp=cases.make_inputs(p), loop=loop, only=only)
    ctx.open()
    pgbench = Pgbench(server, f"{a.dbname}_pgbench", p.workers, p.throughput_seconds,
                      a.pgbench_scale)
    all_cases = [c for c in cases.build_cases(ctx) if not only or c.op in only]
    if not only or "throughput" in only:
        pgbench.init()
        if pgbench.error:
            log(pgbench.error)

    timings: dict[str, dict[str, list[float]]] = {}  # op -> stack -> seconds per unit

    def once(case: cases.Case) -> tuple[float, int]:
        gc.collect()
        start = time.perf_counter()
        if case.is_async:
            units = loop.run_until_complete(cast(Awaitable[int], case.fn()))
        else:
            units = cast(int, case.fn())
        return time.perf_counter() - start, units

    try:
        # The warm-up fills pools and statement caches; the timed cases (throughput, service)
        # need a fraction of a second of it, not their full duration.
        log(f"warm-up: {len(all_cases)} cases")
        timed = (p.throughput_seconds, p.service_seconds)
        p.throughput_seconds = min(p.throughput_seconds, WARM_UP_SECONDS)
        p.service_seconds = min(p.service_seconds, WARM_UP_SECONDS)
        try:
            for case in all_cases:
                once(case)
        finally:
            p.throughput_seconds, p.service_seconds = timed
        for rep in range(1, a.reps + 1):
            started = time.perf_counter()
            for case in all_cases:
                seconds, units = once(case)
                timings.setdefault(case.op, {}).setdefault(case.stack, []).append(
                    seconds / max(units, 1))
                if case.op == "throughput" and case.stack == cases.ASYNCPG:
                    # pgbench last in the throughput round, same duration
                    done = pgbench.run()
                    if done:
                        timings["throughput"].setdefault(PGBENCH, []).append(
                            max(1, round(p.throughput_seconds)) / done)
            log(f"rep {rep}/{a.reps} done in {time.perf_counter() - started:.1f} s")
    finally:
        cases.close_pools(loop)
        ctx.close()
        loop.close()

    memory = memory_probes(url, p, a.memory_rows, log) if a.memory_rows > 0 else []
    result = {
        "params": vars(p) | {"reps": a.reps, "memory_rows": a.memory_rows},
        "timings": timings,
        "memory": memory,
        "environment": report.environment(url),
        "pgbench_error": pgbench.error,
        "notes": NOTES.read_text() if NOTES.is_file() else "",
    }
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(result, indent=1, default=str))
    chart = a.chart or a.out.with_name("ratios.png")
    report.write(result, a.out, chart)
    log(f"wrote {a.out} and {chart}")
    return result


if __name__ == "__main__":
    run()
