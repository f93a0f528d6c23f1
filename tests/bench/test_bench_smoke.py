"""Smoke run of the benchmark harness (``make bench`` itself is not part of ``make test``).

The whole harness runs once, tiny (500 packages, 1 repetition, a fraction of a second per
throughput case), against a fresh clone of the migrated template, and must write a report and a
chart that cover every operation x stack. It checks the harness, not the speed: performance is
measured by ``make bench`` and never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

READ_STACKS = (
    "registry-sql", "registry-sql async", "psycopg raw", "psycopg raw async", "aiosql",
    "SQLAlchemy ORM", "asyncpg raw",
)
EXPECTED: dict[str, tuple[str, ...]] = {
    "pk_lookup": READ_STACKS,
    "unique_lookup": READ_STACKS,
    "list_10k": READ_STACKS,
    "search": READ_STACKS,
    "insert": READ_STACKS,
    "bulk_ingest": (
        "registry-sql", "registry-sql async", "psycopg raw", "psycopg raw async",
        "psycopg executemany", "SQLAlchemy ORM", "SQLAlchemy Core", "asyncpg raw",
    ),
    "lineage": READ_STACKS,
    "throughput": (*READ_STACKS, "pgbench -S"),
    "pool_pk": (
        "registry-sql", "registry-sql async", "psycopg raw txn", "psycopg raw txn async",
        "psycopg raw", "psycopg raw async", "aiosql", "SQLAlchemy ORM",
    ),
    "pool_tenant": (
        "registry-sql", "registry-sql async", "psycopg raw txn", "psycopg raw txn async",
        "psycopg raw", "psycopg raw async", "aiosql", "SQLAlchemy ORM",
    ),
    "pool_request": (
        "registry-sql", "registry-sql async", "registry-sql batch", "registry-sql async batch",
        "psycopg raw txn", "psycopg raw txn async", "aiosql", "SQLAlchemy ORM",
    ),
}


def test_bench_smoke(migrated_url: str, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    raw = tmp_path / "raw.json"
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [
            sys.executable, "-m", "benchmarks.run", "--url", migrated_url, "--in-place",
            "--dbname", f"bench_{uuid.uuid4().hex[:8]}", "--pgbench-scale", "1",
            "--size", "500", "--reps", "1", "--lookups", "40", "--list-rows", "200",
            "--search-pages", "3", "--inserts", "10", "--ingest-rows", "300",
            "--lineage-calls", "5", "--throughput-seconds", "0.3", "--service-seconds", "0.2",
            "--memory-rows", "2000",
            "--out", str(out), "--json", str(raw), "--quiet",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    report = out.read_text()
    chart = tmp_path / "ratios.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](ratios.png)" in report
    timings = json.loads(raw.read_text())["timings"]
    for op, stacks in EXPECTED.items():
        for stack in stacks:
            assert timings.get(op, {}).get(stack), f"{op} x {stack} was not measured"
            assert f"| {op} | {stack} |" in report, f"{op} x {stack} missing from the report"
    for heading in ("## Machine", "## Targets", "## Medians", "## Ratios", "## Memory"):
        assert heading in report
