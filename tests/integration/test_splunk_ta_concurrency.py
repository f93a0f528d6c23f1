"""Concurrency of splunk_ta with real parallel connections (committed data on a clone).

Run as the application role, one connection per thread, each in its own transactions:
revision numbers under 20 concurrent creators, at most N validations running under 16
concurrent workers, and two approvers racing for one request.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from splunk_ta_support import Conn, People, S, drive, make_people, make_revision

from registry_sql import splunk_ta
from registry_sql.db import transaction
from registry_sql.errors import Conflict, InvalidInput
from registry_sql.splunk_ta import TaRevisionType, ValidationStatus

CREATORS = 20
WORKERS = 16
MAX_PARALLEL = 3
RUNS = 48


@pytest.fixture
def who(conn: Conn) -> People:
    return make_people(conn, "conc")


# The tests below use app_url (their own connections): conn is an autocommit connection to the
# same clone, so what the fixtures create is committed and visible to every thread.


def test_20_concurrent_creators_get_versions_1_to_20(conn: Conn, who: People, app_url: str) -> None:
    r = drive(conn, who, S.GENERATING_TA)
    start = threading.Barrier(CREATORS)

    def create_one(i: int) -> int:
        with psycopg.connect(app_url) as c:
            start.wait()
            with transaction(c):
                rev = splunk_ta.create_ta_revision(
                    c,
                    request_id=r.id,
                    revision_type=TaRevisionType.MANUAL if i % 2 else TaRevisionType.AUTO,
                    storage_key=f"ta/{i}.tgz",
                    created_by=who.engineer if i % 2 else None,
                )
            return rev.version

    with ThreadPoolExecutor(CREATORS) as pool:
        versions = list(pool.map(create_one, range(CREATORS)))  # re-raises any thread's error
    assert sorted(versions) == list(range(1, CREATORS + 1))  # no gaps, no duplicates
    listed = splunk_ta.list_ta_revisions(conn, request_id=r.id)
    assert [x.version for x in listed] == list(range(CREATORS, 0, -1))
    with transaction(conn):
        assert splunk_ta.get_next_ta_version(conn, request_id=r.id) == CREATORS + 1


def test_16_workers_never_run_more_than_n_validations(
    conn: Conn, who: People, app_url: str
) -> None:
    r = drive(conn, who, S.GENERATING_TA)
    rev = make_revision(conn, r.id)
    with transaction(conn):
        assert splunk_ta.set_max_parallel_validations(conn, value=MAX_PARALLEL) == MAX_PARALLEL
        queued = [
            splunk_ta.queue_validation(conn, request_id=r.id, ta_revision_id=rev.id).id
            for _ in range(RUNS)
        ]
    claimed: list[uuid.UUID] = []
    claimed_lock = threading.Lock()
    samples: list[int] = []
    done = threading.Event()
    start = threading.Barrier(WORKERS + 1)

    def sampler() -> None:
        with psycopg.connect(app_url, autocommit=True) as c:
            start.wait()
            while not done.is_set():
                samples.append(splunk_ta.count_running_validations(c))

    def worker(i: int) -> int:
        mine = 0
        with psycopg.connect(app_url, autocommit=True) as c:
            start.wait()
            idle_rounds = 0
            while idle_rounds < 200:
                with transaction(c):
                    run = splunk_ta.start_validation(c, sandbox_id=f"sandbox-{i}")
                if run is None:
                    with claimed_lock:
                        if len(claimed) == RUNS:
                            return mine
                    idle_rounds += 1
                    time.sleep(0.005)
                    continue
                idle_rounds = 0
                with claimed_lock:
                    claimed.append(run.id)
                samples.append(splunk_ta.count_running_validations(c))
                mine += 1
                time.sleep(0.01)  # "validating"
                with transaction(c):
                    splunk_ta.complete_validation(
                        c,
                        id=run.id,
                        status=ValidationStatus.PASSED if mine % 3 else ValidationStatus.FAILED,
                        results={"worker": i},
                    )
        return mine

    sampling = threading.Thread(target=sampler)
    sampling.start()
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            per_worker = list(pool.map(worker, range(WORKERS)))
    finally:
        done.set()
        sampling.join()
    assert sum(per_worker) == RUNS
    assert len(claimed) == RUNS and set(claimed) == set(queued)  # each started exactly once
    assert samples and max(samples) <= MAX_PARALLEL
    assert max(samples) == MAX_PARALLEL  # the limit was reached, not just respected
    runs = splunk_ta.list_validation_runs_for_request(conn, request_id=r.id)
    assert {x.status for x in runs} <= {ValidationStatus.PASSED, ValidationStatus.FAILED}
    assert all(x.started_at is not None and x.completed_at is not None for x in runs)
    assert splunk_ta.count_running_validations(conn) == 0


def test_start_validation_refuses_repeatable_read(conn: Conn, who: People, app_url: str) -> None:
    with psycopg.connect(app_url) as c:
        with pytest.raises(InvalidInput, match="needs isolation level read committed"):
            with transaction(c, isolation="repeatable read"):
                splunk_ta.start_validation(c, sandbox_id="x")


def test_racing_approvers_one_wins_the_other_gets_conflict(
    conn: Conn, who: People, app_url: str
) -> None:
    r = drive(conn, who, S.PENDING_APPROVAL)
    with psycopg.connect(app_url) as first, psycopg.connect(app_url) as second:
        second_pid = second.info.backend_pid
        outcome: dict[str, object] = {}

        def second_approver() -> None:
            try:
                with transaction(second, correlation_id="race-second"):
                    splunk_ta.approve_request(
                        second, id=r.id, approver_id=who.engineer, comment="second"
                    )
                outcome["second"] = "approved"
            except Conflict as e:
                outcome["second"] = e

        with transaction(first, correlation_id="race-first"):
            won = splunk_ta.approve_request(first, id=r.id, approver_id=who.approver, comment="1st")
            t = threading.Thread(target=second_approver)
            t.start()
            # wait until the second approver is blocked on the row lock the first one holds
            for _ in range(500):
                waiting = conn.execute(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                    (second_pid,),
                ).fetchone()
                if waiting and waiting[0]:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the second approver never waited for the first one's lock")
        t.join()
    assert won.approved_by == who.approver
    err = outcome["second"]
    assert isinstance(err, Conflict), err
    assert f"approved by {who.approver}" in str(err)
    final = splunk_ta.get_request_by_id(conn, id=r.id)
    assert (final.status, final.approved_by, final.approval_comment) == (
        S.APPROVED,
        who.approver,
        "1st",
    )
    history = splunk_ta.list_entity_history(
        conn, entity_type="splunk_ta.request", entity_id=str(r.id), limit=20
    )
    approvals = [e for e in history if e.action.value in ("approve", "reject")]
    assert [e.correlation_id for e in approvals] == ["race-first"]  # one decision, one audit row


def test_free_race_of_approve_and_reject(conn: Conn, who: People, app_url: str) -> None:
    """Approve and reject at the same instant, five times: exactly one decision each time."""
    for round_ in range(5):
        r = drive(conn, who, S.PENDING_APPROVAL, f"race {round_}")
        start = threading.Barrier(2)

        def decide(
            kind: str, request_id: uuid.UUID = r.id, start: threading.Barrier = start
        ) -> str:
            with psycopg.connect(app_url) as c:
                start.wait()
                try:
                    with transaction(c):
                        if kind == "approve":
                            splunk_ta.approve_request(c, id=request_id, approver_id=who.approver)
                        else:
                            splunk_ta.reject_request(
                                c, id=request_id, rejected_by=who.engineer, rejection_reason="no"
                            )
                    return kind
                except Conflict:
                    return "conflict"

        with ThreadPoolExecutor(2) as pool:
            results = sorted(pool.map(decide, ["approve", "reject"]))
        assert results in (["approve", "conflict"], ["conflict", "reject"])
        final = splunk_ta.get_request_by_id(conn, id=r.id)
        assert final.status == (S.APPROVED if "approve" in results else S.REJECTED)
        assert (final.approved_at is None) != (final.rejected_at is None)


def test_complete_validation_twice_concurrently(conn: Conn, who: People, app_url: str) -> None:
    r = drive(conn, who, S.GENERATING_TA)
    rev = make_revision(conn, r.id)
    with transaction(conn):
        splunk_ta.set_max_parallel_validations(conn, value=MAX_PARALLEL)
        run = splunk_ta.queue_validation(conn, request_id=r.id, ta_revision_id=rev.id)
    with transaction(conn):
        started = splunk_ta.start_validation(conn, sandbox_id="sb")
    assert started is not None and started.id == run.id
    start = threading.Barrier(2)

    def complete(status: ValidationStatus) -> str:
        with psycopg.connect(app_url) as c:
            start.wait()
            try:
                with transaction(c):
                    splunk_ta.complete_validation(c, id=run.id, status=status)
                return status.value
            except InvalidInput:
                return "refused"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(complete, [ValidationStatus.PASSED, ValidationStatus.FAILED]))
    assert results in (["passed", "refused"], ["failed", "refused"])
    final = splunk_ta.get_validation_run_by_id(conn, id=run.id)
    assert final.status.value in results
