"""Every named constraint of schema ``splunk_ta`` is violated once; the translated error checked.

CHECK constraints: one hand-written change per constraint on a row of a small "world" (below).
UNIQUE keys: a duplicate. FOREIGN KEYS: read from ``pg_constraint``, each one broken by pointing
its column at a random id. Cascades: deleting a request or a revision, and hard-deleting users.
Every refused statement runs in ``transaction(conn)``, which translates the driver error, and
nothing is written. A meta-test fails when a constraint of the schema has no case here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from catalog_support import named_constraints
from psycopg import sql
from splunk_ta_support import Conn, People, S, drive, make_people, make_revision, sha

from registry_sql import core, splunk_ta
from registry_sql.db import transaction
from registry_sql.errors import Conflict, ForeignKeyMissing, InvalidInput

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat


@dataclass(frozen=True)
class World:
    who: People
    new: uuid.UUID  # a request in status new
    pending: uuid.UUID  # pending_approval
    generating: uuid.UUID  # generating_ta
    validating: uuid.UUID  # validating
    sample: uuid.UUID
    revision: uuid.UUID  # auto revision of `generating`
    queued: uuid.UUID  # queued run
    running: uuid.UUID  # running run
    document: uuid.UUID
    plain_key: str
    spare_revision: uuid.UUID  # a revision no run references


@pytest.fixture
def w(conn: Conn) -> World:
    who = make_people(conn, "cons")
    new = drive(conn, who, S.NEW, "new")
    pending = drive(conn, who, S.PENDING_APPROVAL, "pending")
    gen = drive(conn, who, S.GENERATING_TA, "gen")
    val = drive(conn, who, S.VALIDATING, "val")
    rev = make_revision(conn, gen.id)
    spare = make_revision(conn, gen.id)
    with transaction(conn):
        sample = splunk_ta.create_log_sample(
            conn, request_id=new.id, filename="a.log", storage_key="s/a.log", file_size_bytes=1
        )
        running = splunk_ta.queue_validation(conn, request_id=gen.id, ta_revision_id=rev.id)
        started = splunk_ta.start_validation(conn, sandbox_id="sb")
        assert started is not None and started.id == running.id
        queued = splunk_ta.queue_validation(conn, request_id=gen.id, ta_revision_id=rev.id)
        doc = splunk_ta.create_knowledge_document(conn, title="doc", content_hash=sha("doc"))
        splunk_ta.set_config(conn, key="plain.setting", value={"a": 1})
    return World(
        who,
        new.id,
        pending.id,
        gen.id,
        val.id,
        sample.id,
        rev.id,
        queued.id,
        running.id,
        doc.id,
        "plain.setting",
        spare.id,
    )


def _checks(w: World) -> dict[str, tuple[str, str, object]]:
    """constraint -> (table, SET clause, id or key of the row it breaks)."""
    return {
        "ck_requests__title_length": ("requests", "title = ''", w.new),
        "ck_requests__source_type_length": ("requests", "source_type = ''", w.new),
        "ck_requests__cim_data_models_no_nulls": (
            "requests",
            "cim_data_models = '{NULL}'",
            w.new,
        ),
        "ck_requests__metadata_object": ("requests", "metadata = '[]'", w.new),
        "ck_requests__approved_has_approved_at": ("requests", "status = 'approved'", w.pending),
        "ck_requests__rejected_has_reason": (
            "requests",
            "status = 'rejected', rejected_at = now()",
            w.pending,
        ),
        "ck_requests__rejection_reason_nonempty": ("requests", "rejection_reason = ' '", w.new),
        "ck_requests__single_decision": (
            "requests",
            "status = 'approved', approved_at = now(), rejected_at = now()",
            w.pending,
        ),
        "ck_requests__completed_has_completed_at": (
            "requests",
            "status = 'completed'",
            w.validating,
        ),
        "ck_requests__failed_has_reason": ("requests", "status = 'failed'", w.generating),
        "ck_log_samples__filename_length": ("log_samples", "filename = ''", w.sample),
        "ck_log_samples__storage_key_length": ("log_samples", "storage_key = ''", w.sample),
        "ck_log_samples__file_size_bytes_nonneg": (
            "log_samples",
            "file_size_bytes = -1",
            w.sample,
        ),
        "ck_log_samples__checksum_sha256_format": (
            "log_samples",
            "checksum_sha256 = 'ABC'",
            w.sample,
        ),
        "ck_log_samples__line_count_nonneg": ("log_samples", "line_count = -1", w.sample),
        "ck_ta_revisions__version_positive": ("ta_revisions", "version = 0", w.revision),
        "ck_ta_revisions__storage_key_length": ("ta_revisions", "storage_key = ''", w.revision),
        "ck_ta_revisions__file_size_bytes_nonneg": (
            "ta_revisions",
            "file_size_bytes = -5",
            w.revision,
        ),
        "ck_ta_revisions__checksum_sha256_format": (
            "ta_revisions",
            "checksum_sha256 = 'x'",
            w.revision,
        ),
        "ck_ta_revisions__manual_has_creator": (
            "ta_revisions",
            "revision_type = 'manual'",
            w.revision,
        ),
        "ck_ta_revisions__generation_metadata_object": (
            "ta_revisions",
            "generation_metadata = '1'",
            w.revision,
        ),
        "ck_validation_runs__results_object": ("validation_runs", "results = '[]'", w.queued),
        "ck_validation_runs__completed_after_started": (
            "validation_runs",
            "started_at = now(), completed_at = now() - interval '1 day'",
            w.queued,
        ),
        "ck_validation_runs__started_has_started_at": (
            "validation_runs",
            "status = 'running'",
            w.queued,
        ),
        "ck_validation_runs__finished_has_completed_at": (
            "validation_runs",
            "status = 'passed'",
            w.running,
        ),
        "ck_knowledge_documents__title_length": ("knowledge_documents", "title = ''", w.document),
        "ck_knowledge_documents__document_type_format": (
            "knowledge_documents",
            "document_type = 'Best Practice'",
            w.document,
        ),
        "ck_knowledge_documents__content_hash_sha256": (
            "knowledge_documents",
            "content_hash = 'nope'",
            w.document,
        ),
        "ck_knowledge_documents__chunk_count_nonneg": (
            "knowledge_documents",
            "chunk_count = -1",
            w.document,
        ),
        "ck_knowledge_documents__vector_ids_no_nulls": (
            "knowledge_documents",
            "vector_ids = '{a,NULL}'",
            w.document,
        ),
        "ck_knowledge_documents__metadata_object": (
            "knowledge_documents",
            "metadata = '\"x\"'",
            w.document,
        ),
        "ck_system_config__key_format": ("system_config", "key = 'Bad Key'", w.plain_key),
        "ck_system_config__secret_consistent": ("system_config", "is_secret = true", w.plain_key),
        "ck_system_config__secret_redacted": (
            "system_config",
            "is_secret = true, secret_ref = 'env:S3CR3T'",
            w.plain_key,
        ),
        "ck_system_config__secret_ref_format": (
            "system_config",
            "is_secret = true, value = '\"***\"', secret_ref = 's3cr3t'",
            w.plain_key,
        ),
        "ck_system_config__max_parallel_validations_range": (
            "system_config",
            "value = '0'",
            "max_parallel_validations",
        ),
        "ck_system_config__log_sample_retention_days_range": (
            "system_config",
            "value = '\"30\"'",
            "log_sample_retention_days",
        ),
    }


UNIQUES = {
    "uq_ta_revisions__request_version",
    "uq_knowledge_documents__content_hash_active",
    "uq_system_config__key",
}
# (request_id, id) is unique because id is: the primary key refuses a duplicate first. It exists
# as the target of the composite foreign key from validation_runs.
UNREACHABLE = {"uq_ta_revisions__request_id_id"}


def _fks(conn: Conn) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT c.conname, r.relname, a.attname FROM pg_constraint c"
        " JOIN pg_class r ON r.oid = c.conrelid"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid"
        " AND a.attnum = c.conkey[cardinality(c.conkey)]"
        " WHERE r.relnamespace = 'splunk_ta'::regnamespace AND c.contype = 'f' ORDER BY 1"
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _counts(conn: Conn) -> dict[str, int]:
    out = {}
    for table in (
        "requests",
        "log_samples",
        "ta_revisions",
        "validation_runs",
        "knowledge_documents",
        "system_config",
    ):
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM splunk_ta.{}").format(sql.Identifier(table))
        ).fetchone()
        assert row is not None
        out[table] = int(row[0])
    return out


def _where(table: str) -> str:
    return "key" if table == "system_config" else "id"


def test_every_check_constraint(w: World, conn: Conn) -> None:
    before = _counts(conn)
    for name, (table, change, row) in _checks(w).items():
        q = sql.SQL("UPDATE splunk_ta.{} SET {} WHERE {} = %s").format(
            sql.Identifier(table), sql.SQL(change), sql.Identifier(_where(table))
        )
        with pytest.raises(InvalidInput) as exc, transaction(conn):
            cur = conn.execute(q, (row,))
            assert cur.rowcount == 1, name
        assert exc.value.constraint == name, name
        assert exc.value.sqlstate == "23514", name
        assert name in str(exc.value) and f"splunk_ta.{table}" in str(exc.value)
        assert "s3cr3t" not in f"{exc.value} {exc.value.detail}"
        assert "S3CR3T" not in f"{exc.value} {exc.value.detail}"
    assert _counts(conn) == before


def test_every_unique_key(w: World, conn: Conn) -> None:
    before = _counts(conn)
    with pytest.raises(Conflict) as exc, transaction(conn):
        conn.execute(
            "INSERT INTO splunk_ta.ta_revisions (request_id, version, revision_type, storage_key)"
            " VALUES (%s, 1, 'auto', 'dup')",
            (w.generating,),
        )
    assert exc.value.constraint == "uq_ta_revisions__request_version"
    with pytest.raises(Conflict) as exc, transaction(conn):
        splunk_ta.create_knowledge_document(conn, title="dup", content_hash=sha("doc"))
    assert exc.value.constraint == "uq_knowledge_documents__content_hash_active"
    with pytest.raises(Conflict) as exc, transaction(conn):
        conn.execute(
            "INSERT INTO splunk_ta.system_config (key, value) VALUES ('plain.setting', '{}')"
        )
    assert exc.value.constraint == "uq_system_config__key"
    assert _counts(conn) == before


def test_every_foreign_key(w: World, conn: Conn) -> None:
    fks = _fks(conn)
    assert len(fks) == 11
    rows = {
        "requests": w.new,
        "log_samples": w.sample,
        "ta_revisions": w.spare_revision,
        "validation_runs": w.queued,
        "knowledge_documents": w.document,
        "system_config": w.plain_key,
    }
    before = _counts(conn)
    for name, table, column in fks:
        q = sql.SQL("UPDATE splunk_ta.{} SET {} = %s WHERE {} = %s").format(
            sql.Identifier(table), sql.Identifier(column), sql.Identifier(_where(table))
        )
        with pytest.raises(ForeignKeyMissing) as exc, transaction(conn):
            cur = conn.execute(q, (uuid.uuid4(), rows[table]))
            assert cur.rowcount == 1, name
        assert exc.value.constraint == name, name
        assert "does not exist" in str(exc.value)
    assert _counts(conn) == before


def test_a_run_validates_a_revision_of_its_own_request(w: World, conn: Conn) -> None:
    with pytest.raises(ForeignKeyMissing) as exc:
        splunk_ta.queue_validation(conn, request_id=w.validating, ta_revision_id=w.revision)
    assert exc.value.constraint == "fk_validation_runs__ta_revision_id"


def test_every_named_constraint_has_a_case(w: World, conn: Conn) -> None:
    covered = set(_checks(w)) | UNIQUES | UNREACHABLE | {n for n, _, _ in _fks(conn)}
    catalog = named_constraints(conn, "splunk_ta")
    assert catalog - covered == set(), "constraints without a test case"
    assert covered - catalog == set(), "cases for constraints that no longer exist"
    for name in catalog:
        assert name.split("_", 1)[0] in {"ck", "fk", "uq"} and "__" in name, name


def test_deleting_a_request_cascades(w: World, conn: Conn) -> None:
    with transaction(conn):
        assert splunk_ta.delete_request(conn, id=w.generating, deleted_by=w.who.engineer) == 1
    assert splunk_ta.list_ta_revisions(conn, request_id=w.generating) == []
    assert splunk_ta.list_validation_runs_for_request(conn, request_id=w.generating) == []
    with transaction(conn):
        assert splunk_ta.delete_request(conn, id=w.new, deleted_by=w.who.engineer) == 1
    row = conn.execute(
        "SELECT count(*) FROM splunk_ta.log_samples WHERE id = %s", (w.sample,)
    ).fetchone()
    assert row == (0,)  # hard delete of the request removes even soft-deleted samples


def test_deleting_a_revision_cascades_to_its_runs(w: World, conn: Conn) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM splunk_ta.ta_revisions WHERE id = %s", (w.revision,))
    assert splunk_ta.list_validation_runs_for_request(conn, request_id=w.generating) == []


def test_hard_deleting_users(w: World, conn: Conn) -> None:
    # optional references are nulled
    with transaction(conn):
        doc = splunk_ta.create_knowledge_document(
            conn, title="by engineer", uploaded_by=w.who.engineer
        )
        conn.execute("DELETE FROM core.users WHERE id = %s", (w.who.engineer,))
    assert splunk_ta.get_knowledge_document_by_id(conn, id=doc.id).uploaded_by is None
    approved = splunk_ta.get_request_by_id(conn, id=w.generating)
    assert approved.approved_by == w.who.approver
    # the requester of requests cannot be hard-deleted (NO ACTION): soft-delete users instead
    with pytest.raises(ForeignKeyMissing) as exc, transaction(conn):
        conn.execute("DELETE FROM core.users WHERE id = %s", (w.who.requestor,))
    assert exc.value.constraint == "fk_requests__requester_id"
    assert core.get_user_by_id(conn, id=w.who.requestor).id == w.who.requestor
