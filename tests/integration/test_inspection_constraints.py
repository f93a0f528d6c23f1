"""Schema ``inspection``: every named constraint violated once, translated and writing nothing;
NOT NULL columns; the 16 enums equal the generated StrEnums; defaults; the updated_at triggers;
the indexes of catalog §1.3.5; user foreign keys are NO ACTION.

The constraint cases share one database per module and server; each runs in
``transaction(sconn, user_id=...)``, is refused and rolled back, and the row counts of the
schema's tables and of the trail are compared before and after. Meta-tests read the catalogs and
fail when a constraint or NOT NULL column has no case.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, LiteralString

import psycopg
import pytest
from catalog_support import named_constraints, required_columns
from inspection_support import TABLES, Conn, World, counts, make_user, make_world
from psycopg import sql

from registry_sql import core, inspection
from registry_sql.db import transaction
from registry_sql.errors import Conflict, ForeignKeyMissing, InvalidInput, RegistrySqlError
from registry_sql.testing import RegistryTestServer

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat


@dataclass(frozen=True)
class Base:
    a: World
    b: World


@pytest.fixture(scope="module")
def shared_url(
    registry_server: RegistryTestServer, registry_migrate: Callable[[str], object]
) -> Iterator[str]:
    """One clone of the migrated template for this module (per server)."""
    dbname = registry_server.clone(registry_migrate, prefix="insc_")
    try:
        yield registry_server.url(dbname)
    finally:
        registry_server.drop(dbname)


@pytest.fixture(scope="module")
def sconn(shared_url: str) -> Iterator[Conn]:
    with psycopg.connect(shared_url, autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def base(sconn: Conn) -> Base:
    return Base(make_world(sconn, "A"), make_world(sconn, "B"))


def _row_id(w: World, table: str) -> uuid.UUID:
    return {
        "parts": w.part_id, "lots": w.lot_id, "inspections": w.inspection_id,
        "defects": w.defect_id, "inference_jobs": w.job_id, "artifacts": w.artifact_id,
        "reports": w.report_id,
    }[table]


Violation = Callable[[Conn, Base], object]


def upd(table: str, assignments: LiteralString | sql.Composable, *params: Any) -> Violation:
    """UPDATE one row of world A: ``assignments`` is a constant of this module."""
    setter = sql.SQL(assignments) if isinstance(assignments, str) else assignments

    def run(c: Conn, b: Base) -> object:
        stmt = sql.SQL("UPDATE {} SET {} WHERE id = %s").format(
            sql.Identifier("inspection", table), setter)
        return c.execute(stmt, (*params, _row_id(b.a, table)))
    return run


@dataclass(frozen=True)
class Case:
    id: str  # constraint name, or "nn:<table>.<column>"
    error: type[RegistrySqlError]
    violate: Violation
    field: str | None = None


NOPE = "00000000-0000-0000-0000-00000000dead"
RANDOM = str(uuid.uuid4())

CASES: list[Case] = [
    # parts
    Case("uq_parts__part_number", Conflict, upd("parts", "part_number = 'PN-B'"), "part_number"),
    Case("ck_parts__part_number_nonempty", InvalidInput, upd("parts", "part_number = ' '"),
         "part_number"),
    Case("ck_parts__revision_nonempty", InvalidInput, upd("parts", "revision = ''"), "revision"),
    Case("ck_parts__name_nonempty", InvalidInput, upd("parts", "name = ''"), "name"),
    Case("ck_parts__specifications_object", InvalidInput,
         upd("parts", "specifications = '[1]'"), "specifications"),
    Case("ck_parts__tolerances_object", InvalidInput, upd("parts", "tolerances = '3'"),
         "tolerances"),
    Case("ck_parts__tolerances_limits", InvalidInput,
         upd("parts", "tolerances = %s::jsonb", '{"len": {"plus": -1}}'), "tolerances"),
    Case("fk_parts__created_by", ForeignKeyMissing, upd("parts", "created_by = %s", RANDOM),
         "created_by"),
    Case("fk_parts__updated_by", ForeignKeyMissing, upd("parts", "updated_by = %s", RANDOM),
         "updated_by"),
    # lots
    Case("uq_lots__lot_number", Conflict, upd("lots", "lot_number = 'LOT-B'"), "lot_number"),
    Case("ck_lots__lot_number_nonempty", InvalidInput, upd("lots", "lot_number = ''"),
         "lot_number"),
    Case("ck_lots__quantity_positive", InvalidInput, upd("lots", "quantity = 0"), "quantity"),
    Case("ck_lots__quantity_rejected_range", InvalidInput,
         upd("lots", "quantity_rejected = 101"), "quantity_rejected"),
    Case("ck_lots__production_metadata_object", InvalidInput,
         upd("lots", "production_metadata = '\"x\"'"), "production_metadata"),
    Case("fk_lots__part_id", ForeignKeyMissing, upd("lots", "part_id = %s", RANDOM), "part_id"),
    Case("fk_lots__created_by", ForeignKeyMissing, upd("lots", "created_by = %s", RANDOM)),
    Case("fk_lots__updated_by", ForeignKeyMissing, upd("lots", "updated_by = %s", RANDOM)),
    # inspections
    Case("ck_inspections__priority_range", InvalidInput, upd("inspections", "priority = 11"),
         "priority"),
    Case("ck_inspections__completed_after_started", InvalidInput,
         upd("inspections", "started_at = now(), completed_at = now() - interval '1 hour'"),
         "completed_at"),
    Case("ck_inspections__completed_has_time", InvalidInput,
         upd("inspections", "status = 'completed'"), "completed_at"),
    Case("ck_inspections__sample_size_positive", InvalidInput,
         upd("inspections", "sample_size = 0"), "sample_size"),
    Case("ck_inspections__result_values", InvalidInput, upd("inspections", "result = 'ok'"),
         "result"),
    Case("ck_inspections__inspection_metadata_object", InvalidInput,
         upd("inspections", "inspection_metadata = 'null'"), "inspection_metadata"),
    Case("fk_inspections__lot_id", ForeignKeyMissing,
         upd("inspections", "lot_id = %s", RANDOM), "lot_id"),
    Case("fk_inspections__inspector_id", ForeignKeyMissing,
         upd("inspections", "inspector_id = %s", RANDOM), "inspector_id"),
    Case("fk_inspections__created_by", ForeignKeyMissing,
         upd("inspections", "created_by = %s", RANDOM)),
    Case("fk_inspections__updated_by", ForeignKeyMissing,
         upd("inspections", "updated_by = %s", RANDOM)),
    # defects
    Case("ck_defects__confidence_range", InvalidInput, upd("defects", "confidence = 1.5"),
         "confidence"),
    Case("ck_defects__ml_has_confidence", InvalidInput,
         upd("defects", "detection_method = 'ml_inference'"), "confidence"),
    Case("ck_defects__location_shape", InvalidInput,
         upd("defects", "location = %s::jsonb", '{"x": -1, "y": 2}'), "location"),
    Case("ck_defects__review_complete", InvalidInput,
         upd("defects", "review_status = 'confirmed'"), "reviewed_by"),
    Case("ck_defects__defect_metadata_object", InvalidInput,
         upd("defects", "defect_metadata = '[]'"), "defect_metadata"),
    Case("fk_defects__inspection_id", ForeignKeyMissing,
         upd("defects", "inspection_id = %s", RANDOM), "inspection_id"),
    Case("fk_defects__reviewed_by", ForeignKeyMissing,
         upd("defects", "reviewed_by = %s", RANDOM), "reviewed_by"),
    Case("fk_defects__inference_job_id", ForeignKeyMissing,
         upd("defects", "inference_job_id = %s", RANDOM), "inference_job_id"),
    Case("fk_defects__artifact_id", ForeignKeyMissing,
         upd("defects", "artifact_id = %s", RANDOM), "artifact_id"),
    Case("fk_defects__created_by", ForeignKeyMissing, upd("defects", "created_by = %s", RANDOM)),
    Case("fk_defects__updated_by", ForeignKeyMissing, upd("defects", "updated_by = %s", RANDOM)),
    # inference_jobs
    Case("ck_inference_jobs__model_name_nonempty", InvalidInput,
         upd("inference_jobs", "model_name = ' '"), "model_name"),
    Case("ck_inference_jobs__timings_nonneg", InvalidInput,
         upd("inference_jobs", "inference_time_ms = -1"), None),
    Case("ck_inference_jobs__time_order", InvalidInput,
         upd("inference_jobs", "started_at = queued_at - interval '1 second'"), None),
    Case("ck_inference_jobs__retry_nonneg", InvalidInput,
         upd("inference_jobs", "retry_count = -1"), "retry_count"),
    Case("ck_inference_jobs__failed_has_error", InvalidInput,
         upd("inference_jobs", "status = 'failed'"), "error_message"),
    Case("ck_inference_jobs__parameters_object", InvalidInput,
         upd("inference_jobs", "parameters = '1'"), "parameters"),
    Case("ck_inference_jobs__results_object", InvalidInput,
         upd("inference_jobs", "results = '[]'"), "results"),
    Case("fk_inference_jobs__inspection_id", ForeignKeyMissing,
         upd("inference_jobs", "inspection_id = %s", RANDOM), "inspection_id"),
    Case("fk_inference_jobs__input_artifact_id", ForeignKeyMissing,
         upd("inference_jobs", "input_artifact_id = %s", RANDOM), "input_artifact_id"),
    # artifacts
    Case("uq_artifacts__storage_uri", Conflict,
         upd("artifacts", "storage_uri = 's3://img/B.png'"), "storage_uri"),
    Case("ck_artifacts__storage_uri_nonempty", InvalidInput,
         upd("artifacts", "storage_uri = ''"), "storage_uri"),
    Case("ck_artifacts__file_name_nonempty", InvalidInput, upd("artifacts", "file_name = ''"),
         "file_name"),
    Case("ck_artifacts__size_nonneg", InvalidInput, upd("artifacts", "file_size_bytes = -1"),
         "file_size_bytes"),
    Case("ck_artifacts__checksum_format", InvalidInput,
         upd("artifacts", "checksum_sha256 = upper(checksum_sha256)"), "checksum_sha256"),
    Case("ck_artifacts__tags_no_nulls", InvalidInput,
         upd("artifacts", "tags = ARRAY['a', NULL]"), "tags"),
    Case("ck_artifacts__artifact_metadata_object", InvalidInput,
         upd("artifacts", "artifact_metadata = '2'"), "artifact_metadata"),
    Case("fk_artifacts__inspection_id", ForeignKeyMissing,
         upd("artifacts", "inspection_id = %s", RANDOM), "inspection_id"),
    Case("fk_artifacts__lot_id", ForeignKeyMissing, upd("artifacts", "lot_id = %s", RANDOM),
         "lot_id"),
    Case("fk_artifacts__inference_job_id", ForeignKeyMissing,
         upd("artifacts", "inference_job_id = %s", RANDOM), "inference_job_id"),
    Case("fk_artifacts__created_by", ForeignKeyMissing,
         upd("artifacts", "created_by = %s", RANDOM)),
    Case("fk_artifacts__updated_by", ForeignKeyMissing,
         upd("artifacts", "updated_by = %s", RANDOM)),
    # reports
    Case("ck_reports__title_nonempty", InvalidInput, upd("reports", "title = ''"), "title"),
    Case("ck_reports__parameters_object", InvalidInput, upd("reports", "parameters = '[]'"),
         "parameters"),
    Case("ck_reports__expiry_after_creation", InvalidInput,
         upd("reports", "expires_at = created_at"), "expires_at"),
    Case("ck_reports__period_order", InvalidInput,
         upd("reports", "period_start = now(), period_end = now() - interval '1 day'"),
         "period_end"),
    Case("ck_reports__completed_has_artifact", InvalidInput,
         upd("reports", "status = 'completed'"), "artifact_id"),
    Case("ck_reports__failed_has_error", InvalidInput, upd("reports", "status = 'failed'"),
         "error_message"),
    Case("ck_reports__allowed_roles_no_nulls", InvalidInput,
         upd("reports", "allowed_roles = ARRAY[NULL]::text[]"), "allowed_roles"),
    Case("ck_reports__allowed_user_ids_no_nulls", InvalidInput,
         upd("reports", "allowed_user_ids = ARRAY[NULL]::uuid[]"), "allowed_user_ids"),
    Case("ck_reports__download_count_nonneg", InvalidInput,
         upd("reports", "download_count = -1"), "download_count"),
    Case("fk_reports__lot_id", ForeignKeyMissing, upd("reports", "lot_id = %s", RANDOM),
         "lot_id"),
    Case("fk_reports__inspection_id", ForeignKeyMissing,
         upd("reports", "inspection_id = %s", RANDOM), "inspection_id"),
    Case("fk_reports__artifact_id", ForeignKeyMissing,
         upd("reports", "artifact_id = %s", RANDOM), "artifact_id"),
    Case("fk_reports__created_by", ForeignKeyMissing, upd("reports", "created_by = %s", RANDOM)),
    Case("fk_reports__updated_by", ForeignKeyMissing, upd("reports", "updated_by = %s", RANDOM)),
]

REQUIRED = {
    "artifacts": ("artifact_type", "checksum_sha256", "file_name", "file_size_bytes",
                  "storage_uri"),
    "defects": ("defect_type", "detection_method", "inspection_id", "location", "severity"),
    "inference_jobs": ("inspection_id", "model_name"),
    "inspections": ("inspection_type", "lot_id"),
    "lots": ("lot_number", "part_id", "quantity"),
    "parts": ("name", "part_number", "part_type"),
    "reports": ("format", "report_type", "title"),
}
CASES += [
    Case(f"nn:{t}.{col}", InvalidInput, upd(t, sql.SQL("{} = NULL").format(sql.Identifier(col))),
         col)
    for t, cols in REQUIRED.items() for col in cols
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_constraint_violation_is_translated_and_writes_nothing(
    case: Case, sconn: Conn, base: Base
) -> None:
    before = counts(sconn)
    with pytest.raises(RegistrySqlError) as info, transaction(
        sconn, user_id=base.a.user_id, change_reason="constraint test"
    ):
        case.violate(sconn, base)
    err = info.value
    assert type(err) is case.error, f"{type(err).__name__}: {err}"
    message = str(err)
    if case.id.startswith("nn:"):
        assert err.sqlstate == "23502" and "NOT NULL" in message
        assert err.field == case.field, message
    else:
        assert err.constraint == case.id, message
        assert case.id in message
        if case.field is not None:
            assert err.field is not None and case.field in err.field, message
    assert counts(sconn) == before, "a refused write left rows behind"


def test_every_named_constraint_has_a_case(sconn: Conn) -> None:
    names = named_constraints(sconn, "inspection")
    assert len(names) >= 20 + 3  # the seed's "20+" checks and the 3 unique keys
    covered = {c.id for c in CASES}
    assert names - covered == set(), "constraints without a violation case"
    assert {c.id for c in CASES if not c.id.startswith("nn:")} - names == set()


def test_every_required_column_has_a_case(sconn: Conn) -> None:
    columns = required_columns(sconn, "inspection")
    assert columns == {c.id[3:] for c in CASES if c.id.startswith("nn:")}


def test_every_check_constraint_has_a_sentence(sconn: Conn) -> None:
    """COMMENT ON CONSTRAINT for every CHECK whose name is not self-explaining, and the
    generated package registers them."""
    from registry_sql.errors import check_message

    rows = sconn.execute(
        "SELECT con.conname, obj_description(con.oid, 'pg_constraint') FROM pg_constraint con "
        "JOIN pg_namespace n ON n.oid = con.connamespace "
        "WHERE n.nspname = 'inspection' AND con.contype = 'c'").fetchall()
    assert len(rows) >= 24
    for name, comment in rows:
        found = check_message("inspection", name)
        if comment is not None:
            assert found is not None and found[1] in " ".join(comment.split()), name


# --------------------------------------------------------------------------- enums


def _enum_labels(conn: Conn, qualified: str) -> list[str]:
    row = conn.execute(
        sql.SQL("SELECT enum_range(NULL::{})::text[]").format(
            sql.Identifier(*qualified.split(".")))).fetchone()
    assert row is not None
    return list(row[0])


ENUMS: dict[str, type[StrEnum]] = {
    "inspection.part_type": inspection.PartType,
    "inspection.lot_status": inspection.LotStatus,
    "inspection.inspection_type": inspection.InspectionType,
    "inspection.inspection_status": inspection.InspectionStatus,
    "inspection.defect_type": inspection.DefectType,
    "inspection.defect_severity": inspection.DefectSeverity,
    "inspection.detection_method": inspection.DetectionMethod,
    "inspection.review_status": inspection.ReviewStatus,
    "inspection.inference_status": inspection.InferenceStatus,
    "inspection.artifact_type": inspection.ArtifactType,
    "inspection.storage_location": inspection.StorageLocation,
    "inspection.report_type": inspection.ReportType,
    "inspection.report_status": inspection.ReportStatus,
    "inspection.report_format": inspection.ReportFormat,
    # the seed's AuditActionEnum and EventLevelEnum are core's (catalog §1.3.3)
    "core.audit_action": core.AuditAction,
    "core.event_level": core.EventLevel,
}
# stated counts of seed 003 (AuditActionEnum: 6 of core's 14 labels)
COUNTS = {"part_type": 5, "lot_status": 5, "inspection_type": 6, "inspection_status": 5,
          "defect_type": 11, "defect_severity": 4, "detection_method": 4, "review_status": 5,
          "inference_status": 6, "artifact_type": 6, "storage_location": 4, "report_type": 6,
          "report_status": 4, "report_format": 5, "audit_action": 6, "event_level": 5}
SEED_AUDIT_ACTIONS = ["create", "read", "update", "delete", "approve", "export"]


@pytest.mark.parametrize("type_name", sorted(ENUMS))
def test_enum_values_equal_the_generated_str_enum(sconn: Conn, type_name: str) -> None:
    labels = _enum_labels(sconn, type_name)
    assert labels == [e.value for e in ENUMS[type_name]]  # same labels, same order


def test_the_sixteen_enums_have_the_seeds_87_values(sconn: Conn) -> None:
    assert len(ENUMS) == 16
    schema_enums = {r[0] for r in sconn.execute(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = 'inspection' AND t.typtype = 'e'")}
    assert {f"inspection.{n}" for n in schema_enums} == {k for k in ENUMS if "inspection." in k}
    sizes = {k.split(".")[1]: len(_enum_labels(sconn, k)) for k in ENUMS}
    assert set(SEED_AUDIT_ACTIONS) <= set(_enum_labels(sconn, "core.audit_action"))
    sizes["audit_action"] = len(SEED_AUDIT_ACTIONS)
    assert sizes == COUNTS and sum(sizes.values()) == 87


def test_an_unknown_enum_label_lists_the_allowed_ones(sconn: Conn, base: Base) -> None:
    with pytest.raises(InvalidInput) as info, transaction(sconn, user_id=base.a.user_id):
        sconn.execute("UPDATE inspection.defects SET severity = 'huge' WHERE id = %s",
                      (base.a.defect_id,))
    assert "defect_severity" in str(info.value) and "critical" in str(info.value)


# --------------------------------------------------------------------------- defaults, triggers


def test_defaults(conn: Conn) -> None:
    w = make_world(conn, "defaults")
    part = inspection.get_part(conn, id=w.part_id)
    assert part.revision == "A" and part.is_active and part.specifications == {}
    lot = inspection.get_lot(conn, id=w.lot_id)
    assert lot.status == "pending" and lot.quantity_rejected == 0
    insp = inspection.get_inspection(conn, id=w.inspection_id)
    assert insp.status == "pending" and insp.priority == 5
    defect = inspection.get_defect(conn, id=w.defect_id)
    assert defect.review_status == "pending" and defect.defect_metadata == {}
    job = inspection.get_inference_job(conn, id=w.job_id)
    assert job.status == "pending" and job.retry_count == 0 and job.results == {}
    art = inspection.get_artifact(conn, id=w.artifact_id)
    assert art.storage_location == "hot"
    rep = inspection.get_report(conn, id=w.report_id)
    assert (rep.status, rep.is_public, rep.allowed_roles, rep.allowed_user_ids,
            rep.download_count) == ("pending", False, [], [], 0)


def test_seven_updated_at_triggers(conn: Conn) -> None:
    w = make_world(conn, "touch")
    with transaction(conn):  # now() moves between transactions only
        conn.execute("SELECT pg_sleep(0.01)")
    for table in TABLES:
        stmt = sql.SQL(
            "UPDATE {} SET created_at = created_at WHERE id = %s "
            "RETURNING updated_at > created_at").format(sql.Identifier("inspection", table))
        with transaction(conn, user_id=w.user_id):
            row = conn.execute(stmt, (_row_id(w, table),)).fetchone()
        assert row == (True,), table
    names = {r[0] for r in conn.execute(
        "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'inspection' AND NOT t.tgisinternal AND tgname LIKE '%%updated_at'")}
    assert names == {f"trg_{t}__set_updated_at" for t in TABLES}


CATALOG_INDEXES = {
    "uq_parts__part_number", "ix_parts__part_type", "ix_parts__active", "ix_parts__specifications",
    "ix_parts__tolerances", "uq_lots__lot_number", "ix_lots__part_status", "ix_lots__status",
    "ix_lots__production_date", "ix_lots__open", "ix_lots__production_metadata",
    "ix_inspections__lot_created", "ix_inspections__status_created",
    "ix_inspections__type_created", "ix_inspections__inspector_id", "ix_inspections__queue",
    "ix_inspections__created_at", "ix_inspections__metadata",
    "ix_defects__inspection_severity", "ix_defects__type_created",
    "ix_defects__severity_created", "ix_defects__pending_review",
    "ix_defects__inference_job_id", "ix_defects__artifact_id", "ix_defects__reviewed_by",
    "ix_defects__detection_method", "ix_defects__metadata",
    "ix_inference_jobs__inspection_id", "ix_inference_jobs__input_artifact_id",
    "ix_inference_jobs__status_created", "ix_inference_jobs__active", "ix_inference_jobs__model",
    "ix_inference_jobs__created_at", "ix_inference_jobs__results",
    "uq_artifacts__storage_uri", "ix_artifacts__checksum_sha256", "ix_artifacts__inspection_id",
    "ix_artifacts__lot_id", "ix_artifacts__inference_job_id", "ix_artifacts__type_created",
    "ix_artifacts__tags", "ix_artifacts__metadata", "ix_artifacts__hot_tier",
    "ix_artifacts__retention", "ix_reports__type_created", "ix_reports__in_progress",
    "ix_reports__created_by", "ix_reports__expiring", "ix_reports__lot_id",
    "ix_reports__inspection_id", "ix_reports__artifact_id", "ix_reports__parameters",
    "ix_reports__allowed_roles",
}


def test_the_catalog_indexes_exist(sconn: Conn) -> None:
    rows = sconn.execute(
        "SELECT i.relname, am.amname, x.indpred IS NOT NULL FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
        "JOIN pg_namespace n ON n.oid = i.relnamespace "
        "WHERE n.nspname = 'inspection' AND NOT x.indisprimary").fetchall()
    names = {r[0] for r in rows}
    assert CATALOG_INDEXES <= names
    assert len(names) >= 50 + 3
    assert sum(1 for r in rows if r[1] == "gin") >= 10
    assert sum(1 for r in rows if r[2]) >= 7  # partial indexes


def test_user_foreign_keys_are_no_action(sconn: Conn, conn: Conn) -> None:
    rows = sconn.execute(
        "SELECT con.conname, con.confdeltype FROM pg_constraint con "
        "JOIN pg_namespace n ON n.oid = con.connamespace "
        "WHERE n.nspname = 'inspection' AND con.contype = 'f' "
        "AND con.confrelid = 'core.users'::regclass").fetchall()
    assert len(rows) == 12 + 2  # ACTOR on 6 tables, inspector, reviewer
    assert {r[1] for r in rows} == {"a"}  # NO ACTION


def test_deleting_a_referenced_user_is_refused(conn: Conn) -> None:
    w = make_world(conn, "keepuser")
    with pytest.raises(ForeignKeyMissing) as info, transaction(conn):
        conn.execute("DELETE FROM core.users WHERE id = %s", (w.user_id,))
    assert (info.value.constraint or "").startswith("fk_")
    other = make_user(conn, "unreferenced")
    with transaction(conn):
        assert conn.execute("DELETE FROM core.users WHERE id = %s", (other,)).rowcount == 1
