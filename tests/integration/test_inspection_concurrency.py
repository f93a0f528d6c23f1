"""Eight workers claim 1,000 inference jobs with FOR UPDATE SKIP LOCKED: each job exactly once.

Real parallel connections as the application role, each claim in its own committed
transaction, so the test runs on a clone of its own (``app_url``).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
from inspection_support import Conn, make_world

from registry_sql import inspection
from registry_sql.db import transaction

WORKERS = 8
JOBS = 1_000
BATCH = 7


def test_8_workers_claim_1000_jobs_each_exactly_once(conn: Conn, app_url: str) -> None:
    w = make_world(conn, "swarm")  # `conn` is autocommit on the clone here: committed
    with transaction(conn, user_id=w.user_id):
        conn.execute(
            "INSERT INTO inspection.inference_jobs (inspection_id, model_name, model_version) "
            "SELECT %s, 'swarm-net', '1' FROM generate_series(1, %s)",
            (w.inspection_id, JOBS))
    start = threading.Barrier(WORKERS)

    def worker(n: int) -> list[uuid.UUID]:
        mine: list[uuid.UUID] = []
        with psycopg.connect(app_url) as c:
            start.wait()
            while True:
                with transaction(c, user_id=w.user_id, session_id=f"worker-{n}"):
                    claimed = inspection.claim_inference_jobs(c, model_name="swarm-net",
                                                              limit=BATCH)
                if not claimed:
                    return mine
                mine.extend(j.id for j in claimed)

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(worker, range(WORKERS)))
    every = [job for r in results for job in r]
    assert len(every) == JOBS
    assert max(Counter(every).values()) == 1  # nobody claimed a job twice
    rows = conn.execute(
        "SELECT status, count(*) FROM inspection.inference_jobs WHERE model_name = 'swarm-net' "
        "GROUP BY status").fetchall()
    assert rows == [("running", JOBS)]
    # the trail holds one claim per job, made by the worker's session
    trail = conn.execute(
        "SELECT count(*), count(DISTINCT entity_id) FROM core.audit_log "
        "WHERE entity_type = 'inspection.inference_jobs' AND action = 'update' "
        "AND session_id LIKE 'worker-%%'").fetchone()
    assert trail == (JOBS, JOBS)
    by_worker = {n: len(r) for n, r in enumerate(results)}
    sessions = dict(conn.execute(
        "SELECT session_id, count(*) FROM core.audit_log "
        "WHERE entity_type = 'inspection.inference_jobs' AND action = 'update' "
        "GROUP BY session_id").fetchall())
    assert {f"worker-{n}": c for n, c in by_worker.items() if c} == sessions
