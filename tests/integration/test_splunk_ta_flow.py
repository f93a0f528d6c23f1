"""The request status flow of splunk_ta (catalog §1.4.3): trg_requests__status_transition.

Every legal transition through the query that makes it; every other (from, to) pair refused by
the database, even for a raw UPDATE, with a translated error naming from and to. Decisions on a
request that was already decided are Conflicts. Validation runs: queued -> running -> passed |
failed, nothing else.
"""

from __future__ import annotations

import itertools

import pytest
from splunk_ta_support import (
    Conn,
    People,
    S,
    drive,
    make_people,
    make_request,
    make_revision,
    step_to,
)

from registry_sql import splunk_ta
from registry_sql.db import transaction
from registry_sql.errors import Conflict, InvalidInput, NotFound, RegistrySqlError
from registry_sql.splunk_ta import RequestStatus, ValidationStatus

pytestmark = pytest.mark.compat

LEGAL = {
    (S.NEW, S.PENDING_APPROVAL),
    (S.PENDING_APPROVAL, S.APPROVED),
    (S.PENDING_APPROVAL, S.REJECTED),
    (S.APPROVED, S.GENERATING_TA),
    (S.GENERATING_TA, S.VALIDATING),
    (S.GENERATING_TA, S.FAILED),
    (S.VALIDATING, S.COMPLETED),
    (S.VALIDATING, S.FAILED),
    (S.VALIDATING, S.GENERATING_TA),
    (S.FAILED, S.GENERATING_TA),
}
ILLEGAL = sorted(
    (a, b) for a, b in itertools.permutations(list(RequestStatus), 2) if (a, b) not in LEGAL
)
DECIDED = {S.APPROVED, S.REJECTED, S.GENERATING_TA, S.VALIDATING, S.COMPLETED, S.FAILED}


@pytest.fixture
def who(app_conn: Conn) -> People:
    return make_people(app_conn, "flow")


def _ids(pair: tuple[RequestStatus, RequestStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def test_the_map_has_ten_legal_transitions_and_two_terminal_statuses() -> None:
    assert len(LEGAL) == 10 and len(ILLEGAL) == 56 - 10
    sources = {a for a, _ in LEGAL}
    assert set(RequestStatus) - sources == {S.REJECTED, S.COMPLETED}


@pytest.mark.parametrize("pair", sorted(LEGAL), ids=_ids)
def test_legal_transition(
    app_conn: Conn, who: People, pair: tuple[RequestStatus, RequestStatus]
) -> None:
    start, target = pair
    r = drive(app_conn, who, start)
    after = step_to(app_conn, who, r, target)
    assert after.status == target
    assert splunk_ta.get_request_by_id(app_conn, id=r.id).status == target
    if target == S.COMPLETED:
        assert after.completed_at is not None
    if target == S.FAILED:
        assert after.failure_reason == "btool failed"


@pytest.mark.parametrize("pair", ILLEGAL, ids=_ids)
def test_illegal_transition_is_refused(
    app_conn: Conn, who: People, pair: tuple[RequestStatus, RequestStatus]
) -> None:
    start, target = pair
    r = drive(app_conn, who, start)
    # A raw UPDATE: the database itself refuses, whatever the caller.
    expected: type[RegistrySqlError] = InvalidInput
    if target in (S.APPROVED, S.REJECTED) and start in DECIDED:
        expected = Conflict
    with pytest.raises(expected) as e:
        with transaction(app_conn):
            app_conn.execute(
                "UPDATE splunk_ta.requests SET status = %s::splunk_ta.request_status WHERE id = %s",
                (target.value, r.id),
            )
    assert e.value.constraint == "trg_requests__status_transition"
    if expected is InvalidInput:
        assert f"from status {start.value} to {target.value}" in str(e.value)
        assert e.value.sqlstate == "RS002"
    else:
        assert "already decided" in str(e.value) and e.value.sqlstate == "RS003"
    assert splunk_ta.get_request_by_id(app_conn, id=r.id).status == start  # nothing changed


@pytest.mark.parametrize("start", sorted(set(S) - {S.COMPLETED}), ids=lambda s: s.value)
def test_pipeline_query_refuses_illegal_targets(
    app_conn: Conn, who: People, start: RequestStatus
) -> None:
    """update_request_status goes through the same trigger (here: to completed)."""
    r = drive(app_conn, who, start)
    if (start, S.COMPLETED) in LEGAL:
        assert step_to(app_conn, who, r, S.COMPLETED).status == S.COMPLETED
        return
    with pytest.raises(InvalidInput, match=f"from status {start.value} to completed"):
        splunk_ta.update_request_status(
            app_conn, id=r.id, expected_status=start, status=S.COMPLETED
        )


def test_approving_a_new_request_is_invalid_not_conflict(app_conn: Conn, who: People) -> None:
    r = make_request(app_conn, who)
    with pytest.raises(InvalidInput, match="from status new to approved") as e:
        splunk_ta.approve_request(app_conn, id=r.id, approver_id=who.approver)
    assert "pending_approval" in (e.value.detail or "")


def test_expected_status_guards_stale_reads(app_conn: Conn, who: People) -> None:
    r = drive(app_conn, who, S.GENERATING_TA)
    with pytest.raises(NotFound):
        splunk_ta.update_request_status(
            app_conn, id=r.id, expected_status=S.VALIDATING, status=S.COMPLETED
        )


def test_failed_needs_a_reason(app_conn: Conn, who: People) -> None:
    r = drive(app_conn, who, S.GENERATING_TA)
    with pytest.raises(InvalidInput, match="ck_requests__failed_has_reason"):
        splunk_ta.update_request_status(
            app_conn, id=r.id, expected_status=S.GENERATING_TA, status=S.FAILED
        )


def test_retry_after_failure_keeps_the_reason(app_conn: Conn, who: People) -> None:
    r = drive(app_conn, who, S.FAILED)
    again = step_to(app_conn, who, r, S.GENERATING_TA)
    assert (again.status, again.failure_reason) == (S.GENERATING_TA, "btool failed")


def test_a_request_starts_new(app_conn: Conn, who: People) -> None:
    with pytest.raises(InvalidInput, match="starts in status new, not approved"):
        with transaction(app_conn):
            app_conn.execute(
                "INSERT INTO splunk_ta.requests (requester_id, title, status, approved_at)"
                " VALUES (%s, 'x', 'approved', now())",
                (who.requestor,),
            )


def test_decision_fields_cannot_be_rewritten(app_conn: Conn, who: People) -> None:
    r = drive(app_conn, who, S.APPROVED)
    with pytest.raises(Conflict, match="already decided"):
        with transaction(app_conn):
            app_conn.execute(
                "UPDATE splunk_ta.requests SET approved_at = now() - interval '1 day'"
                " WHERE id = %s",
                (r.id,),
            )


VALIDATION_LEGAL = {
    (ValidationStatus.QUEUED, ValidationStatus.RUNNING),
    (ValidationStatus.RUNNING, ValidationStatus.PASSED),
    (ValidationStatus.RUNNING, ValidationStatus.FAILED),
}


@pytest.mark.parametrize(
    "pair",
    sorted(itertools.permutations(list(ValidationStatus), 2)),
    ids=lambda p: f"{p[0].value}->{p[1].value}",
)
def test_validation_transitions(
    app_conn: Conn, who: People, pair: tuple[ValidationStatus, ValidationStatus]
) -> None:
    start, target = pair
    c = app_conn
    r = drive(c, who, S.GENERATING_TA)
    rev = make_revision(c, r.id)
    with transaction(c):
        run = splunk_ta.queue_validation(c, request_id=r.id, ta_revision_id=rev.id)
        # bring the run to `start` with a raw update (legal steps only)
        if start != ValidationStatus.QUEUED:
            c.execute(
                "UPDATE splunk_ta.validation_runs SET status = 'running', started_at = now()"
                " WHERE id = %s",
                (run.id,),
            )
        if start in (ValidationStatus.PASSED, ValidationStatus.FAILED):
            c.execute(
                "UPDATE splunk_ta.validation_runs SET status = %s::splunk_ta.validation_status,"
                " completed_at = now() WHERE id = %s",
                (start.value, run.id),
            )
    update = (
        "UPDATE splunk_ta.validation_runs SET status = %s::splunk_ta.validation_status,"
        " started_at = coalesce(started_at, now()), completed_at = now() WHERE id = %s"
    )
    if pair in VALIDATION_LEGAL:
        with transaction(c):
            c.execute(update, (target.value, run.id))
        assert splunk_ta.get_validation_run_by_id(c, id=run.id).status == target
        return
    with pytest.raises(InvalidInput, match=f"from status {start.value} to {target.value}") as e:
        with transaction(c):
            c.execute(update, (target.value, run.id))
    assert e.value.constraint == "trg_validation_runs__status_transition"
    assert splunk_ta.get_validation_run_by_id(c, id=run.id).status == start


def test_validation_runs_start_queued(app_conn: Conn, who: People) -> None:
    r = drive(app_conn, who, S.GENERATING_TA)
    rev = make_revision(app_conn, r.id)
    with pytest.raises(InvalidInput, match="starts in status queued, not running"):
        with transaction(app_conn):
            app_conn.execute(
                "INSERT INTO splunk_ta.validation_runs (request_id, ta_revision_id, status,"
                " started_at) VALUES (%s, %s, 'running', now())",
                (r.id, rev.id),
            )
