"""Sample data of the ``inspection`` schema (seed 003): a small, regulated production line.

Two parts (a bracket and a housing), lots in several states, inspections with defects found by a
model (from one inference result, set-based) and by a person, a review, a completed and a failed
inference job, artifacts on two storage tiers, and a report that expires in a week. Two users act:
``ines`` (inspector) and ``quinn`` (quality engineer); every write carries its actor, so the change
trail (core.audit_log) has the whole story. ``size`` adds ``size // 50`` generated lots, each with
one completed inspection and three manual defects. Idempotent: nothing is done when part
``BRK-100`` exists.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from registry_sql import core, inspection
from registry_sql.core import Application
from registry_sql.db import transaction
from registry_sql.errors import NotFound
from registry_sql.inspection import (
    ArtifactType,
    DefectSeverity,
    DefectType,
    DetectionMethod,
    InspectionType,
    LotStatus,
    PartType,
    ReportFormat,
    ReportType,
    ReviewStatus,
    StorageLocation,
)
from registry_sql.seeds import Progress, hash_password

SESSION_ID, AGENT, IP = "seed", "registry-sql seed", "127.0.0.1"
DETECTIONS = [
    {"defect_type": "scratch", "severity": "minor", "confidence": 0.94,
     "location": {"x": 120, "y": 48, "width": 30, "height": 6}},
    {"defect_type": "porosity", "severity": "major", "confidence": 0.81,
     "location": {"x": 300, "y": 210, "width": 12, "height": 12}},
    {"defect_type": "discoloration", "severity": "cosmetic", "confidence": 0.35,
     "location": {"x": 10, "y": 10, "width": 50, "height": 40}},
]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _user(conn: psycopg.Connection[Any], name: str, full: str, role: str) -> uuid.UUID:
    try:
        return core.get_user_by_username(conn, username=name).id
    except NotFound:
        user = core.create_user(conn, username=name, email=f"{name}@factory.example",
                                full_name=full, hashed_password=hash_password(f"{name}-demo"))
        core.grant_role_by_name(conn, user_id=user.id, application=Application.INSPECTION,
                                role_name=role)
        return user.id


def seed(
    conn: psycopg.Connection[Any], *, size: int = 0, progress: Progress | None = None
) -> dict[str, int]:
    """Create the inspection sample (once); see the module docstring."""
    try:
        inspection.get_part_by_number(conn, part_number="BRK-100")
        return {}  # already seeded
    except NotFound:
        pass
    with transaction(conn):
        ines = _user(conn, "ines", "Ines Inspector", "inspector")
        quinn = _user(conn, "quinn", "Quinn Quality", "quality_engineer")
    counts = {"parts": 0, "lots": 0, "inspections": 0, "defects": 0, "inference jobs": 0,
              "artifacts": 0, "reports": 0}
    with transaction(conn, user_id=ines, session_id=SESSION_ID, user_agent=AGENT,
                     client_ip=IP):
        bracket = inspection.create_part(
            conn, part_number="BRK-100", revision="C", name="Mounting bracket",
            part_type=PartType.COMPONENT, material="6061-T6 aluminium",
            specifications={"length_mm": 120, "finish": "anodized"},
            tolerances={"length_mm": {"nominal": 120, "plus": 0.2, "minus": 0.2},
                        "hole_mm": {"nominal": 6.5, "plus": 0.05, "minus": 0.0}},
            created_by=ines)
        housing = inspection.create_part(
            conn, part_number="HSG-200", name="Sensor housing", part_type=PartType.ASSEMBLY,
            material="PA66-GF30", specifications={"ip_rating": "IP67"}, created_by=ines)
        counts["parts"] = 2
        lots = {}
        for number, part, status, qty in (("LOT-0001", bracket, LotStatus.APPROVED, 500),
                                          ("LOT-0002", bracket, LotStatus.IN_INSPECTION, 500),
                                          ("LOT-0003", housing, LotStatus.QUARANTINED, 200),
                                          ("LOT-0004", housing, LotStatus.PENDING, 200)):
            lot = inspection.create_lot(
                conn, lot_number=number, part_id=part.id, quantity=qty,
                production_date=date(2026, 11, 2), production_line="line-1",
                production_metadata={"shift": "A"}, created_by=ines)
            if status != LotStatus.PENDING:
                lot = inspection.update_lot(conn, id=lot.id, status=status, updated_by=ines)
            lots[number] = lot
        counts["lots"] = 4

        # LOT-0002: an AI-assisted final inspection, still open.
        insp = inspection.create_inspection(
            conn, lot_id=lots["LOT-0002"].id, inspection_type=InspectionType.FINAL, priority=8,
            inspector_id=ines, station_id="cam-3", sample_size=50, created_by=ines)
        inspection.start_inspection(conn, id=insp.id, updated_by=ines)
        image = inspection.create_artifact(
            conn, artifact_type=ArtifactType.RAW_IMAGE,
            storage_uri="s3://inspection/LOT-0002/0001.png",
            file_name="0001.png", content_type="image/png", file_size_bytes=2_457_600,
            checksum_sha256=_sha("LOT-0002/0001.png"), tags=["cam-3", "final", "line-1"],
            inspection_id=insp.id, lot_id=lots["LOT-0002"].id,
            artifact_metadata={"width": 1920, "height": 1280}, created_by=ines)
        old_image = inspection.create_artifact(
            conn, artifact_type=ArtifactType.RAW_IMAGE,
            storage_uri="s3://inspection/LOT-0001/0001.png", file_name="0001.png",
            content_type="image/png", file_size_bytes=2_401_100,
            checksum_sha256=_sha("LOT-0001/0001.png"), tags=["cam-3", "final", "line-1"],
            lot_id=lots["LOT-0001"].id, created_by=ines)
        inspection.move_artifact_tier(conn, id=old_image.id,
                                      storage_location=StorageLocation.COLD, updated_by=ines)
        counts["artifacts"] = 2
        ok_job = inspection.enqueue_inference_job(
            conn, inspection_id=insp.id, input_artifact_id=image.id, model_name="defect-yolo",
            model_version="3", triton_server_url="http://triton:8000",
            parameters={"confidence_threshold": 0.3})
        bad_job = inspection.enqueue_inference_job(
            conn, inspection_id=insp.id, input_artifact_id=image.id, model_name="defect-yolo",
            model_version="4-rc1", triton_server_url="http://triton:8000")
        inspection.claim_inference_jobs(conn, model_name="defect-yolo", limit=2)
        inspection.complete_inference_job(
            conn, id=ok_job.id, results={"detections": DETECTIONS}, triton_request_id="req-1",
            gpu_id="0", preprocess_time_ms=4.2, inference_time_ms=18.7, postprocess_time_ms=2.1,
            total_time_ms=25.0)
        inspection.fail_inference_job(conn, id=bad_job.id, timed_out=False,
                                      error_message="model defect-yolo:4-rc1 not ready")
        counts["inference jobs"] = 2
        counts["defects"] += inspection.create_defects_from_inference(
            conn, inference_job_id=ok_job.id, min_confidence=Decimal("0.5"), created_by=ines)
        inspection.create_defect(
            conn, inspection_id=insp.id, defect_type=DefectType.BURR,
            severity=DefectSeverity.MINOR, detection_method=DetectionMethod.MANUAL,
            location={"x": 600, "y": 90, "width": 8, "height": 8},
            description="burr on the edge of hole 2, seen by the inspector", created_by=ines)
        counts["defects"] += 1
        counts["inspections"] = 1

    # Quinn reviews the model's porosity finding; the report of LOT-0001 expires in a week.
    with transaction(conn, user_id=quinn, session_id=SESSION_ID, user_agent=AGENT,
                     client_ip=IP):
        porosity = next(d for d in inspection.list_defects_for_inspection(
            conn, inspection_id=insp.id, limit=10) if d.defect_type == DefectType.POROSITY)
        inspection.review_defect(conn, id=porosity.id, review_status=ReviewStatus.CONFIRMED,
                                 reviewed_by=quinn, review_notes="pores visible at 20x")
        done = inspection.create_inspection(
            conn, lot_id=lots["LOT-0001"].id, inspection_type=InspectionType.FINAL,
            inspector_id=quinn, sample_size=80, created_by=quinn)
        inspection.complete_inspection(conn, id=done.id, result="pass", updated_by=quinn)
        counts["inspections"] += 1
        pdf = inspection.create_artifact(
            conn, artifact_type=ArtifactType.REPORT_FILE,
            storage_uri="s3://inspection/reports/LOT-0001.pdf", file_name="LOT-0001.pdf",
            content_type="application/pdf", file_size_bytes=184_320,
            checksum_sha256=_sha("reports/LOT-0001.pdf"), tags=["report"],
            lot_id=lots["LOT-0001"].id, created_by=quinn)
        counts["artifacts"] += 1
        report = inspection.create_report(
            conn, report_type=ReportType.LOT_QUALITY, format=ReportFormat.PDF,
            title="Lot quality LOT-0001", lot_id=lots["LOT-0001"].id,
            allowed_roles=["quality_engineer"], allowed_user_ids=[ines],
            expires_at=datetime.now(UTC) + timedelta(days=7), created_by=quinn)
        inspection.mark_report_generating(conn, id=report.id)
        inspection.complete_report(conn, id=report.id, artifact_id=pdf.id)
        counts["reports"] = 1

    extra = size // 50
    with transaction(conn, user_id=ines, session_id=SESSION_ID, user_agent=AGENT,
                     client_ip=IP):
        for i in range(extra):
            lot = inspection.create_lot(conn, lot_number=f"LOT-G{i:05d}", part_id=bracket.id,
                                        quantity=100 + i % 50, created_by=ines)
            gen = inspection.create_inspection(conn, lot_id=lot.id,
                                               inspection_type=InspectionType.IN_PROCESS,
                                               sample_size=10, created_by=ines)
            for k in range(3):
                inspection.create_defect(
                    conn, inspection_id=gen.id, defect_type=list(DefectType)[(i + k) % 11],
                    severity=list(DefectSeverity)[(i * 3 + k) % 4],
                    detection_method=DetectionMethod.MANUAL,
                    location={"x": 10 * k, "y": 5 * i % 400, "width": 4, "height": 4},
                    created_by=ines)
            inspection.complete_inspection(conn, id=gen.id,
                                           result="pass" if i % 4 else "fail", updated_by=ines)
            if progress is not None:
                progress("inspection lots", i + 1, extra)
        counts["lots"] += extra
        counts["inspections"] += extra
        counts["defects"] += 3 * extra
    return counts
