"""Shared builders for the ``splunk_ta`` integration tests.

Everything goes through the generated functions inside ``transaction(conn)``, so the builders
work on the superuser ``conn`` and on the application role's ``app_conn`` alike.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from registry_sql import core, splunk_ta
from registry_sql.db import transaction
from registry_sql.splunk_ta import RequestRow, RequestStatus, TaRevisionRow, TaRevisionType

Conn = psycopg.Connection[Any]

S = RequestStatus


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_user(conn: Conn, name: str) -> uuid.UUID:
    with transaction(conn):
        return core.create_user(
            conn, username=name, email=f"{name}@example.com", auth_provider=core.AuthProvider.OIDC
        ).id


@dataclass(frozen=True)
class People:
    requestor: uuid.UUID
    approver: uuid.UUID
    engineer: uuid.UUID


def make_people(conn: Conn, prefix: str = "sta") -> People:
    return People(
        make_user(conn, f"{prefix}-requestor"),
        make_user(conn, f"{prefix}-approver"),
        make_user(conn, f"{prefix}-engineer"),
    )


def make_request(conn: Conn, who: People, title: str = "Cisco ASA add-on") -> RequestRow:
    with transaction(conn):
        return splunk_ta.create_request(
            conn,
            requester_id=who.requestor,
            title=title,
            source_type="cisco:asa",
            vendor="Cisco",
            product="ASA",
            cim_data_models=["Network_Traffic"],
        )


def drive(conn: Conn, who: People, target: RequestStatus, title: str = "driven") -> RequestRow:
    """A request brought to ``target`` along the legal path."""
    r = make_request(conn, who, title)
    if target == S.NEW:
        return r
    path: list[RequestStatus] = {
        S.PENDING_APPROVAL: [S.PENDING_APPROVAL],
        S.APPROVED: [S.PENDING_APPROVAL, S.APPROVED],
        S.REJECTED: [S.PENDING_APPROVAL, S.REJECTED],
        S.GENERATING_TA: [S.PENDING_APPROVAL, S.APPROVED, S.GENERATING_TA],
        S.VALIDATING: [S.PENDING_APPROVAL, S.APPROVED, S.GENERATING_TA, S.VALIDATING],
        S.COMPLETED: [S.PENDING_APPROVAL, S.APPROVED, S.GENERATING_TA, S.VALIDATING, S.COMPLETED],
        S.FAILED: [S.PENDING_APPROVAL, S.APPROVED, S.GENERATING_TA, S.FAILED],
    }[target]
    for step in path:
        r = step_to(conn, who, r, step)
    assert r.status == target
    return r


def step_to(conn: Conn, who: People, r: RequestRow, status: RequestStatus) -> RequestRow:
    """One legal transition through the query that makes it."""
    with transaction(conn):
        if status == S.PENDING_APPROVAL:
            return splunk_ta.submit_request(conn, id=r.id, submitted_by=who.requestor)
        if status == S.APPROVED:
            return splunk_ta.approve_request(
                conn, id=r.id, approver_id=who.approver, comment="looks useful"
            )
        if status == S.REJECTED:
            return splunk_ta.reject_request(
                conn, id=r.id, rejected_by=who.approver, rejection_reason="duplicate"
            )
        return splunk_ta.update_request_status(
            conn,
            id=r.id,
            expected_status=r.status,
            status=status,
            failure_reason="btool failed" if status == S.FAILED else None,
        )


def make_revision(
    conn: Conn, request_id: uuid.UUID, *, manual_by: uuid.UUID | None = None
) -> TaRevisionRow:
    with transaction(conn):
        return splunk_ta.create_ta_revision(
            conn,
            request_id=request_id,
            revision_type=TaRevisionType.MANUAL if manual_by else TaRevisionType.AUTO,
            storage_key=f"ta/{request_id}/{uuid.uuid4()}.tgz",
            file_size_bytes=1024,
            checksum_sha256=sha(str(uuid.uuid4())),
            created_by=manual_by,
            generation_metadata={"model": "gpt-4o"},
        )
