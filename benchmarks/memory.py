"""One memory probe in a fresh process: ``python -m benchmarks.memory CASE URL ROWS``.

Prints one JSON line: seconds, the resident set before the work (after imports and connecting)
and the peak during it (``ru_maxrss``), so the delta is what the path itself held at its worst.
Writes run in a transaction that is rolled back.
"""

from __future__ import annotations

import ipaddress
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from benchmarks import seed
from registry_sql import db
from registry_sql import model_registry as mr
from registry_sql.model_registry.models import DownloadIn

CASES = {
    "copy_stream": "registry-sql copy_downloads from a generator",
    "copy_list": "registry-sql copy_downloads from a list",
    "orm_add_all": "SQLAlchemy ORM add_all + flush",
    "export_stream": "registry-sql streaming read (server-side cursor, batches of 1,000)",
    "export_fetch_all": "registry-sql list_packages (fetch_all)",
}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS mark (VmHWM) so it covers only what follows (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_mb() -> float:
    # VmHWM belongs to this process image; ru_maxrss would also count the parent's memory
    # from before exec (Linux keeps it across execve).
    hwm = _status_kb("VmHWM")
    if hwm is not None:
        return hwm / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _downloads(rows: int) -> Iterator[DownloadIn]:
    now = datetime.now(UTC).replace(microsecond=0)
    pkgs = [seed.package_id(i) for i in range(100)]
    users = [seed.user_id(u) for u in range(seed.USERS)]
    for k in range(rows):
        yield DownloadIn(
            package_id=pkgs[k % 100], user_id=users[k % len(users)],
            downloaded_at=now - timedelta(seconds=k), access_granted=True,
            access_check_output=None, ip_address=ipaddress.IPv4Address(0x0A000000 + k % 65536),
            user_agent="registry-sql bench memory",
        )


def probe(case: str, url: str, rows: int) -> dict[str, Any]:
    conn: psycopg.Connection[Any] = db.connect(url, autocommit=True)
    engine = None
    if case == "orm_add_all":
        from sqlalchemy import create_engine

        from benchmarks.cases import sqlalchemy_url

        engine = create_engine(sqlalchemy_url(url))
        engine.connect().close()
    base = _rss_mb()
    _reset_peak()
    start = time.perf_counter()
    if case == "copy_stream":
        with conn.transaction(force_rollback=True):
            n = mr.copy_downloads(conn, _downloads(rows))
    elif case == "copy_list":
        data = list(_downloads(rows))
        with conn.transaction(force_rollback=True):
            n = mr.copy_downloads(conn, data)
    elif case == "orm_add_all":
        from sqlalchemy.orm import Session

        from benchmarks.peers.sqlalchemy_models import DownloadHistory

        assert engine is not None
        with Session(engine) as s:
            s.add_all([DownloadHistory(**r._asdict()) for r in _downloads(rows)])
            s.flush()
            s.rollback()
        n = rows
    elif case == "export_stream":
        n = sum(1 for _ in mr.stream_list_packages(conn, limit=rows))
    elif case == "export_fetch_all":
        n = len(mr.list_packages(conn, limit=rows))
    else:
        raise SystemExit(f"unknown case {case!r}; one of {', '.join(CASES)}")
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    conn.close()
    return {
        "case": case, "title": CASES[case], "rows": n, "seconds": seconds,
        "baseline_rss_mb": base, "peak_rss_mb": peak, "peak_rss_delta_mb": max(0.0, peak - base),
    }


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
