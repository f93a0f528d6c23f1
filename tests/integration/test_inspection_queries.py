"""Every named query of sql/inspection/ against a real server, as the application role.

Writes run in ``transaction(app_conn, user_id=...)`` (the change trail needs the actor). The
report access cases (owner, public, listed user, listed role, stranger, expired) are here; the
trail is in test_inspection_trail.py, the 8-worker claim in test_inspection_concurrency.py.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from inspection_support import BOX, Conn, World, make_user, make_world, sha

from registry_sql import core, inspection, paths
from registry_sql.codegen.source import load_schema
from registry_sql.core import Application
from registry_sql.db import atransaction, transaction
from registry_sql.errors import Conflict, InvalidInput, NotFound
from registry_sql.inspection import (
    ArtifactType,
    DefectSeverity,
    DefectType,
    DetectionMethod,
    InferenceStatus,
    InspectionStatus,
    InspectionType,
    LotStatus,
    PartType,
    ReportFormat,
    ReportStatus,
    ReportType,
    ReviewStatus,
    StorageLocation,
    aio,
)

HERE = Path(__file__).parent


def _db_now(conn: Conn) -> Any:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


def test_every_inspection_query_is_called_by_a_test() -> None:
    names = {q.name for q in load_schema(paths.sql_dir(), "inspection")}
    assert len(names) >= 50
    sources = "\n".join(p.read_text(encoding="utf-8")
                        for p in sorted(HERE.glob("test_inspection_*.py")))
    sources += (HERE / "inspection_support.py").read_text(encoding="utf-8")
    called = set(re.findall(r"\b(?:inspection|aio)\.([a-z_][a-z0-9_]*)\(", sources))
    assert sorted(names - called) == [], "inspection queries without an integration test"


def test_every_query_has_sync_and_async_functions() -> None:
    for q in load_schema(paths.sql_dir(), "inspection"):
        assert callable(getattr(inspection, q.name, None)), q.name
        assert callable(getattr(aio, q.name, None)), q.name


# --------------------------------------------------------------------------- parts and lots


def test_parts_crud_pagination_and_counts(app_conn: Conn) -> None:
    uid = make_user(app_conn, "parts")
    with transaction(app_conn, user_id=uid):
        made = [
            inspection.create_part(app_conn, part_number=f"PN-{i:02d}", name=f"Part {i}",
                                   part_type=PartType.ASSEMBLY if i % 2 else PartType.COMPONENT,
                                   specifications={"finish": "anodized"}, created_by=uid)
            for i in range(5)
        ]
        with pytest.raises(Conflict) as info, transaction(app_conn):
            inspection.create_part(app_conn, part_number="PN-00", name="dup",
                                   part_type=PartType.COMPONENT)
        assert info.value.constraint == "uq_parts__part_number"
        changed = inspection.update_part(app_conn, id=made[0].id, is_active=False,
                                         description="retired", updated_by=uid)
    assert changed.is_active is False and changed.name == "Part 0"  # None kept the name
    assert inspection.get_part(app_conn, id=made[1].id).part_number == "PN-01"
    assert inspection.get_part_by_number(app_conn, part_number="PN-02").id == made[2].id
    with pytest.raises(NotFound):
        inspection.get_part_by_number(app_conn, part_number="PN-99")
    page = inspection.list_parts(app_conn, limit=2, offset=1)
    assert [p.part_number for p in page] == ["PN-01", "PN-02"]
    assert inspection.count_parts(app_conn) == 5
    assert inspection.count_parts(app_conn, is_active=True, part_type=PartType.COMPONENT) == 2
    active = inspection.list_parts(app_conn, is_active=True, limit=10)
    assert [p.part_number for p in active] == ["PN-01", "PN-02", "PN-03", "PN-04"]


def test_lots(app_conn: Conn) -> None:
    w = make_world(app_conn, "lots")
    with transaction(app_conn, user_id=w.user_id):
        extra = [inspection.create_lot(app_conn, lot_number=f"LOT-x{i}", part_id=w.part_id,
                                       quantity=10, production_line="L2", supplier="ACME",
                                       production_metadata={"shift": i}, created_by=w.user_id)
                 for i in range(3)]
        lot = inspection.update_lot(app_conn, id=extra[0].id, status=LotStatus.QUARANTINED,
                                    quantity_rejected=2, updated_by=w.user_id)
        with pytest.raises(InvalidInput) as info, transaction(app_conn):
            inspection.update_lot(app_conn, id=extra[1].id, quantity_rejected=11,
                                  updated_by=w.user_id)
        assert info.value.constraint == "ck_lots__quantity_rejected_range"
    assert (lot.status, lot.quantity_rejected) == (LotStatus.QUARANTINED, 2)
    assert inspection.get_lot(app_conn, id=w.lot_id).lot_number == "LOT-lots"
    assert inspection.get_lot_by_number(app_conn, lot_number="LOT-x2").id == extra[2].id
    assert inspection.count_lots_for_part(app_conn, part_id=w.part_id) == 4
    assert inspection.count_lots_for_part(app_conn, part_id=w.part_id,
                                          status=LotStatus.QUARANTINED) == 1
    page = inspection.list_lots_for_part(app_conn, part_id=w.part_id, limit=2, offset=0)
    assert len(page) == 2
    rest = inspection.list_lots_for_part(app_conn, part_id=w.part_id, limit=10, offset=2)
    assert {x.id for x in page} | {x.id for x in rest} == {w.lot_id, *(x.id for x in extra)}


# --------------------------------------------------------------------------- inspections


def test_inspection_lifecycle_and_queue(app_conn: Conn) -> None:
    w = make_world(app_conn, "queue")
    with transaction(app_conn, user_id=w.user_id):
        urgent = inspection.create_inspection(app_conn, lot_id=w.lot_id,
                                              inspection_type=InspectionType.FIRST_ARTICLE,
                                              priority=9, station_id="cam-3",
                                              serial_number="SN-1", created_by=w.user_id)
        low = inspection.create_inspection(app_conn, lot_id=w.lot_id,
                                           inspection_type=InspectionType.AUDIT, priority=1,
                                           created_by=w.user_id)
        started = inspection.start_inspection(app_conn, id=urgent.id, inspector_id=w.user_id,
                                              updated_by=w.user_id)
        with pytest.raises(NotFound):  # only pending ones start
            inspection.start_inspection(app_conn, id=urgent.id, updated_by=w.user_id)
        done = inspection.complete_inspection(app_conn, id=low.id, result="conditional",
                                              notes="borderline", updated_by=w.user_id)
        with pytest.raises(InvalidInput) as info, transaction(app_conn):
            inspection.complete_inspection(app_conn, id=urgent.id, result="great",
                                           updated_by=w.user_id)
        assert info.value.constraint == "ck_inspections__result_values"
        moved = inspection.update_inspection(app_conn, id=w.inspection_id, priority=7,
                                             notes="bumped", updated_by=w.user_id)
        cancelled = inspection.update_inspection(app_conn, id=moved.id,
                                                 status=InspectionStatus.CANCELLED,
                                                 updated_by=w.user_id)
    assert started.status == InspectionStatus.IN_PROGRESS and started.started_at is not None
    assert started.inspector_id == w.user_id
    assert done.status == InspectionStatus.COMPLETED and done.completed_at is not None
    assert (done.result, done.notes) == ("conditional", "borderline")
    assert cancelled.priority == 7 and cancelled.notes == "bumped"
    queue = inspection.next_inspections_in_queue(app_conn, limit=10)
    assert [i.id for i in queue if i.lot_id == w.lot_id] == [urgent.id]  # others closed
    assert inspection.get_inspection(app_conn, id=low.id).result == "conditional"
    assert inspection.count_inspections_for_lot(app_conn, lot_id=w.lot_id) == 3
    assert inspection.count_inspections_for_lot(
        app_conn, lot_id=w.lot_id, status=InspectionStatus.COMPLETED) == 1
    listed = inspection.list_inspections_for_lot(app_conn, lot_id=w.lot_id, limit=2)
    assert len(listed) == 2
    plan = "\n".join(r[0] for r in app_conn.execute(
        "EXPLAIN SELECT id FROM inspection.inspections WHERE status IN ('pending', "
        "'in_progress') ORDER BY priority DESC, created_at LIMIT 5"))
    assert "inspections" in plan  # the plan itself depends on statistics; the query runs


# --------------------------------------------------------------------------- defects


def test_defects_and_review(app_conn: Conn) -> None:
    w = make_world(app_conn, "review")
    with transaction(app_conn, user_id=w.user_id):
        crit = inspection.create_defect(
            app_conn, inspection_id=w.inspection_id, defect_type=DefectType.CRACK,
            severity=DefectSeverity.CRITICAL, detection_method=DetectionMethod.HYBRID,
            confidence=Decimal("0.9731"), location=BOX, description="hairline",
            artifact_id=w.artifact_id, defect_metadata={"class_id": 3}, created_by=w.user_id)
        with pytest.raises(InvalidInput) as info, transaction(app_conn):
            inspection.create_defect(
                app_conn, inspection_id=w.inspection_id, defect_type=DefectType.CRACK,
                severity=DefectSeverity.MINOR, detection_method=DetectionMethod.ML_INFERENCE,
                location=BOX)
        assert info.value.constraint == "ck_defects__ml_has_confidence"
        reviewed = inspection.review_defect(app_conn, id=crit.id,
                                            review_status=ReviewStatus.ESCALATED,
                                            reviewed_by=w.user_id, review_notes="to QE")
    assert reviewed.reviewed_at is not None and reviewed.review_notes == "to QE"
    assert inspection.get_defect(app_conn, id=crit.id).confidence == Decimal("0.9731")
    listed = inspection.list_defects_for_inspection(app_conn, inspection_id=w.inspection_id,
                                                    limit=10)
    assert [d.severity for d in listed] == [DefectSeverity.CRITICAL, DefectSeverity.MINOR]
    major_up = inspection.list_defects_for_inspection(
        app_conn, inspection_id=w.inspection_id, min_severity=DefectSeverity.MAJOR, limit=10)
    assert [d.id for d in major_up] == [crit.id]
    assert inspection.count_defects_for_inspection(app_conn, inspection_id=w.inspection_id) == 2
    assert inspection.count_defects_for_inspection(
        app_conn, inspection_id=w.inspection_id, min_severity=DefectSeverity.MAJOR) == 1
    pending = inspection.list_defects_pending_review(app_conn, limit=100)
    assert w.defect_id in {d.id for d in pending} and crit.id not in {d.id for d in pending}
    assert inspection.count_defects_pending_review(app_conn) >= 1


def test_bulk_defects_from_an_inference_result(app_conn: Conn) -> None:
    w = make_world(app_conn, "bulkq")
    detections = [
        {"defect_type": "porosity", "severity": "major", "confidence": 0.91,
         "location": {"x": 1, "y": 2, "width": 3, "height": 4}, "metadata": {"k": 1}},
        {"defect_type": "burr", "severity": "cosmetic", "confidence": 0.42,
         "location": {"x": 5, "y": 6}, "description": "edge"},
    ]
    with transaction(app_conn, user_id=w.user_id):
        assert inspection.create_defects_from_inference(  # not completed yet: nothing
            app_conn, inference_job_id=w.job_id, created_by=w.user_id) == 0
        [job] = inspection.claim_inference_jobs(app_conn, limit=5)
        inspection.complete_inference_job(app_conn, id=job.id,
                                          results={"detections": detections})
        n = inspection.create_defects_from_inference(app_conn, inference_job_id=job.id,
                                                     created_by=w.user_id)
    assert n == 2
    made = [d for d in inspection.list_defects_for_inspection(
        app_conn, inspection_id=w.inspection_id, limit=10) if d.inference_job_id == job.id]
    assert sorted(d.defect_type for d in made) == ["burr", "porosity"]
    assert all(d.detection_method == DetectionMethod.ML_INFERENCE for d in made)
    assert all(d.artifact_id == w.artifact_id for d in made)
    # one bad detection rejects the whole result
    with transaction(app_conn, user_id=w.user_id):
        job2 = inspection.enqueue_inference_job(app_conn, inspection_id=w.inspection_id,
                                                model_name="yolo")
        inspection.claim_inference_jobs(app_conn, model_name="yolo", limit=1)
        inspection.complete_inference_job(app_conn, id=job2.id, results={"detections": [
            detections[0], {**detections[1], "defect_type": "smudge"}]})
        with pytest.raises(InvalidInput) as info, transaction(app_conn):
            inspection.create_defects_from_inference(app_conn, inference_job_id=job2.id,
                                                     created_by=w.user_id)
    assert "smudge" in str(info.value) and "defect_type" in str(info.value)


# --------------------------------------------------------------------------- inference jobs


def test_inference_job_lifecycle_and_latency(app_conn: Conn) -> None:
    w = make_world(app_conn, "jobs")
    with transaction(app_conn, user_id=w.user_id):
        jobs = [inspection.enqueue_inference_job(
            app_conn, inspection_id=w.inspection_id, input_artifact_id=w.artifact_id,
            model_name="defect-net", model_version="2" if i % 2 else "1",
            triton_server_url="http://triton:8000", parameters={"threshold": 0.5})
            for i in range(20)]
        claimed = inspection.claim_inference_jobs(app_conn, model_name="defect-net", limit=100)
        assert {j.id for j in claimed} == {j.id for j in jobs}
        assert all(j.status == InferenceStatus.RUNNING and j.queue_time_ms is not None
                   for j in claimed)
        for i, job in enumerate(jobs[:18]):
            done = inspection.complete_inference_job(
                app_conn, id=job.id, results={"detections": []}, triton_request_id=f"r{i}",
                gpu_id="0", preprocess_time_ms=1.0, inference_time_ms=float(i),
                postprocess_time_ms=0.5, total_time_ms=float(10 * (i + 1)))
            assert done.status == InferenceStatus.COMPLETED
        failed = inspection.fail_inference_job(app_conn, id=jobs[18].id,
                                               error_message="CUDA OOM", timed_out=False)
        timeout = inspection.fail_inference_job(app_conn, id=jobs[19].id,
                                                error_message="no answer in 30s",
                                                timed_out=True)
        with pytest.raises(NotFound):  # only running jobs complete
            inspection.complete_inference_job(app_conn, id=jobs[0].id, results={})
        again = inspection.retry_inference_job(app_conn, id=failed.id)
    assert (failed.status, timeout.status) == (InferenceStatus.FAILED, InferenceStatus.TIMEOUT)
    assert again.status == InferenceStatus.PENDING and again.retry_count == 1
    assert again.error_message is None
    assert inspection.get_inference_job(app_conn, id=jobs[0].id).triton_request_id == "r0"
    by_status = {r.status: r.jobs for r in inspection.count_inference_jobs_by_status(
        app_conn, inspection_id=w.inspection_id)}
    assert by_status == {InferenceStatus.PENDING: 2, InferenceStatus.COMPLETED: 18,
                         InferenceStatus.TIMEOUT: 1}  # the world's job + the retried one
    now = _db_now(app_conn)
    stats = {(s.model_name, s.model_version): s for s in inspection.inference_latency_stats(
        app_conn, completed_from=now - timedelta(hours=1), completed_to=now + timedelta(hours=1))}
    v1 = stats[("defect-net", "1")]  # totals 10, 30, ..., 170 (9 jobs)
    assert v1.jobs == 9 and v1.p50_ms == 90.0 and v1.mean_ms == 90.0
    assert v1.p95_ms == pytest.approx(162.0) and v1.p99_ms == pytest.approx(168.4)
    assert stats[("defect-net", "2")].jobs == 9
    assert inspection.inference_latency_stats(
        app_conn, completed_from=now + timedelta(hours=1),
        completed_to=now + timedelta(hours=2)) == []


# --------------------------------------------------------------------------- artifacts


def test_artifacts_checksum_tags_and_tiers(app_conn: Conn) -> None:
    w = make_world(app_conn, "arts")
    with transaction(app_conn, user_id=w.user_id):
        a = [inspection.create_artifact(
            app_conn, artifact_type=ArtifactType.PROCESSED_IMAGE if i else ArtifactType.LOG,
            storage_uri=f"s3://arts/{i}", file_name=f"{i}.png", content_type="image/png",
            file_size_bytes=100 * i, checksum_sha256=sha("same" if i < 2 else str(i)),
            tags=[["line-1", "night"], ["line-1", "day"], ["line-2", "night"]][i],
            lot_id=w.lot_id, artifact_metadata={"w": 640}, created_by=w.user_id)
            for i in range(3)]
        warm = inspection.move_artifact_tier(app_conn, id=a[0].id,
                                             storage_location=StorageLocation.WARM,
                                             updated_by=w.user_id)
        with pytest.raises(NotFound):  # already there
            inspection.move_artifact_tier(app_conn, id=a[0].id,
                                          storage_location=StorageLocation.WARM,
                                          updated_by=w.user_id)
        moved = inspection.move_artifacts_tier(app_conn, ids=[a[0].id, a[1].id, a[2].id],
                                               storage_location=StorageLocation.COLD,
                                               updated_by=w.user_id)
    assert warm.storage_location == StorageLocation.WARM and warm.tier_changed_at is not None
    assert moved == 3
    assert inspection.get_artifact(app_conn, id=a[2].id).storage_location == "cold"
    dupes = inspection.find_artifacts_by_checksum(app_conn, checksum_sha256=sha("same").upper())
    assert {x.id for x in dupes} == {a[0].id, a[1].id} and len(dupes) == 2

    def ids(**kw: Any) -> set[uuid.UUID]:
        return {x.id for x in inspection.search_artifacts_by_tags(app_conn, limit=50, **kw)}

    assert ids(all_tags=["line-1", "night"]) == {a[0].id}
    assert ids(any_tags=["day", "line-2"]) == {a[1].id, a[2].id}
    assert ids(all_tags=["night"], any_tags=["line-2"]) == {a[2].id}
    assert ids(all_tags=["line-1"], artifact_type=ArtifactType.LOG) == {a[0].id}
    assert inspection.count_search_artifacts_by_tags(app_conn, all_tags=["night"]) == 2
    assert inspection.count_search_artifacts_by_tags(app_conn, any_tags=["camera-1"]) >= 1
    with inspection.stream_search_artifacts_by_tags(app_conn, any_tags=["line-1"], limit=10,
                                                    batch_size=1) as stream:
        assert {x.id for x in stream} == {a[0].id, a[1].id}
    now = _db_now(app_conn)
    candidates = inspection.list_tier_candidates(app_conn, created_before=now + timedelta(1),
                                                 limit=100)
    assert w.artifact_id in {x.id for x in candidates}  # hot
    assert not {x.id for x in candidates} & {x.id for x in a}  # moved to cold


# --------------------------------------------------------------------------- reports


def _completed_report(conn: Conn, w: World, **kw: Any) -> uuid.UUID:
    with transaction(conn, user_id=w.user_id):
        rep = inspection.create_report(conn, report_type=ReportType.DEFECT_ANALYSIS,
                                       format=ReportFormat.XLSX, title="Defects",
                                       created_by=w.user_id, **kw)
        inspection.mark_report_generating(conn, id=rep.id)
        inspection.complete_report(conn, id=rep.id, artifact_id=w.artifact_id)
    return rep.id


def test_report_lifecycle(app_conn: Conn) -> None:
    w = make_world(app_conn, "replife")
    now = _db_now(app_conn)
    with transaction(app_conn, user_id=w.user_id):
        rep = inspection.create_report(
            app_conn, report_type=ReportType.COMPLIANCE, format=ReportFormat.PDF,
            title="Q4 compliance", parameters={"lines": ["L1"]}, period_start=now - timedelta(90),
            period_end=now, inspection_id=w.inspection_id, expires_at=now + timedelta(30),
            created_by=w.user_id)
        gen = inspection.mark_report_generating(app_conn, id=rep.id)
        with pytest.raises(NotFound):
            inspection.mark_report_generating(app_conn, id=rep.id)
        done = inspection.complete_report(app_conn, id=rep.id, artifact_id=w.artifact_id)
        counted = inspection.record_report_download(app_conn, id=rep.id)
        failed = inspection.fail_report(app_conn, id=w.report_id, error_message="no data")
    assert gen.status == ReportStatus.GENERATING and gen.generation_started_at is not None
    assert done.status == ReportStatus.COMPLETED and done.generated_at is not None
    assert counted.download_count == 1
    assert failed.status == ReportStatus.FAILED and failed.error_message == "no data"
    assert inspection.get_report(app_conn, id=rep.id).artifact_id == w.artifact_id
    mine = inspection.list_reports(app_conn, created_by=w.user_id, limit=10)
    assert {r.id for r in mine} == {rep.id, w.report_id}
    assert inspection.count_reports(app_conn, created_by=w.user_id) == 2
    assert inspection.count_reports(app_conn, created_by=w.user_id,
                                    status=ReportStatus.FAILED) == 1
    compliance = inspection.list_reports(app_conn, report_type=ReportType.COMPLIANCE,
                                         created_by=w.user_id, limit=10, offset=0)
    assert [r.id for r in compliance] == [rep.id]


def test_report_access(app_conn: Conn) -> None:
    w = make_world(app_conn, "access")
    listed, role_holder, stranger = (make_user(app_conn, n)
                                     for n in ("listed", "qe", "stranger"))
    with transaction(app_conn):
        core.grant_role_by_name(app_conn, user_id=role_holder,
                                application=Application.INSPECTION, role_name="quality_engineer")
        core.grant_role_by_name(app_conn, user_id=stranger,
                                application=Application.INSPECTION, role_name="inspector")
    private = _completed_report(app_conn, w, allowed_user_ids=[listed],
                                allowed_roles=["quality_engineer"])
    public = _completed_report(app_conn, w, is_public=True)

    def can_read(report_id: uuid.UUID, user: uuid.UUID) -> bool:
        try:
            row = inspection.get_report_if_allowed(app_conn, id=report_id, user_id=user)
        except NotFound:
            return False
        assert row.id == report_id
        return True

    assert can_read(private, w.user_id)  # owner
    assert can_read(private, listed)  # listed user
    assert can_read(private, role_holder)  # listed role
    assert not can_read(private, stranger)  # another role, not listed
    assert can_read(public, stranger)  # public
    # expired: nobody, the owner included. created_at is the (test) transaction's start, so an
    # expiry 1 ms after it is valid and already past once the statement below runs.
    now = _db_now(app_conn)
    later = _completed_report(app_conn, w, is_public=True, expires_at=now + timedelta(hours=1))
    assert can_read(later, w.user_id)
    expiring = _completed_report(app_conn, w, is_public=True,
                                 expires_at=now + timedelta(milliseconds=1))
    app_conn.execute("SELECT pg_sleep(0.01)")
    assert not can_read(expiring, w.user_id) and not can_read(expiring, stranger)
    # a report that is not completed is nobody's to read
    with transaction(app_conn, user_id=w.user_id):
        pending = inspection.create_report(app_conn, report_type=ReportType.TREND_ANALYSIS,
                                           format=ReportFormat.JSON, title="t", is_public=True,
                                           created_by=w.user_id)
    assert not can_read(pending.id, w.user_id)
    assert not can_read(uuid.uuid4(), w.user_id)


def test_report_expiry(app_conn: Conn) -> None:
    w = make_world(app_conn, "expiry")
    now = _db_now(app_conn)  # the test transaction's start: created_at of the reports
    rid = _completed_report(app_conn, w, expires_at=now + timedelta(milliseconds=1))
    keep = _completed_report(app_conn, w, expires_at=now + timedelta(days=1))
    app_conn.execute("SELECT pg_sleep(0.01)")
    expired = inspection.list_expired_reports(app_conn, limit=10)
    assert [r.id for r in expired] == [rid] and keep not in {r.id for r in expired}
    with transaction(app_conn, user_id=w.user_id):
        done = inspection.expire_report(app_conn, id=rid, updated_by=w.user_id)
        with pytest.raises(NotFound):  # once
            inspection.expire_report(app_conn, id=rid, updated_by=w.user_id)
        with pytest.raises(NotFound):  # not yet
            inspection.expire_report(app_conn, id=keep, updated_by=w.user_id)
    assert done.id == rid and done.released_artifact_id == w.artifact_id
    after = inspection.get_report(app_conn, id=rid)
    assert after.expired_at is not None and after.artifact_id is None
    assert after.status == ReportStatus.COMPLETED  # the record stays
    assert inspection.list_expired_reports(app_conn, limit=10) == []


# --------------------------------------------------------------------------- quality figures


def test_quality_figures(app_conn: Conn) -> None:
    w = make_world(app_conn, "quality")
    with transaction(app_conn, user_id=w.user_id):
        for sev, status in ((DefectSeverity.MAJOR, None),
                            (DefectSeverity.MAJOR, ReviewStatus.FALSE_POSITIVE)):
            d = inspection.create_defect(app_conn, inspection_id=w.inspection_id,
                                         defect_type=DefectType.DENT, severity=sev,
                                         detection_method=DetectionMethod.MANUAL,
                                         location=BOX, created_by=w.user_id)
            if status is not None:
                inspection.review_defect(app_conn, id=d.id, review_status=status,
                                         reviewed_by=w.user_id, review_notes="fp")
        inspection.update_lot(app_conn, id=w.lot_id, quantity_rejected=5, updated_by=w.user_id)
    now = _db_now(app_conn)
    window = {"created_from": now - timedelta(days=1), "created_to": now + timedelta(days=1)}
    [lot] = inspection.defect_rate_by_lot(app_conn, part_id=w.part_id, **window)
    assert (lot.lot_id, lot.inspections, lot.units_sampled, lot.defects) == (w.lot_id, 1, 10, 2)
    assert lot.rejection_rate == Decimal("0.0500")
    parts = {p.part_id: p for p in inspection.defect_rate_by_part(app_conn, **window)}
    mine = parts[w.part_id]
    assert (mine.lots, mine.units, mine.units_rejected, mine.defects) == (1, 100, 5, 2)
    assert mine.rejection_rate == Decimal("0.0500")
    days = inspection.defects_per_day(app_conn, **window)
    mine_days = {(r.defect_type, r.severity): r.defects for r in days}
    assert mine_days[(DefectType.DENT, DefectSeverity.MAJOR)] >= 1
    assert mine_days[(DefectType.SCRATCH, DefectSeverity.MINOR)] >= 1
    assert inspection.defects_per_day(app_conn, created_from=now + timedelta(days=1),
                                      created_to=now + timedelta(days=2)) == []


async def test_async_twins(conn: Conn, app_url: str) -> None:
    uid = make_user(conn, "async-insp")
    aconn = await psycopg.AsyncConnection.connect(app_url)
    try:
        async with atransaction(aconn, user_id=uid):
            part = await aio.create_part(aconn, part_number="PN-async", name="Async",
                                         part_type=PartType.COMPONENT, created_by=uid)
        assert (await aio.get_part(aconn, id=part.id)).name == "Async"
        history = await aio.list_record_history(aconn, entity_type="inspection.parts",
                                                entity_id=str(part.id))
        assert [v.action for v in history] == ["create"]
    finally:
        await aconn.close()
