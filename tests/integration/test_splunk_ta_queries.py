"""Every named query of ``sql/splunk_ta`` through its generated function, as the application role.

Rolled back after each test (``app_conn``). The status flow, constraints and concurrency have
modules of their own (test_splunk_ta_flow, _constraints, _concurrency).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from splunk_ta_support import Conn, People, S, drive, make_people, make_request, make_revision, sha

from registry_sql import splunk_ta
from registry_sql.core import ActorType, AuditAction
from registry_sql.db import transaction
from registry_sql.errors import Conflict, ForeignKeyMissing, InvalidInput, NotFound
from registry_sql.splunk_ta import TaRevisionType, ValidationStatus


@pytest.fixture
def who(app_conn: Conn) -> People:
    return make_people(app_conn)


def test_ensure_default_roles_is_idempotent(app_conn: Conn) -> None:
    # 0004 created the four roles: nothing to create, and again nothing.
    assert splunk_ta.ensure_default_roles(app_conn) == 0
    assert splunk_ta.ensure_default_roles(app_conn) == 0
    names = app_conn.execute(
        "SELECT name FROM core.roles WHERE application = 'splunk_ta' ORDER BY name"
    ).fetchall()
    assert [n for (n,) in names] == ["admin", "approver", "knowledge_manager", "requestor"]


def test_requests_create_get_list_count_update_delete(app_conn: Conn, who: People) -> None:
    c = app_conn
    r = make_request(c, who, "Palo Alto add-on")
    assert (r.status, r.requester_id, r.cim_data_models, r.metadata) == (
        S.NEW,
        who.requestor,
        ["Network_Traffic"],
        {},
    )
    assert splunk_ta.get_request_by_id(c, id=r.id) == r
    assert splunk_ta.request_exists(c, id=r.id) is True
    assert splunk_ta.request_exists(c, id=uuid.uuid4()) is False
    with pytest.raises(NotFound):
        splunk_ta.get_request_by_id(c, id=uuid.uuid4())
    second = make_request(c, who, "Second")
    other = make_people(c, "other")
    third = make_request(c, other, "Third")

    mine = splunk_ta.list_requests(c, requester_id=who.requestor, limit=10)
    assert [x.id for x in mine] == [second.id, r.id]  # newest first
    page1 = splunk_ta.list_requests(c, requester_id=who.requestor, limit=1)
    page2 = splunk_ta.list_requests(
        c,
        requester_id=who.requestor,
        after_created_at=page1[-1].created_at,
        after_id=page1[-1].id,
        limit=10,
    )
    assert [x.id for x in page1 + page2] == [second.id, r.id]
    with splunk_ta.stream_list_requests(c, status=S.NEW, limit=100) as stream:
        assert {x.id for x in stream} >= {r.id, second.id, third.id}
    assert splunk_ta.count_requests(c, requester_id=who.requestor) == 2
    assert splunk_ta.count_requests(c, requester_id=who.requestor, status=S.APPROVED) == 0

    with transaction(c):
        u = splunk_ta.update_request(
            c,
            id=r.id,
            title="Palo Alto PAN-OS",
            metadata={"priority": "high"},
            updated_by=who.requestor,
        )
    assert (u.title, u.vendor, u.metadata) == ("Palo Alto PAN-OS", "Cisco", {"priority": "high"})
    assert u.updated_at >= r.updated_at

    with transaction(c):
        assert splunk_ta.delete_request(c, id=third.id, deleted_by=other.requestor) == 1
        assert splunk_ta.delete_request(c, id=third.id, deleted_by=other.requestor) == 0
    assert not splunk_ta.request_exists(c, id=third.id)


def test_update_request_only_before_approval(app_conn: Conn, who: People) -> None:
    r = drive(app_conn, who, S.APPROVED)
    with pytest.raises(NotFound):
        splunk_ta.update_request(app_conn, id=r.id, title="changed", updated_by=who.requestor)


def test_pending_approval_queue_and_statistics(app_conn: Conn, who: People) -> None:
    c = app_conn
    before = {s.status: s.count for s in splunk_ta.get_request_statistics(c)}
    p1 = drive(c, who, S.PENDING_APPROVAL, "p1")
    p2 = drive(c, who, S.PENDING_APPROVAL, "p2")
    done = drive(c, who, S.COMPLETED, "done")
    drive(c, who, S.REJECTED, "no")
    queue = splunk_ta.list_requests_pending_approval(c, limit=100)
    assert [q.id for q in queue][-2:] == [p1.id, p2.id]  # oldest first
    assert all(q.status == S.PENDING_APPROVAL for q in queue)
    stats = splunk_ta.get_request_statistics(c)
    assert [s.status for s in stats] == list(S)  # every status, zero included
    after = {s.status: s.count for s in stats}
    assert after[S.PENDING_APPROVAL] - before[S.PENDING_APPROVAL] == 2
    assert after[S.COMPLETED] - before[S.COMPLETED] == 1
    assert after[S.REJECTED] - before[S.REJECTED] == 1
    completed = next(s for s in stats if s.status == S.COMPLETED)
    assert completed.avg_seconds_to_complete is not None
    assert completed.avg_seconds_to_complete >= 0
    assert done.completed_at is not None
    assert all(s.avg_seconds_to_complete is None for s in stats if s.status != S.COMPLETED)


def test_approve_and_reject_record_who_when_why_and_audit(app_conn: Conn, who: People) -> None:
    c = app_conn
    r = drive(c, who, S.PENDING_APPROVAL)
    with transaction(c, correlation_id="corr-approve-1"):
        a = splunk_ta.approve_request(c, id=r.id, approver_id=who.approver, comment="go")
    assert (a.status, a.approved_by, a.approval_comment) == (S.APPROVED, who.approver, "go")
    assert a.approved_at is not None and a.submitted_at is not None
    events = splunk_ta.list_activity_by_correlation(c, correlation_id="corr-approve-1", limit=10)
    assert [(e.action, e.actor_user_id, e.entity_id, e.reason) for e in events] == [
        (AuditAction.APPROVE, who.approver, str(r.id), "go")
    ]
    assert events[0].details == {"from": "pending_approval", "to": "approved"}
    with pytest.raises(Conflict, match="already decided"):
        splunk_ta.approve_request(c, id=r.id, approver_id=who.engineer, comment="me too")
    with pytest.raises(Conflict, match="already decided"):
        splunk_ta.reject_request(c, id=r.id, rejected_by=who.engineer, rejection_reason="late")
    assert splunk_ta.get_request_by_id(c, id=r.id).approved_by == who.approver

    r2 = drive(c, who, S.PENDING_APPROVAL, "to reject")
    with transaction(c):
        j = splunk_ta.reject_request(
            c, id=r2.id, rejected_by=who.approver, rejection_reason="out of scope"
        )
    assert (j.status, j.rejected_by, j.rejection_reason) == (
        S.REJECTED,
        who.approver,
        "out of scope",
    )
    with pytest.raises(NotFound):
        splunk_ta.approve_request(c, id=uuid.uuid4(), approver_id=who.approver)


def test_log_samples_upload_list_soft_delete_and_retention(app_conn: Conn, who: People) -> None:
    c = app_conn
    r = make_request(c, who)
    with transaction(c):
        s1 = splunk_ta.create_log_sample(
            c,
            request_id=r.id,
            filename="asa.log",
            storage_key="samples/asa.log",
            content_type="text/plain",
            file_size_bytes=2048,
            checksum_sha256=sha("asa"),
            line_count=40,
            uploaded_by=who.requestor,
        )
        old = splunk_ta.create_log_sample(
            c,
            request_id=r.id,
            filename="old.log",
            storage_key="samples/old.log",
            file_size_bytes=10,
            uploaded_by=who.requestor,
            retention_until=datetime.now(UTC) - timedelta(days=1),
        )
    # retention_until = upload + log_sample_retention_days (30 by default)
    assert s1.retention_until is not None
    assert abs((s1.retention_until - s1.created_at) - timedelta(days=30)) < timedelta(seconds=1)
    assert splunk_ta.get_log_sample_by_id(c, id=s1.id) == s1
    listed = splunk_ta.list_log_samples_for_request(c, request_id=r.id)
    assert [x.id for x in listed] == [s1.id, old.id]
    expired = splunk_ta.list_expired_log_samples(c, limit=100)
    assert old.id in {x.id for x in expired} and s1.id not in {x.id for x in expired}

    with transaction(c, correlation_id="purge-1"):
        purged = splunk_ta.purge_expired_log_samples(c, limit=100)
    assert [(p.id, p.storage_key) for p in purged if p.request_id == r.id] == [
        (old.id, "samples/old.log")
    ]
    # idempotent: nothing is released twice
    assert splunk_ta.purge_expired_log_samples(c, limit=100) == []
    audit = splunk_ta.list_activity_by_correlation(c, correlation_id="purge-1", limit=10)
    assert [(e.action, e.actor_type, e.reason) for e in audit] == [
        (AuditAction.DELETE, ActorType.SYSTEM, "retention expired")
    ]
    with pytest.raises(NotFound):
        splunk_ta.get_log_sample_by_id(c, id=old.id)

    with transaction(c):
        gone = splunk_ta.soft_delete_log_sample(c, id=s1.id, deleted_by=who.requestor)
    assert (gone.deleted_by, gone.storage_key) == (who.requestor, "samples/asa.log")
    assert gone.deleted_at is not None
    with pytest.raises(NotFound):
        splunk_ta.soft_delete_log_sample(c, id=s1.id, deleted_by=who.requestor)
    assert splunk_ta.list_log_samples_for_request(c, request_id=r.id) == []


def test_retention_follows_the_config(app_conn: Conn, who: People) -> None:
    c = app_conn
    with transaction(c):
        assert splunk_ta.set_log_sample_retention_days(c, value=7, updated_by=who.engineer) == 7
    assert splunk_ta.get_log_sample_retention_days(c) == 7
    r = make_request(c, who)
    with transaction(c):
        s = splunk_ta.create_log_sample(
            c, request_id=r.id, filename="a.log", storage_key="k", file_size_bytes=1
        )
    assert s.retention_until is not None
    assert abs((s.retention_until - s.created_at) - timedelta(days=7)) < timedelta(seconds=1)


def test_ta_revisions_versions_latest_list_download(app_conn: Conn, who: People) -> None:
    c = app_conn
    r = drive(c, who, S.GENERATING_TA)
    with transaction(c):
        assert splunk_ta.get_next_ta_version(c, request_id=r.id) == 1
    v1 = make_revision(c, r.id)
    v2 = make_revision(c, r.id, manual_by=who.engineer)
    assert (v1.version, v1.revision_type, v1.created_by) == (1, TaRevisionType.AUTO, None)
    assert (v2.version, v2.revision_type, v2.created_by) == (2, TaRevisionType.MANUAL, who.engineer)
    with transaction(c):
        assert splunk_ta.get_next_ta_version(c, request_id=r.id) == 3
    assert splunk_ta.get_latest_ta_revision(c, request_id=r.id) == v2
    assert [x.version for x in splunk_ta.list_ta_revisions(c, request_id=r.id)] == [2, 1]
    assert splunk_ta.get_ta_revision_by_id(c, id=v1.id) == v1
    with transaction(c, correlation_id="dl-1"):
        d = splunk_ta.record_ta_download(c, id=v2.id, user_id=who.requestor)
    assert d == v2
    ev = splunk_ta.list_activity_by_correlation(c, correlation_id="dl-1", limit=5)
    assert [(e.action, e.entity_type) for e in ev] == [
        (AuditAction.DOWNLOAD, "splunk_ta.ta_revision")
    ]
    with pytest.raises(NotFound):
        splunk_ta.record_ta_download(c, id=uuid.uuid4(), user_id=who.requestor)
    with pytest.raises(NotFound):
        splunk_ta.get_latest_ta_revision(c, request_id=uuid.uuid4())
    with pytest.raises(ForeignKeyMissing, match="fk_ta_revisions__request_id"):
        splunk_ta.get_next_ta_version(c, request_id=uuid.uuid4())
    with pytest.raises(ForeignKeyMissing, match="fk_ta_revisions__request_id"):
        make_revision(c, uuid.uuid4())


def test_validation_queue_start_complete(app_conn: Conn, who: People) -> None:
    c = app_conn
    r = drive(c, who, S.GENERATING_TA)
    rev = make_revision(c, r.id)
    running_before = splunk_ta.count_running_validations(c)
    with transaction(c):
        q = splunk_ta.queue_validation(c, request_id=r.id, ta_revision_id=rev.id)
    assert (q.status, q.started_at, q.results) == (ValidationStatus.QUEUED, None, {})
    with transaction(c):
        started = splunk_ta.start_validation(c, sandbox_id="sandbox-1")
    assert started is not None
    # the oldest queued run in the (rolled back) work database is ours
    assert (started.id, started.status, started.sandbox_id) == (
        q.id,
        ValidationStatus.RUNNING,
        "sandbox-1",
    )
    assert started.started_at is not None
    assert splunk_ta.count_running_validations(c) == running_before + 1
    with transaction(c):
        done = splunk_ta.complete_validation(
            c, id=q.id, status=ValidationStatus.PASSED, results={"btool": "ok", "cim": 1.0}
        )
    assert (done.status, done.results, done.error_message) == (
        ValidationStatus.PASSED,
        {"btool": "ok", "cim": 1.0},
        None,
    )
    assert done.completed_at is not None and done.completed_at >= started.started_at
    assert splunk_ta.get_validation_run_by_id(c, id=q.id) == done
    assert [x.id for x in splunk_ta.list_validation_runs_for_request(c, request_id=r.id)] == [q.id]
    # nothing queued: no claim
    with transaction(c):
        assert splunk_ta.start_validation(c, sandbox_id="sandbox-2") is None
    # completing again (passed -> failed) or completing a queued run is refused
    with pytest.raises(InvalidInput, match="from status passed to failed"):
        splunk_ta.complete_validation(c, id=q.id, status=ValidationStatus.FAILED)
    with pytest.raises(InvalidInput, match="from status passed to passed"):
        splunk_ta.complete_validation(c, id=q.id, status=ValidationStatus.PASSED)
    with transaction(c):
        q2 = splunk_ta.queue_validation(c, request_id=r.id, ta_revision_id=rev.id)
    with pytest.raises(InvalidInput, match="from status queued to passed") as e:
        splunk_ta.complete_validation(c, id=q2.id, status=ValidationStatus.PASSED)
    assert "only a running run can be completed" in str(e.value)
    with pytest.raises(NotFound):
        splunk_ta.complete_validation(c, id=uuid.uuid4(), status=ValidationStatus.PASSED)


def test_start_validation_respects_max_parallel(app_conn: Conn, who: People) -> None:
    c = app_conn
    r = drive(c, who, S.GENERATING_TA)
    rev = make_revision(c, r.id)
    with transaction(c):
        splunk_ta.set_max_parallel_validations(c, value=2, updated_by=who.engineer)
        for _ in range(4):
            splunk_ta.queue_validation(c, request_id=r.id, ta_revision_id=rev.id)
    claimed = []
    for i in range(4):
        with transaction(c):
            claimed.append(splunk_ta.start_validation(c, sandbox_id=f"sb-{i}"))
    assert splunk_ta.count_running_validations(c) == 2
    assert [x is not None for x in claimed] == [True, True, False, False]
    first = claimed[0]
    assert first is not None
    with transaction(c):
        splunk_ta.complete_validation(
            c, id=first.id, status=ValidationStatus.FAILED, error_message="props.conf: bad regex"
        )
        assert splunk_ta.start_validation(c, sandbox_id="sb-next") is not None
    # raising N at run time takes effect at the next claim
    with transaction(c):
        splunk_ta.set_max_parallel_validations(c, value=3, updated_by=who.engineer)
        assert splunk_ta.start_validation(c, sandbox_id="sb-more") is not None
    assert splunk_ta.count_running_validations(c) == 3


def test_knowledge_documents(app_conn: Conn, who: People) -> None:
    c = app_conn
    with transaction(c):
        d1 = splunk_ta.create_knowledge_document(
            c,
            title="CIM Network Traffic",
            document_type="cim_reference",
            content_hash=sha("cim-nt"),
            pinecone_index="ta-kb",
            pinecone_namespace="cim",
            vector_ids=["v1", "v2", "v3"],
            chunk_count=3,
            embedding_model="emb-3",
            indexed_at=datetime.now(UTC),
            uploaded_by=who.engineer,
            metadata={"lang": "en"},
        )
        d2 = splunk_ta.create_knowledge_document(
            c,
            title="props.conf best practices",
            document_type="best_practice",
            content_hash=sha("props"),
            vector_ids=["p1"],
            chunk_count=1,
        )
    assert (d1.is_active, d1.vector_ids, d1.metadata) == (True, ["v1", "v2", "v3"], {"lang": "en"})
    assert splunk_ta.get_knowledge_document_by_id(c, id=d1.id) == d1
    found = splunk_ta.find_active_knowledge_document_by_content_hash(c, content_hash=sha("cim-nt"))
    assert found is not None and found.id == d1.id
    assert (
        splunk_ta.find_active_knowledge_document_by_content_hash(c, content_hash=sha("x")) is None
    )
    with pytest.raises(Conflict, match="uq_knowledge_documents__content_hash_active"):
        splunk_ta.create_knowledge_document(c, title="dup", content_hash=sha("cim-nt"))
    active = splunk_ta.list_active_knowledge_documents(c, limit=100)
    assert [x.id for x in active][:2] == [d2.id, d1.id]
    only = splunk_ta.list_active_knowledge_documents(c, document_type="cim_reference", limit=100)
    assert d1.id in {x.id for x in only} and d2.id not in {x.id for x in only}
    with splunk_ta.stream_list_active_knowledge_documents(c, limit=100) as stream:
        assert {x.id for x in stream} >= {d1.id, d2.id}

    with transaction(c):
        gone = splunk_ta.deactivate_knowledge_document(c, id=d1.id, deactivated_by=who.engineer)
    assert (gone.id, gone.vector_ids, gone.pinecone_index, gone.pinecone_namespace) == (
        d1.id,
        ["v1", "v2", "v3"],
        "ta-kb",
        "cim",
    )
    with pytest.raises(NotFound):
        splunk_ta.deactivate_knowledge_document(c, id=d1.id, deactivated_by=who.engineer)
    assert d1.id not in {x.id for x in splunk_ta.list_active_knowledge_documents(c, limit=100)}
    assert (
        splunk_ta.find_active_knowledge_document_by_content_hash(c, content_hash=sha("cim-nt"))
        is None
    )
    # the content may come back once the old copy is inactive
    with transaction(c):
        again = splunk_ta.create_knowledge_document(c, title="CIM v2", content_hash=sha("cim-nt"))
    assert again.is_active and not splunk_ta.get_knowledge_document_by_id(c, id=d1.id).is_active


def test_config_get_set_list_typed_and_delete(app_conn: Conn, who: People) -> None:
    c = app_conn
    assert splunk_ta.get_max_parallel_validations(c) == 3
    assert splunk_ta.get_log_sample_retention_days(c) == 30
    entry = splunk_ta.get_config(c, key="max_parallel_validations")
    assert (entry.value, entry.is_secret) == (3, False)
    with transaction(c, correlation_id="cfg-1"):
        s = splunk_ta.set_config(
            c,
            key="llm.model",
            value={"name": "gpt-4o", "temperature": 0.2},
            description="LLM used by the generator",
            updated_by=who.engineer,
        )
        assert splunk_ta.set_max_parallel_validations(c, value=5, updated_by=who.engineer) == 5
    assert (s.value, s.description, s.updated_by) == (
        {"name": "gpt-4o", "temperature": 0.2},
        "LLM used by the generator",
        who.engineer,
    )
    with transaction(c):
        s2 = splunk_ta.set_config(c, key="llm.model", value={"name": "claude"})
    assert (s2.id, s2.value, s2.description) == (s.id, {"name": "claude"}, s.description)
    assert splunk_ta.get_max_parallel_validations(c) == 5
    keys = [e.key for e in splunk_ta.list_config(c)]
    assert keys == sorted(keys) and {"llm.model", "max_parallel_validations"} <= set(keys)
    ev = splunk_ta.list_activity_by_correlation(c, correlation_id="cfg-1", limit=10)
    assert [(e.action, e.entity_id) for e in ev] == [
        (AuditAction.UPDATE, "llm.model"),
        (AuditAction.UPDATE, "max_parallel_validations"),
    ]
    # known keys are typed
    with pytest.raises(InvalidInput, match="max_parallel_validations must be a whole JSON number"):
        splunk_ta.set_config(c, key="max_parallel_validations", value=["3"])
    with pytest.raises(InvalidInput, match="ck_system_config__max_parallel_validations_range"):
        splunk_ta.set_max_parallel_validations(c, value=0)
    with pytest.raises(InvalidInput, match="ck_system_config__log_sample_retention_days_range"):
        splunk_ta.set_log_sample_retention_days(c, value=5000)
    with pytest.raises(InvalidInput, match="ck_system_config__key_format"):
        splunk_ta.set_config(c, key="Bad Key", value={})
    with transaction(c):
        assert splunk_ta.delete_config(c, key="llm.model", deleted_by=who.engineer) == 1
        assert splunk_ta.delete_config(c, key="llm.model", deleted_by=who.engineer) == 0
    with pytest.raises(NotFound):
        splunk_ta.get_config(c, key="llm.model")


def test_start_validation_without_config_is_refused(app_conn: Conn, who: People) -> None:
    c = app_conn
    with transaction(c):
        splunk_ta.delete_config(c, key="max_parallel_validations", deleted_by=who.engineer)
    with pytest.raises(NotFound):
        splunk_ta.get_max_parallel_validations(c)
    with pytest.raises(InvalidInput, match="no max_parallel_validations entry"):
        splunk_ta.start_validation(c, sandbox_id="x")


def test_secret_config_is_never_read_back_or_shown(app_conn: Conn, who: People) -> None:
    c = app_conn
    ref = "vault:kv/splunk-ta/pinecone#api_key"
    with transaction(c, correlation_id="secret-1"):
        row = splunk_ta.set_secret_config(
            c,
            key="pinecone.api_key",
            secret_ref=ref,
            description="Pinecone",
            updated_by=who.engineer,
        )
    assert (row.value, row.is_secret) == ("***", True)
    assert ref not in repr(row) and ref not in row.model_dump_json()
    for read in (splunk_ta.get_config(c, key="pinecone.api_key"), *splunk_ta.list_config(c)):
        assert ref not in repr(read) and ref not in read.model_dump_json()
    events = splunk_ta.list_activity_by_correlation(c, correlation_id="secret-1", limit=5)
    assert len(events) == 1 and ref not in repr(events[0])
    revealed = splunk_ta.get_secret_config(c, key="pinecone.api_key")
    assert revealed.secret_ref == ref
    assert ref not in repr(revealed)  # Field(repr=False)
    with pytest.raises(NotFound):
        splunk_ta.get_secret_config(c, key="max_parallel_validations")  # not a secret entry
    # the secret itself is never stored: a plaintext key is refused before it is sent, and the
    # error does not carry it
    plaintext = "pcsk_live_9f8e7d6c5b4a-top-secret"
    with pytest.raises(InvalidInput, match="ck_system_config__secret_ref_format") as e:
        splunk_ta.set_secret_config(c, key="pinecone.api_key", secret_ref=plaintext)
    assert e.value.sqlstate is None and e.value.__cause__ is None  # never reached the server
    assert plaintext not in f"{e.value} {e.value.detail} {e.value!r}"
    # a secret on a typed key fails its CHECK on the server: the error never carries the value
    with pytest.raises(InvalidInput) as e:
        splunk_ta.set_secret_config(c, key="max_parallel_validations", secret_ref=ref)
    text = f"{e.value} {e.value.detail} {e.value!r} {e.value.__cause__!r}"
    assert ref not in text
    assert "ck_system_config__max_parallel_validations_range" in str(e.value)
    # a secret entry without its reference is refused, naming the rule
    with pytest.raises(InvalidInput, match="ck_system_config__secret_consistent"):
        splunk_ta.set_secret_config(c, key="other.secret", secret_ref=None)
    # setting the key as plain config drops the reference
    with transaction(c):
        plain = splunk_ta.set_config(c, key="pinecone.api_key", value={"enabled": True})
    assert plain.is_secret is False
    with pytest.raises(NotFound):
        splunk_ta.get_secret_config(c, key="pinecone.api_key")


def test_activity_recent_history_and_correlation(app_conn: Conn, who: People) -> None:
    c = app_conn
    with transaction(c, correlation_id="req-story"):
        r = splunk_ta.create_request(c, requester_id=who.requestor, title="Zscaler add-on")
        splunk_ta.submit_request(c, id=r.id, submitted_by=who.requestor)
    with transaction(c, correlation_id="req-story"):
        splunk_ta.approve_request(c, id=r.id, approver_id=who.approver, comment="ok")
    trail = splunk_ta.list_activity_by_correlation(c, correlation_id="req-story", limit=10)
    assert [e.action for e in trail] == [
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.APPROVE,
    ]
    assert {e.correlation_id for e in trail} == {"req-story"}
    history = splunk_ta.list_entity_history(
        c, entity_type="splunk_ta.request", entity_id=str(r.id), limit=10
    )
    assert [e.action for e in history] == [
        AuditAction.APPROVE,
        AuditAction.UPDATE,
        AuditAction.CREATE,
    ]
    older = splunk_ta.list_entity_history(
        c,
        entity_type="splunk_ta.request",
        entity_id=str(r.id),
        after_occurred_at=history[0].occurred_at,
        after_id=history[0].id,
        limit=10,
    )
    assert [e.id for e in older] == [e.id for e in history[1:]]
    recent = splunk_ta.list_recent_activity(c, actor_user_id=who.approver, limit=5)
    assert recent[0].action == AuditAction.APPROVE and recent[0].entity_id == str(r.id)
    assert splunk_ta.list_recent_activity(c, limit=3)[0].entity_id == str(r.id)


def test_audit_events_carry_the_transaction_audit_context(app_conn: Conn, who: People) -> None:
    c = app_conn
    with transaction(
        c,
        correlation_id="ctx-1",
        session_id="sess-42",
        client_ip="203.0.113.9",
        user_agent="ta-portal/1.0",
    ):
        r = splunk_ta.create_request(c, requester_id=who.requestor, title="Okta add-on")
    row = c.execute(
        "SELECT session_id, host(ip_address), user_agent FROM core.audit_log"
        " WHERE correlation_id = 'ctx-1' AND entity_id = %s",
        (str(r.id),),
    ).fetchone()
    assert row == ("sess-42", "203.0.113.9", "ta-portal/1.0")
