"""The report: ``RESULTS.md`` (machine, versions, medians, ratios, targets) and ``ratios.png``."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.cases import (
    AIOSQL,
    ASYNCPG,
    OP_BY_KEY,
    OPS,
    ORM,
    PG,
    PG_ASYNC,
    PG_EXECUTEMANY,
    PGBENCH,
    RS,
    RS_ASYNC,
    SA_CORE,
    STACK_NOTES,
)

PG_TXN = "psycopg raw txn"
PG_TXN_ASYNC = "psycopg raw txn async"
STACK_ORDER = (RS, RS_ASYNC, "registry-sql batch", "registry-sql async batch",
               "registry-sql (baseline db.py)",
               "registry-sql async (baseline db.py)", PG_TXN, PG_TXN_ASYNC,
               "psycopg raw pipeline", "psycopg raw pipeline async", PG, PG_ASYNC, AIOSQL,
               ORM, SA_CORE, PG_EXECUTEMANY, ASYNCPG, PGBENCH)

Timings = dict[str, dict[str, list[float]]]


def environment(url: str) -> dict[str, Any]:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    with psycopg.connect(url) as c:
        row = c.execute("SELECT current_setting('server_version'), "
                        "current_setting('shared_buffers'), current_setting('fsync')").fetchone()
    server, shared_buffers, fsync = row if row else ("?", "?", "?")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "postgresql": f"{server} (shared_buffers {shared_buffers}, fsync {fsync})",
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__} implementation)",
        **{dist: version(dist) for dist in (
            "psycopg-pool", "pydantic", "aiosql", "SQLAlchemy", "asyncpg", "registry-sql")},
    }


# ------------------------------------------------------------------------------------ numbers


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def ratio(t: Timings, op: str, stack: str, base: str) -> float | None:
    a, b = t.get(op, {}).get(stack), t.get(op, {}).get(base)
    if not a or not b:
        return None
    return median(a) / median(b)


def _value(op: str, seconds: float) -> str:
    display = OP_BY_KEY[op].display
    if display == "us":
        return f"{seconds * 1e6:,.0f}"
    if display == "ms":
        return f"{seconds * 1e3:,.1f}"
    return f"{1 / seconds:,.0f}"  # rows/s, ops/s


def _unit(op: str) -> str:
    return {"us": "µs/call", "ms": "ms/list", "rows/s": "rows/s", "ops/s": "ops/s"}[
        OP_BY_KEY[op].display]


def _cell(op: str, xs: list[float]) -> str:
    lo, hi = min(xs), max(xs)
    if OP_BY_KEY[op].display in ("rows/s", "ops/s"):
        lo, hi = hi, lo  # a rate: the fastest run is the highest number
    return f"**{_value(op, median(xs))}** ({_value(op, lo)}–{_value(op, hi)})"


def _fmt_ratio(r: float | None) -> str:
    return "–" if r is None else f"{r:.2f}×"


# ------------------------------------------------------------------------------------ targets

# (label, op, stack, base, bound, kind): kind "max" = ratio stack/base <= bound (not slower than);
# "min" = ratio base/stack... expressed as how many times faster `stack` is than `base` >= bound.
TARGETS: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("PK lookup: registry-sql ≤ 1.15 × raw psycopg", "pk_lookup", RS, PG, 1.15, "max"),
    ("PK lookup: registry-sql ≥ 2.5 × faster than the ORM", "pk_lookup", RS, ORM, 2.5, "min"),
    ("list 10,000 rows: registry-sql ≤ 1.35 × raw psycopg", "list_10k", RS, PG, 1.35, "max"),
    ("bulk ingest: registry-sql ≤ 1.15 × raw psycopg binary COPY", "bulk_ingest", RS, PG, 1.15,
     "max"),
    ("bulk ingest: registry-sql ≥ 5 × faster than ORM add_all", "bulk_ingest", RS, ORM, 5.0,
     "min"),
    ("async PK lookup: ≤ 1.2 × raw psycopg async", "pk_lookup", RS_ASYNC, PG_ASYNC, 1.2, "max"),
    ("async list 10,000: ≤ 1.2 × raw psycopg async", "list_10k", RS_ASYNC, PG_ASYNC, 1.2, "max"),
    # The service path (issue 11): "rate" = ops/s of the stack ÷ ops/s of the base >= bound.
    ("pooled PK lookup, transaction(pool): ≥ 0.8 × raw psycopg's transaction", "pool_pk", RS,
     PG_TXN, 0.8, "rate"),
    ("pooled PK lookup, transaction(pool): ≥ 0.5 × raw autocommit pool", "pool_pk", RS, PG, 0.5,
     "rate"),
    ("async pooled PK lookup: ≥ 0.8 × raw async transaction", "pool_pk", RS_ASYNC, PG_TXN_ASYNC,
     0.8, "rate"),
    ("async pooled PK lookup: ≥ 0.5 × raw async autocommit pool", "pool_pk", RS_ASYNC, PG_ASYNC,
     0.5, "rate"),
    ("tenant lookup under RLS, transaction(pool, org_id=): ≥ 0.8 × raw psycopg's transaction",
     "pool_tenant", RS, PG_TXN, 0.8, "rate"),
    ("tenant lookup under RLS: ≥ 0.45 × raw autocommit pool", "pool_tenant", RS, PG, 0.45,
     "rate"),
    ("async tenant lookup: ≥ 0.8 × raw async transaction", "pool_tenant", RS_ASYNC, PG_TXN_ASYNC,
     0.8, "rate"),
    ("async tenant lookup: ≥ 0.45 × raw async autocommit pool", "pool_tenant", RS_ASYNC, PG_ASYNC,
     0.45, "rate"),
    # The same lookups as a batch of one call (batch(pool)): one round trip, like autocommit.
    ("pooled PK lookup, batch(pool) of one call: ≥ 0.5 × raw autocommit pool", "pool_pk",
     "registry-sql batch", PG, 0.5, "rate"),
    ("async pooled PK lookup, abatch(pool) of one call: ≥ 0.5 × raw async autocommit pool",
     "pool_pk", "registry-sql async batch", PG_ASYNC, 0.5, "rate"),
    ("tenant lookup under RLS, batch(pool, org_id=) of one call: ≥ 0.45 × raw autocommit pool",
     "pool_tenant", "registry-sql batch", PG, 0.45, "rate"),
    ("async tenant lookup, abatch(pool, org_id=) of one call: ≥ 0.45 × raw async autocommit "
     "pool", "pool_tenant", "registry-sql async batch", PG_ASYNC, 0.45, "rate"),
    ("three-query request: ≤ 1.2 × raw psycopg one by one (time)", "pool_request", RS, PG_TXN,
     1.2, "max"),
    ("async three-query request: ≤ 1.2 × raw async one by one (time)", "pool_request", RS_ASYNC,
     PG_TXN_ASYNC, 1.2, "max"),
    ("three-query request with batch(): ≥ 1.5 × raw psycopg one by one", "pool_request",
     "registry-sql batch", PG_TXN, 1.5, "rate"),
    ("async three-query request with abatch(): ≥ 1.5 × raw async one by one", "pool_request",
     "registry-sql async batch", PG_TXN_ASYNC, 1.5, "rate"),
    # Not registry-sql's: what psycopg's pipeline mode itself reaches here, BEGIN + the three
    # statements + COMMIT in one round trip (the most any batch on psycopg can send at once).
    ("reference, raw psycopg: one pipeline ≥ 1.5 × raw one by one", "pool_request",
     "psycopg raw pipeline", PG_TXN, 1.5, "rate"),
    ("reference, raw psycopg async: one pipeline ≥ 1.5 × raw one by one", "pool_request",
     "psycopg raw pipeline async", PG_TXN_ASYNC, 1.5, "rate"),
)


def targets(t: Timings) -> list[tuple[str, str, bool | None]]:
    out: list[tuple[str, str, bool | None]] = []
    for label, op, stack, base, bound, kind in TARGETS:
        r = ratio(t, op, stack, base)
        if r is None:
            out.append((label, "not measured", None))
        elif kind == "rate":
            out.append((label, f"{1 / r:.2f}× the ops/s", 1 / r >= bound))
        elif kind == "max":
            out.append((label, f"{r:.2f}×", r <= bound))
        else:
            out.append((label, f"{1 / r:.2f}× faster", 1 / r >= bound))
    rows = t.get("bulk_ingest", {}).get(RS)
    if rows:
        rate = 1 / median(rows)
        out.append(("bulk ingest: registry-sql ≥ 100,000 rows/s", f"{rate:,.0f} rows/s",
                    rate >= 100_000))
    else:
        out.append(("bulk ingest: registry-sql ≥ 100,000 rows/s", "not measured", None))
    return out


# ------------------------------------------------------------------------------------ chart


def chart(t: Timings, path: Path) -> None:
    """Grouped bars: each stack's median time relative to the floor of its operation (log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = [op for op in OPS if op.key in t]
    stacks = [s for s in STACK_ORDER if s != PG and any(s in t[op.key] for op in ops)]
    fig, ax = plt.subplots(figsize=(13, 6.5))
    width = 0.8 / max(len(stacks), 1)
    for i, stack in enumerate(stacks):
        xs, ys = [], []
        for j, op in enumerate(ops):
            r = ratio(t, op.key, stack, op.floor)
            if r is not None:
                xs.append(j + (i - (len(stacks) - 1) / 2) * width)
                ys.append(r)
        ax.bar(xs, ys, width, label=stack)
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_yscale("log")
    ax.set_xticks(range(len(ops)))
    ax.set_xticklabels([op.key.replace("_", " ") for op in ops])
    ax.set_ylabel("median time ÷ raw psycopg (prepared, tuples); log scale, lower is faster")
    ax.set_title("registry-sql and peers, relative to raw psycopg (1.0 = the floor)")
    ax.legend(fontsize=8, ncol=3)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------ markdown


def markdown(result: dict[str, Any], chart_name: str) -> str:
    t: Timings = result["timings"]
    p = result["params"]
    env = result["environment"]
    lines = [
        "# Benchmarks: registry-sql beside its peers",
        "",
        "Generated by `make bench` (`python -m benchmarks.run`); do not edit by hand. "
        "How it works and what each stack does: `benchmarks/README.md`.",
        "",
        f"Data set: {p['size']:,} packages with scores, {p['size'] * 108 // 100:,} lineage edges "
        f"(approx.), {p['size'] * 3:,} download events. {p['reps']} interleaved repetitions "
        "after a warm-up round (A B C … A B C …); cells are the **median** and the (min–max) of "
        "the repetitions.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in env.items()],
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for label, measured, ok in targets(t):
        lines.append(f"| {label} | {measured} | {'–' if ok is None else ('yes' if ok else 'NO')} |")
    lines += ["", "## Medians", ""]
    stacks = [s for s in STACK_ORDER if any(s in t.get(op.key, {}) for op in OPS)]
    lines.append("| operation | unit | " + " | ".join(stacks) + " |")
    lines.append("|---|---|" + "---|" * len(stacks))
    for op in OPS:
        if op.key not in t:
            continue
        cells = [_cell(op.key, t[op.key][s]) if s in t[op.key] else "" for s in stacks]
        lines.append(f"| {op.title} | {_unit(op.key)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Per operation: {p['lookups']:,} sequential calls (lookups); one list of "
        f"{p['list_rows']:,} rows; up to {p['search_pages']} keyset pages of 50 "
        f"(µs per page); {p['inserts']} single-row inserts in one transaction; "
        f"{p['ingest_rows']:,} rows ingested in one transaction; {p['lineage_calls']} "
        f"traversals; {p['workers']} workers for {p['throughput_seconds']:g} s. Writes are "
        "rolled back, so every repetition sees the same data.",
        "",
        "## Ratios",
        "",
        "Median time ÷ the floor's (raw psycopg; for async stacks also raw psycopg async), and "
        "the ORM's median time ÷ this stack's (how many times faster than the ORM).",
        "",
        "| operation | stack | ÷ raw psycopg | ÷ raw psycopg async | ÷ raw psycopg txn "
        "(pooled ops; async: ÷ raw async txn) | × faster than ORM |",
        "|---|---|---|---|---|---|",
    ]
    for op in OPS:
        if op.key not in t:
            continue
        for s in stacks:
            if s not in t[op.key]:
                continue
            r_orm = ratio(t, op.key, ORM, s)
            txn = PG_TXN_ASYNC if "async" in s else PG_TXN
            lines.append(
                f"| {op.key} | {s} | {_fmt_ratio(ratio(t, op.key, s, PG))} | "
                f"{_fmt_ratio(ratio(t, op.key, s, PG_ASYNC))} | "
                f"{_fmt_ratio(ratio(t, op.key, s, txn))} | {_fmt_ratio(r_orm)} |"
            )
    lines += ["", f"![ratios to the floor]({chart_name})", ""]
    if result.get("memory"):
        lines += [
            "## Memory (peak RSS)",
            "",
            "Each probe runs in a fresh process; Δ peak = peak resident set during the work "
            "minus the resident set just before it.",
            "",
            "| path | rows | seconds | Δ peak RSS |",
            "|---|---|---|---|",
        ]
        for m in result["memory"]:
            lines.append(f"| {m['title']} | {m['rows']:,} | {m['seconds']:.2f} | "
                         f"{m['peak_rss_delta_mb']:.1f} MB |")
        lines.append("")
    if result.get("pgbench_error"):
        lines += [f"pgbench: {result['pgbench_error']}", ""]
    lines += ["## Stacks", "", "| stack | what it is |", "|---|---|"]
    lines += [f"| {s} | {STACK_NOTES[s]} |" for s in stacks]
    notes = result.get("notes")
    if notes:
        lines += ["", "## Notes", "", notes]
    lines.append("")
    return "\n".join(lines)


def write(result: dict[str, Any], out: Path, chart_path: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    chart(result["timings"], chart_path)
    name = os.path.relpath(chart_path, out.parent)
    out.write_text(markdown(result, name))
