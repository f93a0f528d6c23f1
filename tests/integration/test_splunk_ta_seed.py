"""The splunk_ta sample data (idempotent: the story of one request) and its demo tour segment."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from registry_sql import core, splunk_ta
from registry_sql.core import AuditAction
from registry_sql.seeds import splunk_ta as sta_seed
from registry_sql.splunk_ta import RequestStatus, TaRevisionType, ValidationStatus
from registry_sql.tours import splunk_ta as sta_tour

Conn = psycopg.Connection[Any]


def test_seed_tells_the_story_and_is_idempotent(
    conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    counts = sta_seed.seed(conn)
    assert counts == {
        "users": 4,
        "requests": 1,
        "log samples": 2,
        "revisions": 2,
        "validation runs": 2,
        "knowledge documents": 3,
    }
    assert sta_seed.seed(conn) == {}

    riley = core.get_user_by_username(conn, username="riley")
    r = splunk_ta.list_requests(conn, requester_id=riley.id, limit=5)[0]
    assert (r.title, r.status) == (sta_seed.TITLE, RequestStatus.COMPLETED)
    assert r.approved_by == core.get_user_by_username(conn, username="ava").id
    revs = splunk_ta.list_ta_revisions(conn, request_id=r.id)
    assert [(v.version, v.revision_type) for v in revs] == [
        (2, TaRevisionType.MANUAL),
        (1, TaRevisionType.AUTO),
    ]
    runs = splunk_ta.list_validation_runs_for_request(conn, request_id=r.id)
    assert [x.status for x in runs] == [ValidationStatus.PASSED, ValidationStatus.FAILED]
    samples = splunk_ta.list_log_samples_for_request(conn, request_id=r.id)
    assert len(samples) == 2
    expired = splunk_ta.list_expired_log_samples(conn, limit=10)
    assert [s.filename for s in expired if s.request_id == r.id] == ["asa-2026-09.log"]
    docs = splunk_ta.list_active_knowledge_documents(conn, limit=10)
    assert len(docs) == 2
    trail = splunk_ta.list_activity_by_correlation(
        conn, correlation_id=sta_seed.CORRELATION_ID, limit=50
    )
    actions = [e.action for e in trail]
    assert actions[:5] == [
        AuditAction.CREATE,
        AuditAction.UPLOAD,
        AuditAction.UPLOAD,
        AuditAction.UPDATE,
        AuditAction.APPROVE,
    ]
    # the request, two revisions, two validation runs
    assert actions.count(AuditAction.CREATE) == 5
    finished = [e.details for e in trail if e.entity_type == "splunk_ta.validation_run"]
    assert {"status": "failed", "error": "props.conf: EXTRACT-src has a bad regex"} in finished
    assert all(e.entity_type.startswith("splunk_ta.") for e in trail)

    sta_tour.tour(conn)
    out = capsys.readouterr().out
    assert "cannot go from status completed to generating_ta" in out
    assert "Conflict: splunk_ta.approve_request: request" in out and "already decided" in out
    assert "asa-2026-09.log" in out  # the purge released it
    assert sta_seed.SECRET_REF not in out and "***" in out
    assert sta_seed.CORRELATION_ID in out
    assert splunk_ta.list_expired_log_samples(conn, limit=10) == []
