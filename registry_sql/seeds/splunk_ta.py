"""Sample data of the ``splunk_ta`` schema (seed 004): one request's story, start to finish.

Riley (requestor) asks for a Cisco ASA add-on and uploads two log samples, one of them already
past its retention. Ava (approver) approves. The pipeline generates revision 1 (auto), whose
sandbox validation fails; Morgan (admin) uploads a manual fix, revision 2, which passes; the
request completes. Kim (knowledge manager) maintains three knowledge documents, one of them
deactivated. The runtime config references a secret (the Pinecone API key, in a vault: the
database stores where it lives, never the key itself). Everything about the
request runs under one correlation id, ``CORRELATION_ID``, so its audit trail reads as a story
(``splunk_ta.list_activity_by_correlation``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from registry_sql import core, splunk_ta
from registry_sql.core import Application, AuthProvider
from registry_sql.db import transaction
from registry_sql.seeds import Progress
from registry_sql.splunk_ta import RequestStatus, TaRevisionType, ValidationStatus

CORRELATION_ID = "splunk-ta-demo-cisco-asa"
TITLE = "Cisco ASA firewall add-on"
SECRET_REF = "vault:kv/splunk-ta/pinecone#api_key"

USERS = (
    # username, full name, splunk_ta role
    ("riley", "Riley Requestor", "requestor"),
    ("ava", "Ava Approver", "approver"),
    ("kim", "Kim Knowledge", "knowledge_manager"),
    ("morgan", "Morgan Admin", "admin"),
)

DOCUMENTS = (
    # title, type, vector ids, active
    ("CIM Network Traffic data model", "cim_reference", ("cim-nt-0", "cim-nt-1", "cim-nt-2"), True),
    (
        "props.conf and transforms.conf best practices",
        "best_practice",
        ("props-0", "props-1"),
        True,
    ),
    ("Splunk Add-on for Cisco ASA 4.x (superseded)", "ta_example", ("asa4-0",), False),
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def seed(
    conn: psycopg.Connection[Any], *, size: int = 0, progress: Progress | None = None
) -> dict[str, int]:
    """Create the sample story (once)."""
    del size, progress  # the splunk_ta sample has a fixed size
    if core.find_user_for_login(conn, email="riley@splunk-ta.example") is not None:
        return {}
    with transaction(conn):
        splunk_ta.ensure_default_roles(conn)
        users = {}
        for name, full, role in USERS:
            users[name] = core.create_user(
                conn,
                username=name,
                email=f"{name}@splunk-ta.example",
                full_name=full,
                auth_provider=AuthProvider.OIDC,
            ).id
            core.grant_role_by_name(
                conn, user_id=users[name], application=Application.SPLUNK_TA, role_name=role
            )
        splunk_ta.set_secret_config(
            conn,
            key="pinecone.api_key",
            secret_ref=SECRET_REF,
            description="Pinecone API key of the knowledge base",
            updated_by=users["morgan"],
        )
        docs = 0
        for title, kind, vectors, active in DOCUMENTS:
            doc = splunk_ta.create_knowledge_document(
                conn,
                title=title,
                document_type=kind,
                content_hash=_sha(title),
                pinecone_index="splunk-ta-kb",
                pinecone_namespace=kind,
                vector_ids=list(vectors),
                chunk_count=len(vectors),
                embedding_model="text-embedding-3-small",
                indexed_at=datetime.now(UTC),
                uploaded_by=users["kim"],
            )
            docs += 1
            if not active:
                splunk_ta.deactivate_knowledge_document(
                    conn, id=doc.id, deactivated_by=users["kim"]
                )

    riley, ava, morgan = users["riley"], users["ava"], users["morgan"]
    with transaction(conn, correlation_id=CORRELATION_ID):
        r = splunk_ta.create_request(
            conn,
            requester_id=riley,
            title=TITLE,
            description="Field extractions and CIM mapping for ASA syslog (%ASA-6-302013 ...).",
            source_type="cisco:asa",
            vendor="Cisco",
            product="ASA",
            cim_data_models=["Network_Traffic", "Authentication"],
        )
        splunk_ta.create_log_sample(
            conn,
            request_id=r.id,
            filename="asa-current.log",
            storage_key=f"samples/{r.id}/asa-current.log",
            content_type="text/plain",
            file_size_bytes=48_213,
            checksum_sha256=_sha("asa-current"),
            line_count=412,
            uploaded_by=riley,
        )
        splunk_ta.create_log_sample(
            conn,
            request_id=r.id,
            filename="asa-2026-09.log",
            storage_key=f"samples/{r.id}/asa-2026-09.log",
            content_type="text/plain",
            file_size_bytes=120_004,
            checksum_sha256=_sha("asa-2026-09"),
            line_count=1_020,
            uploaded_by=riley,
            retention_until=datetime.now(UTC) - timedelta(days=1),  # past retention
        )
        splunk_ta.submit_request(conn, id=r.id, submitted_by=riley)
    with transaction(conn, correlation_id=CORRELATION_ID):
        splunk_ta.approve_request(
            conn, id=r.id, approver_id=ava, comment="ASA is our main firewall; go ahead."
        )
    with transaction(conn, correlation_id=CORRELATION_ID):
        splunk_ta.update_request_status(
            conn,
            id=r.id,
            expected_status=RequestStatus.APPROVED,
            status=RequestStatus.GENERATING_TA,
        )
        rev1 = splunk_ta.create_ta_revision(
            conn,
            request_id=r.id,
            revision_type=TaRevisionType.AUTO,
            storage_key=f"ta/{r.id}/TA-cisco-asa-1.tgz",
            file_size_bytes=18_432,
            checksum_sha256=_sha("TA-cisco-asa-1"),
            generation_metadata={"llm": "gpt-4o", "prompt": "ta-gen-v3", "rag_documents": 2},
            change_summary="Initial generation from two samples.",
        )
        splunk_ta.update_request_status(
            conn,
            id=r.id,
            expected_status=RequestStatus.GENERATING_TA,
            status=RequestStatus.VALIDATING,
        )
        run1 = splunk_ta.queue_validation(conn, request_id=r.id, ta_revision_id=rev1.id)
    _validate(conn, run1.id, ValidationStatus.FAILED, "props.conf: EXTRACT-src has a bad regex")
    with transaction(conn, correlation_id=CORRELATION_ID):
        splunk_ta.update_request_status(
            conn,
            id=r.id,
            expected_status=RequestStatus.VALIDATING,
            status=RequestStatus.GENERATING_TA,
        )
        rev2 = splunk_ta.create_ta_revision(
            conn,
            request_id=r.id,
            revision_type=TaRevisionType.MANUAL,
            storage_key=f"ta/{r.id}/TA-cisco-asa-2.tgz",
            file_size_bytes=18_501,
            checksum_sha256=_sha("TA-cisco-asa-2"),
            created_by=morgan,
            change_summary="Fixed the EXTRACT-src regex by hand.",
        )
        splunk_ta.update_request_status(
            conn,
            id=r.id,
            expected_status=RequestStatus.GENERATING_TA,
            status=RequestStatus.VALIDATING,
        )
        run2 = splunk_ta.queue_validation(conn, request_id=r.id, ta_revision_id=rev2.id)
    _validate(conn, run2.id, ValidationStatus.PASSED, None)
    with transaction(conn, correlation_id=CORRELATION_ID):
        splunk_ta.update_request_status(
            conn,
            id=r.id,
            expected_status=RequestStatus.VALIDATING,
            status=RequestStatus.COMPLETED,
        )
    return {
        "users": len(USERS),
        "requests": 1,
        "log samples": 2,
        "revisions": 2,
        "validation runs": 2,
        "knowledge documents": docs,
    }


def _validate(
    conn: psycopg.Connection[Any], run_id: Any, status: ValidationStatus, error: str | None
) -> None:
    """A sandbox worker: claim (own transaction), then report."""
    with transaction(conn, correlation_id=CORRELATION_ID):
        run = splunk_ta.start_validation(conn, sandbox_id="sandbox-01")
    if run is None or run.id != run_id:
        raise RuntimeError("the sample validation run was not the next one to start")
    with transaction(conn, correlation_id=CORRELATION_ID):
        splunk_ta.complete_validation(
            conn,
            id=run.id,
            status=status,
            results={
                "btool": "ok" if status == ValidationStatus.PASSED else "error",
                "cim_compliance": 1.0 if status == ValidationStatus.PASSED else 0.4,
            },
            error_message=error,
        )
