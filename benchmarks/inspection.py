"""The cost of the inspection change trail: ``python -m benchmarks.inspection --out F``.

The same operations on the same tables, with the trail's triggers enabled and disabled
(``ALTER TABLE ... DISABLE TRIGGER trg_<table>__trail_*``, which needs the owner or a superuser:
run it as the server's superuser, on a scratch database it creates):

- **single-row update**: ``inspection.update_lot`` in its own committed transaction
  (``transaction(conn, user_id=...)``), ``--updates`` times per round; per-operation time;
- **bulk defect insert**: one inference result of ``--defects`` detections (default 10,000) turned
  into defects by ``inspection.create_defects_from_inference`` (one set-based INSERT ... SELECT)
  in one committed transaction; with the trail on that statement also writes 10,000
  ``core.audit_log`` events.

Rounds alternate on / off (after one warm-up of each) so a disturbance on a busy machine hits both
alike; the report gives medians, min-max and the ratio on / off. Server: ``--url``, else
``DATABASE_URL``, else the embedded PostgreSQL 18. The database ``--dbname`` (default
``registry_sql_bench_inspection``) is dropped and re-created on every run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

from registry_sql import core, inspection, migrate
from registry_sql.db import transaction
from registry_sql.inspection import InspectionType, PartType
from registry_sql.settings import normalize_url

Conn = psycopg.Connection[Any]
DEFAULT_DBNAME = "registry_sql_bench_inspection"
TRAIL_TABLES = ("parts", "lots", "inspections", "defects", "inference_jobs", "artifacts",
                "reports")
PW = "$scrypt$ln=10,r=8,p=1$YmVuY2gtc2FsdA$YmVuY2gtaGFzaC1iZW5jaC1oYXNoLWJlbmNoLWhhc2g"


def _server_url(arg: str | None) -> str:
    if arg:
        return normalize_url(arg)
    env = os.environ.get("DATABASE_URL")
    if env:
        return normalize_url(env)
    from registry_sql.server import embedded_url

    return embedded_url()


def _fresh_database(url: str, dbname: str) -> str:
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            pgsql.Identifier(dbname)))
        c.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(dbname)))
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))


@contextmanager
def trail(conn: Conn, *, on: bool) -> Iterator[None]:
    """The trail triggers of the seven tables enabled (as migrated: ENABLE ALWAYS) or disabled."""
    state = "ENABLE ALWAYS" if on else "DISABLE"
    with transaction(conn):
        for table in TRAIL_TABLES:
            for event in ("insert", "update", "delete"):
                conn.execute(pgsql.SQL("ALTER TABLE {} " + state + " TRIGGER {}").format(
                    pgsql.Identifier("inspection", table),
                    pgsql.Identifier(f"trg_{table}__trail_{event}")))
    try:
        yield
    finally:
        if not on:
            with transaction(conn):
                for table in TRAIL_TABLES:
                    for event in ("insert", "update", "delete"):
                        conn.execute(pgsql.SQL("ALTER TABLE {} ENABLE ALWAYS TRIGGER {}").format(
                            pgsql.Identifier("inspection", table),
                            pgsql.Identifier(f"trg_{table}__trail_{event}")))


def _audit_events(conn: Conn) -> int:
    row = conn.execute(
        "SELECT count(*) FROM core.audit_log WHERE application = 'inspection'").fetchone()
    return int(row[0]) if row else 0


class Fixture:
    """A user, a part, a lot, an inspection; inference jobs made on demand."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        with transaction(conn):
            self.user = core.create_user(conn, username="bench", email="bench@example.com",
                                         hashed_password=PW).id
        with transaction(conn, user_id=self.user):
            part = inspection.create_part(conn, part_number="BENCH-1", name="Bench part",
                                          part_type=PartType.COMPONENT, created_by=self.user)
            self.lot = inspection.create_lot(conn, lot_number="BENCH-LOT", part_id=part.id,
                                             quantity=1_000_000, created_by=self.user).id
            self.inspection = inspection.create_inspection(
                conn, lot_id=self.lot, inspection_type=InspectionType.IN_PROCESS,
                created_by=self.user).id

    def completed_job(self, detections: int) -> uuid.UUID:
        """A completed inference job whose result holds ``detections`` detections."""
        dets = [
            {"defect_type": ("scratch", "dent", "porosity", "burr")[i % 4],
             "severity": ("cosmetic", "minor", "major", "critical")[i % 4],
             "confidence": round(0.5 + (i % 50) / 100, 2),
             "location": {"x": i % 1920, "y": i % 1080, "width": 8, "height": 8}}
            for i in range(detections)
        ]
        with transaction(self.conn, user_id=self.user):
            job = inspection.enqueue_inference_job(self.conn, inspection_id=self.inspection,
                                                   model_name=f"bench-{uuid.uuid4().hex[:8]}")
            inspection.claim_inference_jobs(self.conn, model_name=job.model_name, limit=1)
            inspection.complete_inference_job(self.conn, id=job.id,
                                              results={"detections": dets})
        return job.id


def run_updates(fx: Fixture, n: int) -> float:
    """Seconds per single-row update (own committed transaction each)."""
    conn = fx.conn
    start = time.perf_counter()
    for i in range(n):
        with transaction(conn, user_id=fx.user):
            inspection.update_lot(conn, id=fx.lot, quantity_rejected=i % 1000,
                                  updated_by=fx.user)
    return (time.perf_counter() - start) / n


def run_bulk(fx: Fixture, detections: int) -> float:
    """Seconds for one bulk insert of ``detections`` defects (job prepared outside the clock)."""
    job = fx.completed_job(detections)
    conn = fx.conn
    start = time.perf_counter()
    with transaction(conn, user_id=fx.user):
        made = inspection.create_defects_from_inference(conn, inference_job_id=job,
                                                        created_by=fx.user)
    took = time.perf_counter() - start
    if made != detections:
        raise SystemExit(f"bulk insert made {made} defects, expected {detections}")
    return took


def measure(conn: Conn, reps: int, case: Callable[[], float],
            log: Callable[[str], None], name: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"on": [], "off": []}
    for rnd in range(reps + 1):  # round 0 warms both up
        for mode in ("on", "off") if rnd % 2 == 0 else ("off", "on"):
            with trail(conn, on=(mode == "on")):
                before = _audit_events(conn)
                value = case()
                written = _audit_events(conn) - before
            if (mode == "on") != (written > 0):
                raise SystemExit(f"{name}: trail {mode} but {written} audit events written")
            if rnd:
                out[mode].append(value)
            log(f"{name} round {rnd} trail {mode}: {value * 1e3:.3f} ms"
                f" ({written} audit events)")
    return out


def _fmt(values: list[float], unit: float, digits: int) -> str:
    return (f"{statistics.median(values) * unit:.{digits}f} "
            f"({min(values) * unit:.{digits}f}-{max(values) * unit:.{digits}f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.inspection", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=None, help="server URL (default DATABASE_URL, else embedded)")
    ap.add_argument("--dbname", default=DEFAULT_DBNAME, help="scratch database (re-created)")
    ap.add_argument("--reps", type=int, default=5, help="rounds per mode (after one warm-up)")
    ap.add_argument("--updates", type=int, default=1_000, help="single-row updates per round")
    ap.add_argument("--defects", type=int, default=10_000, help="defects per bulk insert")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/INSPECTION.md"))
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    url = _fresh_database(_server_url(args.url), args.dbname)
    migrate.apply(url)
    with psycopg.connect(url, autocommit=True) as conn:
        version = conn.info.server_version
        fx = Fixture(conn)
        updates = measure(conn, args.reps, lambda: run_updates(fx, args.updates), log,
                          "single-row update")
        bulk = measure(conn, args.reps, lambda: run_bulk(fx, args.defects), log,
                       f"bulk insert of {args.defects} defects")
    up_ratio = statistics.median(updates["on"]) / statistics.median(updates["off"])
    bulk_ratio = statistics.median(bulk["on"]) / statistics.median(bulk["off"])
    rows = "\n".join([
        "| single-row update (`update_lot`, own transaction), µs per update | "
        f"{_fmt(updates['on'], 1e6, 0)} | {_fmt(updates['off'], 1e6, 0)} | "
        f"**{up_ratio:.2f}x** |",
        f"| bulk insert of {args.defects:,} defects (`create_defects_from_inference`, one "
        f"transaction), ms | {_fmt(bulk['on'], 1e3, 1)} | {_fmt(bulk['off'], 1e3, 1)} | "
        f"**{bulk_ratio:.2f}x** |",
    ])
    text = f"""# The cost of the inspection change trail

Measured by `python -m benchmarks.inspection` (`make bench`) on {datetime.now(UTC):%Y-%m-%d},
PostgreSQL {version // 10000}.{version % 10000}, Python {platform.python_version()},
{os.cpu_count()} CPUs (shared machine). {args.reps} rounds per mode after a warm-up, modes
alternating; median (min-max). "Trail off" is the same table with its
`trg_<table>__trail_*` triggers disabled by a superuser; the `updated_at` and reason triggers stay.

| operation | trail on | trail off | on / off |
|---|---|---|---|
{rows}

With the trail on, each update also writes one `core.audit_log` event (the changed columns' old
and new values, actor, session, IP, user agent, reason), and the bulk insert writes
{args.defects:,} events in the same statement (statement-level triggers with transition tables:
one `INSERT ... SELECT` into the audit log, not one per row).
"""
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
