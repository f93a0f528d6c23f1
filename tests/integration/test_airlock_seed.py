"""The airlock sample data (`registry-sql seed`) and the demo tour segment, on a real server."""

from __future__ import annotations

import pytest
from airlock_support import Conn

from registry_sql import airlock, core
from registry_sql.airlock import CheckType, RequestStatus, WorkflowStatus
from registry_sql.seeds import airlock as airlock_seed
from registry_sql.seeds import core as core_seed
from registry_sql.seeds.airlock_lockfiles import expected_requests, lockfile_v1, lockfile_v3
from registry_sql.tours import airlock as airlock_tour


def test_seed_two_lockfiles_mixed_states_and_tour(
    conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    core_seed.seed(conn)
    counts = airlock_seed.seed(conn)
    expected = len(expected_requests(lockfile_v3(1_500))) + len(expected_requests(lockfile_v1()))
    assert counts["submissions"] == 2 and counts["requests"] == expected
    assert counts["approved"] > 0 and counts["rejected"] > 0
    assert counts["awaiting_approval"] > 0 and counts["failed"] == 1
    assert airlock_seed.seed(conn) == {}  # idempotent

    by_status = {c.status: c.count for c in airlock.count_workflows_by_status(conn)}
    assert by_status[WorkflowStatus.PENDING] == expected - airlock_seed.PROCESSED
    rejected = airlock.list_workflows_by_status(conn, status=WorkflowStatus.REJECTED, limit=100)
    assert len(rejected) == counts["rejected"]
    assert all(r.status == WorkflowStatus.REJECTED for r in rejected)
    reasons = {airlock.get_workflow(conn, id=r.id).decision_reason for r in rejected}
    assert any(reason and "not on the allowlist" in reason for reason in reasons)
    checks = airlock.list_latest_check_results(conn, workflow_id=rejected[0].id)
    trivy = next(c for c in checks if c.check_type == CheckType.TRIVY)
    assert isinstance(trivy.results, dict) and trivy.results["SchemaVersion"] == 2
    results = trivy.results["Results"]
    assert isinstance(results, list) and isinstance(results[0], dict)
    assert "Vulnerabilities" in results[0]

    maya = core.get_user_by_username(conn, username="maya")
    subs = airlock.list_submissions(conn, user_id=maya.id, status=None, after_created_at=None,
                                    after_id=None, limit=10)
    assert sorted(s.project_name for s in subs) == ["legacy-admin", "storefront-web"]
    statuses = {r.status for s in subs
                for r in airlock.list_submission_requests(conn, submission_id=s.id)}
    assert {RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.REJECTED,
            RequestStatus.IN_REVIEW, RequestStatus.FAILED} <= statuses

    airlock_tour.tour(conn)
    out = capsys.readouterr().out
    for expected_line in ("airlock.submit_lockfile", "InvalidInput", "claim_next_workflows",
                          "illegal status transition from rejected to running",
                          "approve_workflow", "action='approve'",
                          "list_projects_using_package"):
        assert expected_line in out
