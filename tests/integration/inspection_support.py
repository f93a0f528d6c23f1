"""Shared builders for the ``inspection`` integration tests.

Every write to the inspection tables needs an actor (the change trail refuses changes without
``app.user_id``), so the builders run inside ``transaction(conn, user_id=...)``; they work on
the superuser ``conn`` and on the application role's ``app_conn`` alike.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from registry_sql import core, inspection
from registry_sql.db import transaction
from registry_sql.inspection import (
    ArtifactType,
    DefectSeverity,
    DefectType,
    DetectionMethod,
    InspectionType,
    PartType,
    ReportFormat,
    ReportType,
)

Conn = psycopg.Connection[Any]
PW = "$scrypt$ln=10,r=8,p=1$aW5zcGVjdGlvbi10ZXN0cw$Gq0k3y3m1x4JZ8t5oQ2pHn8y1Qk0J4o7Tt0bqv1mJbE"
TABLES = ("parts", "lots", "inspections", "defects", "inference_jobs", "artifacts", "reports")
BOX = {"x": 10, "y": 20, "width": 30, "height": 40}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_user(conn: Conn, name: str) -> uuid.UUID:
    with transaction(conn):
        return core.create_user(
            conn, username=name, email=f"{name}@example.com", hashed_password=PW
        ).id


@dataclass(frozen=True)
class World:
    """One of each inspection row (ids only), created by ``user_id``."""

    user_id: uuid.UUID
    part_id: uuid.UUID
    lot_id: uuid.UUID
    inspection_id: uuid.UUID
    artifact_id: uuid.UUID
    job_id: uuid.UUID
    defect_id: uuid.UUID
    report_id: uuid.UUID


def make_world(conn: Conn, tag: str, user_id: uuid.UUID | None = None) -> World:
    uid = user_id or make_user(conn, f"insp-{tag}")
    with transaction(conn, user_id=uid):
        part = inspection.create_part(
            conn, part_number=f"PN-{tag}", name=f"Bracket {tag}", part_type=PartType.COMPONENT,
            tolerances={"length": {"nominal": 100, "plus": 0.1, "minus": 0.1}},
            created_by=uid,
        )
        lot = inspection.create_lot(
            conn, lot_number=f"LOT-{tag}", part_id=part.id, quantity=100, created_by=uid
        )
        insp = inspection.create_inspection(
            conn, lot_id=lot.id, inspection_type=InspectionType.FINAL, sample_size=10,
            created_by=uid,
        )
        art = inspection.create_artifact(
            conn, artifact_type=ArtifactType.RAW_IMAGE, storage_uri=f"s3://img/{tag}.png",
            file_name=f"{tag}.png", file_size_bytes=1234, checksum_sha256=sha(tag),
            tags=["camera-1", "final"], inspection_id=insp.id, lot_id=lot.id, created_by=uid,
        )
        job = inspection.enqueue_inference_job(
            conn, inspection_id=insp.id, input_artifact_id=art.id, model_name="yolo",
            model_version="1",
        )
        defect = inspection.create_defect(
            conn, inspection_id=insp.id, defect_type=DefectType.SCRATCH,
            severity=DefectSeverity.MINOR, detection_method=DetectionMethod.MANUAL,
            location=BOX, created_by=uid,
        )
        report = inspection.create_report(
            conn, report_type=ReportType.LOT_QUALITY, format=ReportFormat.PDF,
            title=f"Lot {tag}", lot_id=lot.id, created_by=uid,
        )
    return World(uid, part.id, lot.id, insp.id, art.id, job.id, defect.id, report.id)


def counts(conn: Conn) -> dict[str, int]:
    out = {}
    for t in (*TABLES, "audit"):
        q: sql.Composable
        if t == "audit":
            q = sql.SQL("SELECT count(*) FROM core.audit_log WHERE application = 'inspection'")
        else:
            q = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("inspection", t))
        row = conn.execute(q).fetchone()
        assert row is not None
        out[t] = int(row[0])
    return out


def trail(conn: Conn, entity_type: str, entity_id: uuid.UUID) -> list[Any]:
    """The audit events of one record, oldest first (as rows of list_record_history)."""
    return inspection.list_record_history(
        conn, entity_type=f"inspection.{entity_type}", entity_id=str(entity_id)
    )
