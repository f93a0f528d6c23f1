"""The FDA change trail of the inspection tables (migrations 0051, 0052).

Every INSERT, UPDATE and DELETE on the seven tables writes exactly one core.audit_log event per
row, with the old and new values of the changed columns only and the actor, session, client IP,
user agent, correlation id and reason of the transaction (``transaction(conn, user_id=...)``);
a change without an actor, or without a reason where one is required, is refused and leaves
nothing written; ``list_record_history`` returns every version in order.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from inspection_support import BOX, Conn, World, counts, make_user, make_world, sha, trail

from registry_sql import inspection
from registry_sql.db import transaction
from registry_sql.errors import Forbidden, InvalidInput
from registry_sql.inspection import (
    DefectSeverity,
    DefectType,
    DetectionMethod,
    LotStatus,
    PartType,
    ReviewStatus,
    StorageLocation,
)

# PostgreSQL 15 runs this module too: transition tables under foreign key cascades are
# version-dependent behaviour (docs/testing.md)
pytestmark = pytest.mark.compat

APP_LOGIN = "registry_app_login"

# table -> (an update through a named query, the columns it changes)
UPDATES: dict[str, tuple[Callable[[Conn, World], object], set[str]]] = {
    "parts": (lambda c, w: inspection.update_part(c, id=w.part_id, name="Renamed",
                                                   updated_by=w.user_id), {"name"}),
    "lots": (lambda c, w: inspection.update_lot(c, id=w.lot_id, status=LotStatus.IN_INSPECTION,
                                                 updated_by=w.user_id), {"status"}),
    "inspections": (lambda c, w: inspection.update_inspection(c, id=w.inspection_id, priority=9,
                                                               updated_by=w.user_id),
                    {"priority"}),
    "defects": (lambda c, w: inspection.review_defect(c, id=w.defect_id,
                                                       review_status=ReviewStatus.CONFIRMED,
                                                       reviewed_by=w.user_id,
                                                       review_notes="real scratch"),
                {"review_status", "reviewed_by", "reviewed_at", "review_notes"}),
    "inference_jobs": (lambda c, w: inspection.claim_inference_jobs(c, model_name="yolo",
                                                                     limit=1),
                       {"status", "started_at", "queue_time_ms"}),
    "artifacts": (lambda c, w: inspection.move_artifact_tier(
        c, id=w.artifact_id, storage_location=StorageLocation.WARM, updated_by=w.user_id),
        {"storage_location", "tier_changed_at"}),
    "reports": (lambda c, w: inspection.mark_report_generating(c, id=w.report_id),
                {"status", "generation_started_at"}),
}


def _id(w: World, table: str) -> uuid.UUID:
    return {
        "parts": w.part_id, "lots": w.lot_id, "inspections": w.inspection_id,
        "defects": w.defect_id, "inference_jobs": w.job_id, "artifacts": w.artifact_id,
        "reports": w.report_id,
    }[table]


def _columns(conn: Conn, table: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped", (f"inspection.{table}",))}


@pytest.mark.parametrize("table", sorted(UPDATES))
def test_insert_and_update_write_one_event_each_with_the_changed_columns(
    app_conn: Conn, table: str
) -> None:
    """As the application role: the create event holds the whole new row (but updated_at), the
    update event exactly the changed columns, old and new."""
    w = make_world(app_conn, table)
    rid = _id(w, table)
    [created] = trail(app_conn, table, rid)
    assert created.action == "create" and created.version == 1
    assert created.actor_user_id == w.user_id and created.actor_username == f"insp-{table}"
    assert created.old_values is None
    assert isinstance(created.new_values, dict)
    assert set(created.new_values) == _columns(app_conn, table) - {"updated_at"}
    assert created.changed_fields == sorted(created.new_values)
    assert created.new_values["id"] == str(rid)
    assert created.db_user == APP_LOGIN

    update, changed = UPDATES[table]
    before = counts(app_conn)
    with transaction(app_conn, user_id=w.user_id, change_reason="test change"):
        update(app_conn, w)
    assert counts(app_conn)["audit"] == before["audit"] + 1
    history = trail(app_conn, table, rid)
    assert [v.action for v in history] == ["create", "update"]
    event = history[1]
    assert set(event.changed_fields or []) == changed
    assert isinstance(event.old_values, dict) and isinstance(event.new_values, dict)
    assert set(event.old_values) == set(event.new_values) == changed
    assert all(event.old_values[k] != event.new_values[k] for k in changed)
    assert event.reason == "test change"


@pytest.mark.parametrize("table", sorted(UPDATES))
def test_delete_writes_one_event_with_the_old_row(conn: Conn, table: str) -> None:
    """Deletes are for operators (registry_owner; services have no DELETE): recorded the same."""
    w = make_world(conn, f"del-{table}")
    if table == "parts":  # a part with lots cannot be deleted (NO ACTION): a fresh one
        with transaction(conn, user_id=w.user_id):
            rid = inspection.create_part(conn, part_number="PN-lonely", name="Lonely",
                                         part_type=PartType.ASSEMBLY, created_by=w.user_id).id
    else:
        rid = _id(w, table)
    with transaction(conn, user_id=w.user_id, change_reason="purge test data"):
        row = conn.execute(
            psycopg.sql.SQL("DELETE FROM {} WHERE id = %s RETURNING id").format(
                psycopg.sql.Identifier("inspection", table)), (rid,)).fetchone()
    assert row is not None
    history = trail(conn, table, rid)
    assert [v.action for v in history] == ["create", "delete"]
    gone = history[1]
    assert gone.new_values is None and isinstance(gone.old_values, dict)
    assert gone.old_values["id"] == str(rid)
    assert set(gone.old_values) == _columns(conn, table) - {"updated_at"}
    assert gone.reason == "purge test data" and gone.state is None


def test_a_cascade_is_recorded_row_by_row(conn: Conn) -> None:
    """Deleting a lot: its inspection, defect and job are deleted, its artifact and report lose
    the link; each row gets its own event in the same transaction."""
    w = make_world(conn, "cascade")
    before = counts(conn)
    with transaction(conn, user_id=w.user_id, change_reason="lot scrapped"):
        conn.execute("DELETE FROM inspection.lots WHERE id = %s", (w.lot_id,))
    after = counts(conn)
    assert {t: before[t] - after[t] for t in before if t != "audit"} == {
        "parts": 0, "lots": 1, "inspections": 1, "defects": 1, "inference_jobs": 1,
        "artifacts": 0, "reports": 0}
    # 4 deletes + the artifact twice (lot_id and inspection_id SET NULL by two cascades: two
    # row versions, two events) + the report (lot_id SET NULL)
    assert after["audit"] - before["audit"] == 7
    for table, rid in (("lots", w.lot_id), ("inspections", w.inspection_id),
                       ("defects", w.defect_id), ("inference_jobs", w.job_id)):
        assert [v.action for v in trail(conn, table, rid)][-1] == "delete", table
    arts = trail(conn, "artifacts", w.artifact_id)
    assert [v.action for v in arts] == ["create", "update", "update"]
    assert sorted(f for v in arts[1:] for f in v.changed_fields or []) == [
        "inspection_id", "lot_id"]
    assert all(len(v.changed_fields or []) == 1 for v in arts[1:])
    state: Any = arts[-1].state
    assert state["inspection_id"] is None and state["lot_id"] is None
    rep = trail(conn, "reports", w.report_id)[-1]
    assert rep.changed_fields == ["lot_id"] and rep.reason == "lot scrapped"


def test_the_context_of_the_transaction_is_recorded(app_conn: Conn) -> None:
    uid = make_user(app_conn, "ctx")
    with transaction(app_conn, user_id=uid, session_id="sess-42", client_ip="203.0.113.9",
                     user_agent="inspector-ui/2.1", correlation_id="req-7"):
        part = inspection.create_part(app_conn, part_number="PN-ctx", name="Ctx",
                                      part_type=PartType.COMPONENT, created_by=uid)
    [event] = trail(app_conn, "parts", part.id)
    assert event.actor_user_id == uid and event.actor_username == "ctx"
    assert event.session_id == "sess-42"
    assert event.ip_address == ipaddress.ip_address("203.0.113.9")
    assert event.user_agent == "inspector-ui/2.1"
    assert event.correlation_id == "req-7"
    assert event.reason is None
    assert event.db_user == APP_LOGIN and event.db_txid is not None


# --------------------------------------------------------------------------- refusals

CREATES: dict[str, Callable[[Conn, World], object]] = {
    "parts": lambda c, w: inspection.create_part(c, part_number="PN-x", name="x",
                                                  part_type=PartType.COMPONENT),
    "lots": lambda c, w: inspection.create_lot(c, lot_number="LOT-x", part_id=w.part_id,
                                                quantity=1),
    "inspections": lambda c, w: inspection.create_inspection(
        c, lot_id=w.lot_id, inspection_type=inspection.InspectionType.AUDIT),
    "defects": lambda c, w: inspection.create_defect(
        c, inspection_id=w.inspection_id, defect_type=DefectType.DENT,
        severity=DefectSeverity.MAJOR, detection_method=DetectionMethod.MANUAL, location=BOX),
    "inference_jobs": lambda c, w: inspection.enqueue_inference_job(
        c, inspection_id=w.inspection_id, model_name="yolo"),
    "artifacts": lambda c, w: inspection.create_artifact(
        c, artifact_type=inspection.ArtifactType.LOG, storage_uri="s3://x", file_name="x",
        file_size_bytes=1, checksum_sha256=sha("x")),
    "reports": lambda c, w: inspection.create_report(
        c, report_type=inspection.ReportType.COMPLIANCE, format=inspection.ReportFormat.CSV,
        title="x"),
}


@pytest.mark.parametrize("table", sorted(CREATES))
def test_a_change_without_an_actor_is_refused_and_writes_nothing(
    app_conn: Conn, table: str
) -> None:
    w = make_world(app_conn, f"anon-{table}")
    before = counts(app_conn)
    for op, change in (("INSERT", CREATES[table]), ("UPDATE", UPDATES[table][0])):
        with pytest.raises(InvalidInput) as info, transaction(app_conn):
            change(app_conn, w)
        err = info.value
        assert err.sqlstate == "RS002"
        assert err.constraint == f"trg_{table}__trail_{op.lower()}"
        assert err.table == f"inspection.{table}"
        assert "app.user_id is not set" in str(err) and "user_id=" in str(err), str(err)
        assert counts(app_conn) == before, f"{op} without an actor left rows behind"


def test_a_bad_actor_setting_is_refused(app_conn: Conn) -> None:
    w = make_world(app_conn, "badactor")
    with pytest.raises(InvalidInput) as info, transaction(app_conn):
        app_conn.execute("SELECT set_config('app.user_id', 'somebody', true)")
        inspection.update_part(app_conn, id=w.part_id, name="y", updated_by=w.user_id)
    assert info.value.sqlstate == "RS002" and "not a UUID" in str(info.value)
    with pytest.raises(InvalidInput) as info, transaction(app_conn, user_id=w.user_id):
        app_conn.execute("SELECT set_config('app.client_ip', 'not-an-ip', true)")
        inspection.update_part(app_conn, id=w.part_id, name="y", updated_by=w.user_id)
    assert "not an IP address" in str(info.value)
    assert inspection.get_part(app_conn, id=w.part_id).name == "Bracket badactor"


def test_a_statement_that_changes_nothing_needs_no_actor(app_conn: Conn) -> None:
    before = counts(app_conn)
    assert inspection.move_artifacts_tier(app_conn, ids=[uuid.uuid4()],
                                          storage_location=StorageLocation.COLD,
                                          updated_by=uuid.uuid4()) == 0
    assert counts(app_conn) == before


def test_changing_a_reviewed_defect_needs_a_reason(app_conn: Conn) -> None:
    w = make_world(app_conn, "reason-defect")
    with transaction(app_conn, user_id=w.user_id):  # the first review needs no reason
        inspection.review_defect(app_conn, id=w.defect_id, review_status=ReviewStatus.CONFIRMED,
                                 reviewed_by=w.user_id, review_notes="scratch")
    before = counts(app_conn)
    with pytest.raises(InvalidInput) as info, transaction(app_conn, user_id=w.user_id):
        inspection.review_defect(app_conn, id=w.defect_id,
                                 review_status=ReviewStatus.FALSE_POSITIVE,
                                 reviewed_by=w.user_id, review_notes="glare")
    err = info.value
    assert err.sqlstate == "RS002" and err.constraint == "trg_defects__require_reason"
    assert "needs a reason" in str(err) and "change_reason=" in str(err)
    assert counts(app_conn) == before
    assert inspection.get_defect(app_conn, id=w.defect_id).review_status == "confirmed"
    with transaction(app_conn, user_id=w.user_id, change_reason="glare on the lens"):
        inspection.review_defect(app_conn, id=w.defect_id,
                                 review_status=ReviewStatus.FALSE_POSITIVE,
                                 reviewed_by=w.user_id, review_notes="glare")
    last = trail(app_conn, "defects", w.defect_id)[-1]
    assert last.reason == "glare on the lens"
    old: Any = last.old_values
    assert old["review_status"] == "confirmed" and old["review_notes"] == "scratch"


def test_changing_or_deleting_a_completed_inspection_needs_a_reason(
    conn: Conn,
) -> None:
    w = make_world(conn, "reason-insp")
    with transaction(conn, user_id=w.user_id):
        inspection.complete_inspection(conn, id=w.inspection_id, result="pass",
                                       updated_by=w.user_id)
        inspection.update_lot(conn, id=w.lot_id, status=LotStatus.APPROVED,
                              updated_by=w.user_id)  # other tables need no reason
    before = counts(conn)
    with pytest.raises(InvalidInput) as info, transaction(conn, user_id=w.user_id):
        inspection.update_inspection(conn, id=w.inspection_id, result="fail",
                                     updated_by=w.user_id)
    assert info.value.constraint == "trg_inspections__require_reason"
    with pytest.raises(InvalidInput), transaction(conn, user_id=w.user_id):
        conn.execute("DELETE FROM inspection.inspections WHERE id = %s", (w.inspection_id,))
    # blank is no reason
    with pytest.raises(InvalidInput), transaction(conn, user_id=w.user_id, change_reason=" "):
        inspection.update_inspection(conn, id=w.inspection_id, result="fail",
                                     updated_by=w.user_id)
    assert counts(conn) == before
    with transaction(conn, user_id=w.user_id, change_reason="re-measured: out of tolerance"):
        row = inspection.update_inspection(conn, id=w.inspection_id, result="fail",
                                           updated_by=w.user_id)
    assert row.result == "fail"


def test_the_id_of_a_record_cannot_change(app_conn: Conn) -> None:
    w = make_world(app_conn, "rekey")
    with pytest.raises(InvalidInput) as info, transaction(app_conn, user_id=w.user_id):
        app_conn.execute("UPDATE inspection.reports SET id = %s WHERE id = %s",
                         (uuid.uuid4(), w.report_id))
    assert "cannot change" in str(info.value) and info.value.sqlstate == "RS002"


def test_services_cannot_delete_or_silence_the_trail(app_conn: Conn) -> None:
    w = make_world(app_conn, "nodelete")
    before = counts(app_conn)
    with pytest.raises(Forbidden), transaction(app_conn, user_id=w.user_id,
                                               change_reason="try"):
        app_conn.execute("DELETE FROM inspection.defects WHERE id = %s", (w.defect_id,))
    for stmt in ("ALTER TABLE inspection.defects DISABLE TRIGGER trg_defects__trail_update",
                 "ALTER TABLE inspection.defects DISABLE TRIGGER ALL",
                 "SET LOCAL session_replication_role = replica",
                 "DROP TRIGGER trg_defects__trail_update ON inspection.defects",
                 "TRUNCATE inspection.defects CASCADE"):
        with pytest.raises(Forbidden) as raw, transaction(app_conn):
            app_conn.execute(stmt)
        assert raw.value.sqlstate == "42501", stmt
    assert counts(app_conn) == before
    flags = {r[0]: r[1] for r in app_conn.execute(
        "SELECT tgname, tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'inspection' AND (tgname LIKE '%%trail%%' OR tgname LIKE '%%reason')")}
    assert len(flags) == 7 * 3 + 2 and set(flags.values()) == {"A"}  # ENABLE ALWAYS


# --------------------------------------------------------------------------- history


def test_history_returns_every_version_in_order_with_who_and_why(app_conn: Conn) -> None:
    w = make_world(app_conn, "history")
    reviewer = make_user(app_conn, "reviewer-h")
    with transaction(app_conn, user_id=reviewer, session_id="s-1"):
        inspection.review_defect(app_conn, id=w.defect_id, review_status=ReviewStatus.IN_REVIEW,
                                 reviewed_by=reviewer, review_notes="looking")
    with transaction(app_conn, user_id=reviewer, session_id="s-1"):
        inspection.review_defect(app_conn, id=w.defect_id, review_status=ReviewStatus.CONFIRMED,
                                 reviewed_by=reviewer, review_notes="confirmed")
    with transaction(app_conn, user_id=w.user_id, change_reason="second opinion: glare"):
        final = inspection.review_defect(app_conn, id=w.defect_id,
                                         review_status=ReviewStatus.FALSE_POSITIVE,
                                         reviewed_by=w.user_id, review_notes="glare")
    history = trail(app_conn, "defects", w.defect_id)
    assert [v.version for v in history] == [1, 2, 3, 4]
    assert [v.action for v in history] == ["create", "update", "update", "update"]
    assert [v.actor_username for v in history] == ["insp-history", "reviewer-h", "reviewer-h",
                                                   "insp-history"]
    assert [v.reason for v in history] == [None, None, None, "second opinion: glare"]
    assert [v.occurred_at for v in history] == sorted(v.occurred_at for v in history)
    states = [v.state for v in history]
    assert all(isinstance(s, dict) for s in states)
    assert [s["review_status"] for s in states] == [
        "pending", "in_review", "confirmed", "false_positive"]
    # each version's old values are the previous version's state: nothing is obscured
    for prev, cur in zip(history, history[1:], strict=False):
        assert isinstance(cur.old_values, dict) and isinstance(prev.state, dict)
        assert all(prev.state[k] == v for k, v in cur.old_values.items())
    last: dict[str, Any] = states[-1]
    assert last["review_notes"] == final.review_notes == "glare"
    assert last["reviewed_by"] == str(final.reviewed_by)
    assert inspection.count_record_history(app_conn, entity_type="inspection.defects",
                                           entity_id=str(w.defect_id)) == 4


def test_bulk_defects_from_one_inference_result_are_one_statement(app_conn: Conn) -> None:
    w = make_world(app_conn, "bulk")
    detections = [
        {"defect_type": "scratch", "severity": "minor", "confidence": 0.5 + i / 200,
         "location": {"x": i, "y": i, "width": 5, "height": 5}}
        for i in range(60)
    ]
    with transaction(app_conn, user_id=w.user_id, correlation_id="bulk-1"):
        [job] = inspection.claim_inference_jobs(app_conn, model_name="yolo", limit=1)
        inspection.complete_inference_job(app_conn, id=job.id,
                                          results={"detections": detections},
                                          total_time_ms=12.5)
        made = inspection.create_defects_from_inference(
            app_conn, inference_job_id=job.id, min_confidence=Decimal("0.6"), created_by=w.user_id)
    assert made == 40  # confidences 0.60 .. 0.795
    rows = app_conn.execute(
        "SELECT count(*), count(DISTINCT db_txid), count(DISTINCT occurred_at) "
        "FROM core.audit_log WHERE entity_type = 'inspection.defects' "
        "AND correlation_id = 'bulk-1'").fetchone()
    assert rows == (40, 1, 1)


def test_an_update_that_changes_nothing_still_leaves_one_event(app_conn: Conn) -> None:
    w = make_world(app_conn, "noop")
    with transaction(app_conn, user_id=w.user_id):
        inspection.update_part(app_conn, id=w.part_id, name="Bracket noop", updated_by=w.user_id)
    last = trail(app_conn, "parts", w.part_id)[-1]
    assert last.action == "update" and last.version == 2
    assert last.changed_fields == [] and last.old_values == {} and last.new_values == {}
