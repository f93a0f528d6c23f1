"""The airlock work queue under real concurrency: 8 workers, each on its own connection and
transactions, claim 1,000 pending workflows with FOR UPDATE SKIP LOCKED. Every workflow is
claimed exactly once and none is lost.

Needs committed data seen by several connections: a clone (``app_url``).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
from airlock_support import make_user

from registry_sql import airlock
from registry_sql.airlock import WorkflowStage, WorkflowStatus
from registry_sql.db import transaction

WORKERS = 8
WORKFLOWS = 1_000
BATCH = 7  # not a divisor of 1,000: the last claims come back short


def test_8_workers_claim_1000_workflows_each_exactly_once(app_url: str) -> None:
    packages = {f"node_modules/pkg-{i:04d}": {"version": "1.0.0"} for i in range(WORKFLOWS)}
    lock = {"name": "queue-load", "version": "1.0.0", "lockfileVersion": 3,
            "packages": {"": {"name": "queue-load"}, **packages}}
    with psycopg.connect(app_url) as c, transaction(c):
        user = make_user(c, "queue-load")
        row = airlock.submit_lockfile(c, user_id=user, package_lock_json=lock)
    assert row.workflow_count == WORKFLOWS

    start = threading.Barrier(WORKERS)

    def worker(n: int) -> list[uuid.UUID]:
        got: list[uuid.UUID] = []
        with psycopg.connect(app_url) as c:
            start.wait()
            while True:
                with transaction(c):
                    claimed = airlock.claim_next_workflows(c, limit=BATCH)
                if not claimed:
                    return got
                got.extend(w.id for w in claimed)

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(worker, range(WORKERS)))

    claims = Counter(wid for ids in results for wid in ids)
    assert len(claims) == WORKFLOWS  # none lost
    assert set(claims.values()) == {1}  # none claimed twice
    assert sum(1 for ids in results if ids) > 1  # the work was actually shared
    with psycopg.connect(app_url) as c:
        counts = {r.status: r.count for r in airlock.count_workflows_by_status(c)}
        assert counts == {WorkflowStatus.RUNNING: WORKFLOWS}
        stages = c.execute("SELECT DISTINCT current_stage FROM airlock.workflows").fetchall()
        assert stages == [(WorkflowStage.FETCH.value,)]
        assert airlock.claim_next_workflows(c, limit=10) == []
