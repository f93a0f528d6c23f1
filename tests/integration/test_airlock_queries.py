"""Every named query of sql/airlock/ against a real server, as the application role.

Lockfile ingest: the sample lockfiles (v3 with ~1,500 entries: scoped, nested, links, aliases,
duplicates; v1 tree) and a 10,000-entry v3 file, with the expected requests computed in Python
from the JSON; each malformed shape refused with a message saying what is wrong, nothing
written. The workflow state machine: every legal and illegal transition. Decide (approve /
reject) with its audit event, all or nothing. Work queue, check results, license expressions,
usage.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from airlock_support import Conn, make_user, one_workflow, small_lock, walk_to

from registry_sql import airlock, core
from registry_sql.airlock import (
    CheckStatus,
    CheckType,
    PackageStatus,
    RequestStatus,
    SubmissionStatus,
    WorkflowStage,
    WorkflowStatus,
)
from registry_sql.airlock import aio as airlock_aio
from registry_sql.db import atransaction, transaction
from registry_sql.errors import Conflict, InvalidInput, NotFound, translate_error
from registry_sql.seeds.airlock_lockfiles import expected_requests, lockfile_v1, lockfile_v3

AConn = psycopg.AsyncConnection[Any]
S = WorkflowStatus


def _count(conn: Conn, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM airlock.{table}").fetchone()  # noqa: S608 (fixed names)
    assert row is not None
    return int(row[0])


def _requested(conn: Conn, submission_id: uuid.UUID) -> set[tuple[str, str]]:
    rows = airlock.list_submission_requests(conn, submission_id=submission_id)
    pairs = [(r.package_name, r.package_version) for r in rows]
    assert len(pairs) == len(set(pairs))  # deduplicated
    return set(pairs)


# --------------------------------------------------------------------------- lockfile ingest


def test_sample_v3_lockfile_becomes_exactly_its_distinct_packages(app_conn: Conn) -> None:
    lock = lockfile_v3(1_500)
    packages = lock["packages"]
    assert len(packages) == 1_500
    # the fixture has every shape the ingest must handle
    paths = [p for p in packages if "node_modules/" in p]
    assert any(p.count("node_modules/") >= 2 for p in paths)  # nested
    assert any(p.count("node_modules/") >= 3 for p in paths)  # two levels deep
    assert any("/@" in p for p in paths)  # scoped
    assert any(packages[p].get("link") for p in paths)  # workspace symlink
    assert any("name" in packages[p] for p in paths)  # npm alias
    assert "packages/ui-kit" in packages  # workspace folder
    expected = expected_requests(lock)
    installed = [p for p in paths if not packages[p].get("link")]
    assert len(installed) > len(expected)  # some name@version installed at several paths

    user = make_user(app_conn, "v3-submitter", "submitter")
    row = airlock.submit_lockfile(app_conn, user_id=user, package_lock_json=lock)
    assert (row.project_name, row.project_version, row.lockfile_version) == (
        "storefront-web", "3.4.1", 3)
    assert row.request_count == len(expected)
    assert row.workflow_count == len(expected)
    assert row.usage_count == len(expected)
    assert row.preapproved_count == 0
    assert _requested(app_conn, row.submission_id) == expected
    assert ("@storefront/ui-kit", "0.1.0") not in expected
    alias = next(p for p in paths if "name" in packages[p])
    assert (packages[alias]["name"], packages[alias]["version"]) in expected
    reqs = airlock.list_submission_requests(app_conn, submission_id=row.submission_id)
    assert all(r.integrity and r.integrity.startswith("sha512-") for r in reqs)
    assert all(r.workflow_status == S.PENDING and r.status == RequestStatus.PENDING for r in reqs)
    counts = airlock.count_submission_requests_by_status(app_conn, submission_id=row.submission_id)
    assert [(c.status, c.count) for c in counts] == [(RequestStatus.PENDING, len(expected))]


def test_v1_lockfile_tree_is_walked_recursively(app_conn: Conn) -> None:
    lock = lockfile_v1()
    expected = expected_requests(lock)
    nested = [e for e in lock["dependencies"].values() if "dependencies" in e]
    assert nested and any(
        "dependencies" in kid for e in nested for kid in e["dependencies"].values()
    )
    user = make_user(app_conn, "v1-submitter")
    row = airlock.submit_lockfile(app_conn, user_id=user, package_lock_json=lock)
    assert (row.project_name, row.project_version, row.lockfile_version) == (
        "legacy-admin", "1.9.0", 1)
    assert row.request_count == len(expected) == row.workflow_count
    assert _requested(app_conn, row.submission_id) == expected


def test_v2_lockfile_reads_packages_not_the_v1_tree(app_conn: Conn) -> None:
    lock = small_lock("dual", a="1.0.0", b="2.0.0")
    lock["lockfileVersion"] = 2
    lock["dependencies"] = {"zzz": {"version": "9.9.9"}}
    user = make_user(app_conn, "v2-submitter")
    row = airlock.submit_lockfile(app_conn, user_id=user, package_lock_json=lock)
    assert _requested(app_conn, row.submission_id) == {("a", "1.0.0"), ("b", "2.0.0")}
    assert row.lockfile_version == 2


def test_10000_entry_lockfile(app_conn: Conn) -> None:
    lock = lockfile_v3(10_000, name="monorepo", seed=10)
    assert len(lock["packages"]) == 10_000
    expected = expected_requests(lock)
    user = make_user(app_conn, "big-submitter")
    row = airlock.submit_lockfile(app_conn, user_id=user, package_lock_json=lock)
    assert row.request_count == len(expected) == row.workflow_count == row.usage_count
    assert _requested(app_conn, row.submission_id) == expected


MALFORMED: list[tuple[str, Any, str]] = [
    ("array", [{"name": "x"}], "must be a JSON object, got a JSON array"),
    ("string", "package-lock", "must be a JSON object, got a JSON string"),
    ("no packages or dependencies", {"name": "x", "lockfileVersion": 3},
     'neither a "packages" map'),
    ("packages not an object", {"name": "x", "packages": ["node_modules/a"]},
     '"packages" must be an object'),
    ("dependencies not an object", {"name": "x", "dependencies": "a"},
     '"dependencies" must be an object'),
    ("version missing", {"name": "x", "packages": {
        "": {}, "node_modules/a": {"version": "1.0.0"}, "node_modules/@s/b": {"resolved": "u"}}},
     'entry "packages"."node_modules/@s/b" has no "version"'),
    ("version not a string", {"name": "x", "packages": {"node_modules/a": {"version": 1}}},
     'entry "packages"."node_modules/a" has no "version" (got 1)'),
    ("nested v1 version missing", {"name": "x", "dependencies": {
        "a": {"version": "1.0.0", "dependencies": {"b": {"integrity": "sha512-x"}}}}},
     'entry "dependencies" > a > b has no "version"'),
    ("no name", {"packages": {"node_modules/a": {"version": "1.0.0"}}}, 'has no "name"'),
    ("lockfileVersion", {"name": "x", "lockfileVersion": 7, "packages": {}},
     '"lockfileVersion" must be 1, 2 or 3, got 7'),
]


@pytest.mark.parametrize(("shape", "lock", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_lockfile_is_refused_saying_what_is_wrong(
    app_conn: Conn, shape: str, lock: Any, message: str
) -> None:
    user = make_user(app_conn, "bad-submitter")
    before = [_count(app_conn, t) for t in ("package_submissions", "package_requests")]
    with pytest.raises(InvalidInput) as err:
        airlock.submit_lockfile(app_conn, user_id=user, package_lock_json=lock)
    assert message in str(err.value)
    assert err.value.constraint == "ck_package_submissions__lockfile_shape"
    with pytest.raises(InvalidInput, match="lockfile_shape"):
        airlock.create_submission(app_conn, user_id=user, package_lock_json=lock)
    assert [_count(app_conn, t) for t in ("package_submissions", "package_requests")] == before
    problem = airlock.check_lockfile(app_conn, package_lock_json=lock)
    assert problem is not None and message in problem


def test_check_lockfile_accepts_a_good_file(app_conn: Conn) -> None:
    assert airlock.check_lockfile(app_conn, package_lock_json=lockfile_v1()) is None
    assert airlock.check_lockfile(app_conn, package_lock_json=small_lock(a="1")) is None


def test_an_approved_version_skips_review_in_later_submissions(app_conn: Conn) -> None:
    user = make_user(app_conn, "skipper")
    approver = make_user(app_conn, "skip-approver", "approver")
    first = one_workflow(app_conn, user, "left-pad", "1.3.0")
    assert first.workflow_id is not None
    assert airlock.find_approved_package(app_conn, name="left-pad", version="1.3.0") is None
    walk_to(app_conn, first.workflow_id, S.APPROVED, approver)
    approved = airlock.find_approved_package(app_conn, name="left-pad", version="1.3.0")
    assert approved is not None and approved.status == PackageStatus.APPROVED

    row = airlock.submit_lockfile(
        app_conn, user_id=user,
        package_lock_json=small_lock("other", left_pad="1.3.0", right_pad="2.0.0"),
    )
    assert (row.request_count, row.workflow_count, row.preapproved_count) == (2, 1, 1)
    reqs = {r.package_name: r for r in
            airlock.list_submission_requests(app_conn, submission_id=row.submission_id)}
    assert reqs["left-pad"].status == RequestStatus.APPROVED
    assert reqs["left-pad"].workflow_id is None and reqs["left-pad"].package_id == approved.id
    assert reqs["right-pad"].workflow_status == S.PENDING


# --------------------------------------------------------------------------- submissions


def test_submission_queries(app_conn: Conn) -> None:
    user = make_user(app_conn, "lister")
    other = make_user(app_conn, "other-lister")
    subs = [
        airlock.submit_lockfile(app_conn, user_id=user,
                                package_lock_json=small_lock(f"p{i}", a=f"1.0.{i}"))
        for i in range(3)
    ]
    airlock.submit_lockfile(app_conn, user_id=other, package_lock_json=small_lock("o", a="1"))
    got = airlock.get_submission(app_conn, id=subs[0].submission_id)
    assert (got.user_id, got.project_name, got.status) == (user, "p0", SubmissionStatus.PENDING)
    lock = airlock.get_submission_lockfile(app_conn, id=subs[0].submission_id)
    assert isinstance(lock, dict) and lock["name"] == "p0"

    mine = airlock.list_submissions(app_conn, user_id=user, status=None, after_created_at=None,
                                    after_id=None, limit=10)
    assert {s.id for s in mine} == {s.submission_id for s in subs}
    page1 = airlock.list_submissions(app_conn, user_id=user, status=None, after_created_at=None,
                                     after_id=None, limit=2)
    page2 = airlock.list_submissions(app_conn, user_id=user, status=None,
                                     after_created_at=page1[-1].created_at,
                                     after_id=page1[-1].id, limit=2)
    assert len(page1) == 2 and len(page2) == 1
    assert {s.id for s in page1 + page2} == {s.submission_id for s in subs}

    cancelled = airlock.update_submission_status(app_conn, id=subs[1].submission_id,
                                                 status=SubmissionStatus.CANCELLED)
    assert cancelled.status == SubmissionStatus.CANCELLED
    by_status = airlock.list_submissions(app_conn, user_id=None, status=SubmissionStatus.CANCELLED,
                                         after_created_at=None, after_id=None, limit=10)
    assert [s.id for s in by_status] == [subs[1].submission_id]
    # refresh leaves a cancelled submission alone
    with pytest.raises(NotFound):
        airlock.refresh_submission_status(app_conn, id=subs[1].submission_id)

    assert airlock.delete_submission(app_conn, id=subs[2].submission_id) == 1
    assert airlock.delete_submission(app_conn, id=subs[2].submission_id) == 0
    with pytest.raises(NotFound):
        airlock.get_submission(app_conn, id=subs[2].submission_id)


def test_manual_submission_requests_workflows_and_usage(app_conn: Conn) -> None:
    user = make_user(app_conn, "manual")
    sub = airlock.create_submission(app_conn, user_id=user,
                                    package_lock_json=small_lock("hand", a="1.0.0"))
    assert (sub.project_name, sub.project_version, sub.lockfile_version) == ("hand", "1.0.0", 3)
    assert airlock.list_submission_requests(app_conn, submission_id=sub.id) == []
    req = airlock.create_package_request(app_conn, submission_id=sub.id, package_name="a",
                                         package_version="1.0.0", integrity=None)
    with pytest.raises(Conflict, match="uq_package_requests__name_version_submission"):
        airlock.create_package_request(app_conn, submission_id=sub.id, package_name="a",
                                       package_version="1.0.0", integrity=None)
    wf = airlock.create_workflow(app_conn, package_request_id=req.id)
    assert (wf.status, wf.current_stage) == (S.PENDING, WorkflowStage.QUEUED)
    with pytest.raises(Conflict, match="uq_workflows__package_request_id"):
        airlock.create_workflow(app_conn, package_request_id=req.id)
    usage = airlock.record_package_usage(app_conn, package_request_id=req.id,
                                         project_name="hand", project_version="1.0.0")
    assert usage.project_name == "hand"
    assert airlock.get_workflow(app_conn, id=wf.id) == wf
    streamed = list(airlock.stream_list_submission_requests(app_conn, submission_id=sub.id,
                                                            batch_size=10))
    assert [r.workflow_id for r in streamed] == [wf.id]


# --------------------------------------------------------------------------- the state machine

LEGAL = {
    (S.PENDING, S.RUNNING), (S.PENDING, S.CANCELLED),
    (S.RUNNING, S.AWAITING_APPROVAL), (S.RUNNING, S.FAILED), (S.RUNNING, S.CANCELLED),
    (S.AWAITING_APPROVAL, S.APPROVED), (S.AWAITING_APPROVAL, S.REJECTED),
    (S.AWAITING_APPROVAL, S.CANCELLED),
}
ILLEGAL = sorted(
    ((a, b) for a in S for b in S if a != b and (a, b) not in LEGAL), key=lambda p: (p[0], p[1])
)


def _move(conn: Conn, wf: uuid.UUID, to: WorkflowStatus, decider: uuid.UUID) -> Any:
    if to == S.APPROVED:
        return airlock.approve_workflow(conn, id=wf, decided_by=decider, reason="ok")
    if to == S.REJECTED:
        return airlock.reject_workflow(conn, id=wf, decided_by=decider, reason="license")
    if to == S.CANCELLED:
        return airlock.cancel_workflow(conn, id=wf)
    return airlock.advance_workflow(conn, id=wf, status=to, current_stage=None)


REQUEST_FOLLOWS = {
    S.PENDING: RequestStatus.PENDING, S.RUNNING: RequestStatus.IN_REVIEW,
    S.AWAITING_APPROVAL: RequestStatus.IN_REVIEW, S.APPROVED: RequestStatus.APPROVED,
    S.REJECTED: RequestStatus.REJECTED, S.FAILED: RequestStatus.FAILED,
    S.CANCELLED: RequestStatus.FAILED,
}


@pytest.mark.parametrize(("src", "dst"), sorted(LEGAL), ids=lambda s: str(s))
def test_legal_transition(app_conn: Conn, src: WorkflowStatus, dst: WorkflowStatus) -> None:
    user = make_user(app_conn, "mover", "approver")
    req = one_workflow(app_conn, user)
    assert req.workflow_id is not None
    walk_to(app_conn, req.workflow_id, src, user)
    _move(app_conn, req.workflow_id, dst, user)
    wf = airlock.get_workflow(app_conn, id=req.workflow_id)
    assert wf.status == dst
    assert (wf.completed_at is not None) == (dst in (S.APPROVED, S.REJECTED, S.FAILED,
                                                     S.CANCELLED))
    [after] = airlock.list_submission_requests(app_conn, submission_id=_sub_of(app_conn, req.id))
    assert after.status == REQUEST_FOLLOWS[dst]


def _sub_of(conn: Conn, request_id: uuid.UUID) -> uuid.UUID:
    row = conn.execute("SELECT submission_id FROM airlock.package_requests WHERE id = %s",
                       (request_id,)).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


@pytest.mark.parametrize(("src", "dst"), ILLEGAL, ids=lambda s: str(s))
def test_illegal_transition_is_refused_naming_from_and_to(
    app_conn: Conn, src: WorkflowStatus, dst: WorkflowStatus
) -> None:
    user = make_user(app_conn, "illegal", "approver")
    req = one_workflow(app_conn, user)
    assert req.workflow_id is not None
    walk_to(app_conn, req.workflow_id, src, user)
    with pytest.raises(InvalidInput) as err:
        _move(app_conn, req.workflow_id, dst, user)
    assert f"illegal status transition from {src} to {dst}" in str(err.value)
    assert err.value.constraint == "ck_workflows__status_transition"
    assert airlock.get_workflow(app_conn, id=req.workflow_id).status == src


def test_a_workflow_starts_pending(app_conn: Conn) -> None:
    user = make_user(app_conn, "starter")
    sub = airlock.create_submission(app_conn, user_id=user, package_lock_json=small_lock(a="1"))
    req = airlock.create_package_request(app_conn, submission_id=sub.id, package_name="a",
                                         package_version="1", integrity=None)
    with pytest.raises(psycopg.Error) as err:
        app_conn.execute(
            "INSERT INTO airlock.workflows (package_request_id, status) VALUES (%s, 'running')",
            (req.id,),
        )
    translated = translate_error(err.value)
    assert isinstance(translated, InvalidInput)
    assert "illegal status transition from (new) to running" in str(translated)


def test_a_decision_needs_a_decider_and_a_rejection_a_reason(app_conn: Conn) -> None:
    user = make_user(app_conn, "decider", "approver")
    req = one_workflow(app_conn, user)
    assert req.workflow_id is not None
    walk_to(app_conn, req.workflow_id, S.AWAITING_APPROVAL)
    with pytest.raises(InvalidInput, match="needs decided_by and decided_at") as err:
        airlock.approve_workflow(app_conn, id=req.workflow_id, decided_by=None, reason=None)
    assert err.value.constraint == "ck_workflows__decision_recorded"
    for reason in (None, "   "):
        with pytest.raises(InvalidInput, match="a rejection needs a reason"):
            airlock.reject_workflow(app_conn, id=req.workflow_id, decided_by=user, reason=reason)
    assert airlock.get_workflow(app_conn, id=req.workflow_id).status == S.AWAITING_APPROVAL
    with pytest.raises(NotFound):
        airlock.approve_workflow(app_conn, id=uuid.uuid4(), decided_by=user, reason=None)


# --------------------------------------------------------------------------- decide


def test_approve_updates_workflow_request_package_and_audits(app_conn: Conn) -> None:
    user = make_user(app_conn, "approve-sub")
    approver = make_user(app_conn, "approve-me", "approver")
    req = one_workflow(app_conn, user, "chalk", "5.3.0", project="cli")
    assert req.workflow_id is not None
    walk_to(app_conn, req.workflow_id, S.AWAITING_APPROVAL)
    with transaction(app_conn, correlation_id="review-42"):
        d = airlock.approve_workflow(app_conn, id=req.workflow_id, decided_by=approver,
                                     reason="scan clean")
        sub = airlock.refresh_submission_status(app_conn, id=_sub_of(app_conn, req.id))
    assert (d.status, d.decided_by, d.package_status) == (S.APPROVED, approver,
                                                          PackageStatus.APPROVED)
    assert d.decision_reason == "scan clean" and d.decided_at is not None
    assert sub.status == SubmissionStatus.COMPLETED
    wf = airlock.get_workflow(app_conn, id=req.workflow_id)
    assert wf.current_stage == WorkflowStage.COMPLETED and wf.completed_at is not None
    event = core.get_audit_event(app_conn, id=d.audit_event_id, occurred_at=d.audited_at)
    assert (event.application, event.action, event.entity_type, event.entity_id) == (
        "airlock", "approve", "workflow", str(req.workflow_id))
    assert event.actor_user_id == approver and event.actor_username == "approve-me"
    assert event.correlation_id == "review-42" and event.reason == "scan clean"
    assert event.details == {"package": "chalk", "version": "5.3.0",
                             "package_request_id": str(req.id),
                             "submission_id": str(d.submission_id), "decision": "approved"}


def test_reject_updates_workflow_request_package_and_audits(app_conn: Conn) -> None:
    user = make_user(app_conn, "reject-sub")
    approver = make_user(app_conn, "reject-me", "approver")
    req = one_workflow(app_conn, user, "gpl-thing", "1.0.0")
    assert req.workflow_id is not None
    walk_to(app_conn, req.workflow_id, S.AWAITING_APPROVAL)
    d = airlock.reject_workflow(app_conn, id=req.workflow_id, decided_by=approver,
                                reason="GPL-3.0-only is not on the allowlist")
    assert (d.status, d.package_status) == (S.REJECTED, PackageStatus.REJECTED)
    event = core.get_audit_event(app_conn, id=d.audit_event_id, occurred_at=d.audited_at)
    assert (event.action, event.event_level) == ("reject", "warning")
    assert event.reason == "GPL-3.0-only is not on the allowlist"
    [after] = airlock.list_submission_requests(app_conn, submission_id=d.submission_id)
    assert after.status == RequestStatus.REJECTED and after.decided_by == approver


def test_decision_audit_event_takes_the_transaction_audit_context(app_conn: Conn) -> None:
    user = make_user(app_conn, "ctx-sub")
    approver = make_user(app_conn, "ctx-approver", "approver")
    reqs = [one_workflow(app_conn, user, f"ctx-{i}", "1.0.0", project=f"ctx{i}")
            for i in range(2)]
    ids = [r.workflow_id for r in reqs]
    assert None not in ids
    wf_ids = [i for i in ids if i is not None]
    for wid in wf_ids:
        walk_to(app_conn, wid, S.AWAITING_APPROVAL)
    context: dict[str, Any] = {"session_id": "sess-7", "client_ip": "198.51.100.4",
                               "user_agent": "airlock-ui/2.1", "change_reason": "weekly review"}
    with transaction(app_conn, **context):
        approved = airlock.approve_workflow(app_conn, id=wf_ids[0],
                                            decided_by=approver, reason=None)
        rejected = airlock.reject_workflow(app_conn, id=wf_ids[1],
                                           decided_by=approver, reason="CVE-2024-0001")
    for d, reason in ((approved, "weekly review"), (rejected, "CVE-2024-0001")):
        e = core.get_audit_event(app_conn, id=d.audit_event_id, occurred_at=d.audited_at)
        assert (e.session_id, str(e.ip_address), e.user_agent, e.reason) == (
            "sess-7", "198.51.100.4", "airlock-ui/2.1", reason)


def test_decide_is_all_or_nothing(conn: Conn) -> None:
    """A failure in the audit insert leaves no status change (one statement)."""
    user = make_user(conn, "atomic-sub")
    approver = make_user(conn, "atomic-approver", "approver")
    req = one_workflow(conn, user, "atomic", "1.0.0")
    assert req.workflow_id is not None
    walk_to(conn, req.workflow_id, S.AWAITING_APPROVAL)
    conn.execute("""
        CREATE FUNCTION pg_temp.refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$""")
    conn.execute("CREATE TRIGGER zz_refuse BEFORE INSERT ON core.audit_log"
                 " FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_audit()")
    for decide in (airlock.approve_workflow, airlock.reject_workflow):
        with pytest.raises(Exception, match="audit store unavailable"):
            decide(conn, id=req.workflow_id, decided_by=approver, reason="r")
        wf = airlock.get_workflow(conn, id=req.workflow_id)
        assert (wf.status, wf.decided_by, wf.decided_at) == (S.AWAITING_APPROVAL, None, None)
        [after] = airlock.list_submission_requests(conn, submission_id=_sub_of(conn, req.id))
        assert after.status == RequestStatus.IN_REVIEW
        assert airlock.find_package(conn, name="atomic", version="1.0.0") is None
    conn.execute("DROP TRIGGER zz_refuse ON core.audit_log")
    d = airlock.approve_workflow(conn, id=req.workflow_id, decided_by=approver, reason=None)
    assert d.status == S.APPROVED


# --------------------------------------------------------------------------- work queue


def test_claim_next_workflows_takes_the_oldest_pending_once(app_conn: Conn) -> None:
    user = make_user(app_conn, "queuer")
    app_conn.execute("UPDATE airlock.workflows SET status = 'cancelled'"
                     " WHERE status = 'pending'")  # an empty queue for this test
    row = airlock.submit_lockfile(
        app_conn, user_id=user,
        package_lock_json=small_lock("queue", a="1", b="1", c="1", d="1", e="1"),
    )
    first = airlock.claim_next_workflows(app_conn, limit=3)
    second = airlock.claim_next_workflows(app_conn, limit=3)
    third = airlock.claim_next_workflows(app_conn, limit=3)
    assert (len(first), len(second), third) == (3, 2, [])
    assert {c.package_name for c in first + second} == {"a", "b", "c", "d", "e"}
    assert all(c.status == S.RUNNING and c.current_stage == WorkflowStage.FETCH
               and c.submission_id == row.submission_id for c in first + second)
    assert airlock.get_submission(app_conn, id=row.submission_id).status == (
        SubmissionStatus.PROCESSING)
    counts = {c.status: c.count for c in airlock.count_workflows_by_status(app_conn)}
    assert counts.get(S.RUNNING, 0) >= 5 and S.PENDING not in counts
    wf = airlock.advance_workflow(app_conn, id=first[0].id, status=None,
                                  current_stage=WorkflowStage.SECURITY_SCAN)
    assert (wf.status, wf.current_stage) == (S.RUNNING, WorkflowStage.SECURITY_SCAN)


def test_check_results_append_and_latest_per_type(app_conn: Conn) -> None:
    user = make_user(app_conn, "checker")
    req = one_workflow(app_conn, user)
    assert req.workflow_id is not None
    wid = req.workflow_id
    first = airlock.record_check_result(app_conn, workflow_id=wid, check_type=CheckType.TRIVY,
                                        status=CheckStatus.ERROR, results={"error": "timeout"})
    rerun = airlock.record_check_result(
        app_conn, workflow_id=wid, check_type=CheckType.TRIVY, status=CheckStatus.PASSED,
        results={"SchemaVersion": 2, "Results": [{"Target": "package.json",
                                                  "Vulnerabilities": []}]},
    )
    lic = airlock.record_check_result(app_conn, workflow_id=wid, check_type=CheckType.LICENSE,
                                      status=CheckStatus.PASSED, results=None)
    assert lic.results == {}
    latest = airlock.list_latest_check_results(app_conn, workflow_id=wid)
    assert [(r.check_type, r.id) for r in latest] == [(CheckType.TRIVY, rerun.id),
                                                      (CheckType.LICENSE, lic.id)]
    history = airlock.list_check_results(app_conn, workflow_id=wid)
    assert [r.id for r in history] == [first.id, rerun.id, lic.id]
    problems = airlock.list_recent_check_problems(app_conn, limit=100)
    assert first.id in {p.id for p in problems} and rerun.id not in {p.id for p in problems}


# --------------------------------------------------------------------------- licenses

EXPRESSIONS = [
    ("MIT", True), ("mit", True), ("Apache-2.0", True), ("0BSD", True),
    ("GPL-3.0-only", False), ("(MIT OR GPL-3.0-only)", True), ("GPL-3.0-only OR MIT", True),
    ("MIT AND GPL-3.0-only", False), ("(MIT AND ISC)", True),
    ("GPL-2.0-only OR MIT AND ISC", True), ("GPL-2.0-only OR MIT AND GPL-3.0-only", False),
    ("(GPL-2.0-only OR MIT) AND (ISC OR GPL-3.0-only)", True),
    ("(GPL-2.0-only OR MIT) AND GPL-3.0-only", False), ("((MIT))", True),
    ("GPL-2.0-only WITH Classpath-exception-2.0", False), ("MIT OR", None), ("", None),
    ("(MIT", None),
]


@pytest.mark.parametrize(("expression", "allowed"), EXPRESSIONS)
def test_is_license_allowed(app_conn: Conn, expression: str, allowed: bool | None) -> None:
    assert airlock.is_license_allowed(app_conn, expression=expression) is allowed


def test_blank_and_oversized_expressions_are_none_and_never_hang(app_conn: Conn) -> None:
    # White space other than spaces once left no token and looped forever (found by the bad-input
    # suite's " \t\n"): a regression must fail here, not hang the run.
    app_conn.execute("SET LOCAL statement_timeout = '10s'")
    for blank in (" \t\n", "\n", "\t\r"):
        assert airlock.is_license_allowed(app_conn, expression=blank) is None, repr(blank)
    within = " OR ".join(["GPL-3.0-only"] * 60 + ["MIT"])  # 963 characters
    assert len(within) <= 1000
    assert airlock.is_license_allowed(app_conn, expression=within) is True
    # Longer than any real SPDX expression (the reduction is quadratic in the tokens): None.
    oversized = within + " OR ISC" * 6  # 1,005 characters
    assert len(oversized) > 1000
    assert airlock.is_license_allowed(app_conn, expression=oversized) is None


def test_license_allowlist_management(app_conn: Conn) -> None:
    admin = make_user(app_conn, "lic-admin", "admin")
    defaults = [lic.license_identifier for lic in airlock.list_active_licenses(app_conn)]
    assert defaults == sorted(["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC",
                               "0BSD"])
    exc = airlock.create_license(app_conn,
                                 license_identifier="GPL-2.0-only WITH Classpath-exception-2.0",
                                 license_name="GPL 2.0 with the Classpath exception",
                                 description="allowed for the JVM bridge", created_by=admin)
    assert exc.is_active and exc.created_by == admin
    assert airlock.is_license_allowed(
        app_conn, expression="GPL-2.0-only WITH Classpath-exception-2.0") is True
    with pytest.raises(Conflict, match="uq_license_allowlist__license_identifier"):
        airlock.create_license(app_conn, license_identifier="MIT", license_name="again",
                               description=None, created_by=None)
    off = airlock.set_license_active(app_conn, license_identifier="MIT", is_active=False)
    assert not off.is_active
    assert airlock.is_license_allowed(app_conn, expression="MIT") is False
    assert airlock.is_license_allowed(app_conn, expression="MIT OR ISC") is True
    assert airlock.get_license(app_conn, license_identifier="MIT").is_active is False
    with pytest.raises(NotFound):
        airlock.set_license_active(app_conn, license_identifier="WTFPL", is_active=True)


def test_license_check_and_disallowed_packages_of_a_submission(app_conn: Conn) -> None:
    user = make_user(app_conn, "lic-sub")
    row = airlock.submit_lockfile(
        app_conn, user_id=user,
        package_lock_json=small_lock("lic", ok="1.0.0", dual="2.0.0", gpl="3.0.0",
                                     both="4.0.0", unknown="5.0.0"),
    )
    for name, version, lic in (("ok", "1.0.0", "MIT"), ("dual", "2.0.0", "(MIT OR GPL-3.0-only)"),
                               ("gpl", "3.0.0", "GPL-3.0-only"),
                               ("both", "4.0.0", "MIT AND GPL-3.0-only")):
        pkg = airlock.upsert_package(app_conn, name=name, version=version,
                                     metadata={"license": lic}, license=lic,
                                     tarball_storage_key=None)
        assert pkg.license == lic
    bad = airlock.list_disallowed_packages_for_submission(app_conn,
                                                           submission_id=row.submission_id)
    assert [(b.package_name, b.license, b.allowed) for b in bad] == [
        ("both", "MIT AND GPL-3.0-only", False), ("gpl", "GPL-3.0-only", False),
        ("unknown", None, None)]
    reqs = {r.package_name: r for r in
            airlock.list_submission_requests(app_conn, submission_id=row.submission_id)}
    verdicts = {}
    for name in ("ok", "dual", "gpl", "unknown"):
        wid = reqs[name].workflow_id
        assert wid is not None
        check = airlock.run_license_check(app_conn, workflow_id=wid)
        assert check.check_type == CheckType.LICENSE
        verdicts[name] = check.status
        assert isinstance(check.results, dict)
        allowlist = check.results["allowlist"]
        assert isinstance(allowlist, list) and "MIT" in allowlist
    assert verdicts == {"ok": CheckStatus.PASSED, "dual": CheckStatus.PASSED,
                        "gpl": CheckStatus.FAILED, "unknown": CheckStatus.ERROR}
    with pytest.raises(NotFound):
        airlock.run_license_check(app_conn, workflow_id=uuid.uuid4())


# --------------------------------------------------------------------------- packages


def test_package_queries(app_conn: Conn) -> None:
    user = make_user(app_conn, "pkg-sub")
    row = airlock.submit_lockfile(app_conn, user_id=user,
                                  package_lock_json=small_lock("pk", lodash="4.17.21"))
    [req] = airlock.list_submission_requests(app_conn, submission_id=row.submission_id)
    assert req.package_id is None
    manifest = {"name": "lodash", "version": "4.17.21", "license": "MIT",
                "dist": {"tarball": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"},
                "dependencies": {}}
    pkg = airlock.upsert_package(app_conn, name="lodash", version="4.17.21", metadata=manifest,
                                 license="MIT", tarball_storage_key="npm/lodash-4.17.21.tgz")
    assert (pkg.status, pkg.fetched_at is not None) == (PackageStatus.FETCHED, True)
    [req] = airlock.list_submission_requests(app_conn, submission_id=row.submission_id)
    assert req.package_id == pkg.id  # linked in the same statement
    assert airlock.get_package(app_conn, id=pkg.id) == pkg
    assert airlock.find_package(app_conn, name="lodash", version="4.17.21") == pkg
    assert airlock.find_package(app_conn, name="lodash", version="0.0.0") is None
    hits = airlock.search_packages_by_metadata(app_conn, contains={"license": "MIT",
                                                                   "name": "lodash"}, limit=10)
    assert [h.id for h in hits] == [pkg.id]
    approved = airlock.update_package_status(app_conn, id=pkg.id, status=PackageStatus.APPROVED)
    assert approved.status == PackageStatus.APPROVED
    again = airlock.upsert_package(app_conn, name="lodash", version="4.17.21", metadata=manifest,
                                   license="MIT", tarball_storage_key=None)
    assert again.id == pkg.id and again.status == PackageStatus.APPROVED  # decisions stay
    assert again.tarball_storage_key == "npm/lodash-4.17.21.tgz"
    revoked = airlock.update_package_status(app_conn, id=pkg.id, status=PackageStatus.REVOKED)
    assert revoked.status == PackageStatus.REVOKED


# --------------------------------------------------------------------------- usage


def test_usage_which_projects_use_a_package(app_conn: Conn) -> None:
    user = make_user(app_conn, "usage-sub")
    for project, version in (("shop", "4.17.20"), ("admin", "4.17.21"), ("blog", "4.17.21")):
        lock = small_lock(project, lodash=version, react="18.2.0")
        airlock.submit_lockfile(app_conn, user_id=user, package_lock_json=lock)
    every = airlock.list_projects_using_package(app_conn, package_name="lodash", versions=None)
    assert [(u.project_name, u.package_version) for u in every] == [
        ("admin", "4.17.21"), ("blog", "4.17.21"), ("shop", "4.17.20")]
    hit = airlock.list_projects_using_package(app_conn, package_name="lodash",
                                              versions=["4.17.20"])
    assert [(u.project_name, u.project_version, u.request_status) for u in hit] == [
        ("shop", "1.0.0", RequestStatus.PENDING)]
    used = airlock.list_packages_for_project(app_conn, project_name="blog")
    assert [(p.package_name, p.package_version) for p in used] == [
        ("lodash", "4.17.21"), ("react", "18.2.0")]
    streamed = list(airlock.stream_list_packages_for_project(app_conn, project_name="blog",
                                                              batch_size=1))
    assert streamed == used


# --------------------------------------------------------------------------- users view


def test_v_users_rebuilds_the_roles_array(app_conn: Conn) -> None:
    rev = make_user(app_conn, "view-reviewer", "reviewer", "approver")
    plain = make_user(app_conn, "view-plain")
    u = airlock.get_airlock_user(app_conn, id=rev)
    assert (u.username, u.roles) == ("view-reviewer", ["approver", "reviewer"])
    assert airlock.get_airlock_user(app_conn, id=plain).roles == []
    approvers = airlock.list_airlock_users_with_role(app_conn, role="approver")
    assert rev in {a.id for a in approvers} and plain not in {a.id for a in approvers}


async def test_async_twin_ingests_a_lockfile(aconn: AConn) -> None:
    user = await aconn.execute(
        "INSERT INTO core.users (username, email, auth_provider)"
        " VALUES ('async-sub', 'async-sub@example.com', 'oidc') RETURNING id")
    row = await user.fetchone()
    assert row is not None
    lock = lockfile_v1(top=10)
    async with atransaction(aconn):
        ingest = await airlock_aio.submit_lockfile(aconn, user_id=row[0], package_lock_json=lock)
    assert ingest.request_count == len(expected_requests(lock))
    claimed = await airlock_aio.claim_next_workflows(aconn, limit=1)
    assert len(claimed) == 1
