"""The ``splunk_ta`` segment of the demo tour: one TA request from submission to a validated add-on.

Walks the sample story of :mod:`registry_sql.seeds.splunk_ta` and ends with the request's audit
trail, read by its correlation id.
"""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql import core, splunk_ta
from registry_sql.db import transaction
from registry_sql.seeds.splunk_ta import CORRELATION_ID, TITLE
from registry_sql.splunk_ta import RequestStatus
from registry_sql.tours import expect_error, in_tx, section, show


def tour(conn: psycopg.Connection[Any]) -> None:
    section("splunk_ta: a TA request, from submission to a validated add-on")
    riley = core.get_user_by_username(conn, username="riley")
    ava = core.get_user_by_username(conn, username="ava")
    mine = splunk_ta.list_requests(conn, requester_id=riley.id, limit=5)
    r = next(x for x in mine if x.title == TITLE)
    show("splunk_ta.list_requests(conn, requester_id=riley.id, limit=5)[0]", r)
    stats = splunk_ta.get_request_statistics(conn)
    show(
        "splunk_ta.get_request_statistics(conn)  # every status, average time to completion",
        "\n".join(
            f"  {s.status.value:17} {s.count:3}"
            + (f"  avg {s.avg_seconds_to_complete:.2f} s" if s.avg_seconds_to_complete else "")
            for s in stats
        ),
    )
    revisions = splunk_ta.list_ta_revisions(conn, request_id=r.id)
    show(
        "splunk_ta.list_ta_revisions(conn, request_id=r.id)  # v1 auto, v2 manual",
        "\n".join(
            f"  v{v.version} {v.revision_type.value:6} {v.storage_key}  {v.change_summary}"
            for v in revisions
        ),
    )
    runs = splunk_ta.list_validation_runs_for_request(conn, request_id=r.id)
    show(
        "splunk_ta.list_validation_runs_for_request(conn, request_id=r.id)",
        "\n".join(
            f"  {x.status.value:7} revision {x.ta_revision_id}  {x.error_message or ''}"
            for x in runs
        ),
    )

    section("splunk_ta: the status flow and the decision are guarded by the database")
    expect_error(
        "splunk_ta.update_request_status(conn, id=r.id, expected_status=COMPLETED, "
        "status=GENERATING_TA)",
        lambda: in_tx(
            conn,
            lambda: splunk_ta.update_request_status(
                conn,
                id=r.id,
                expected_status=RequestStatus.COMPLETED,
                status=RequestStatus.GENERATING_TA,
            ),
        ),
    )
    expect_error(
        "splunk_ta.approve_request(conn, id=r.id, approver_id=ava.id)  # a second approval",
        lambda: in_tx(conn, lambda: splunk_ta.approve_request(conn, id=r.id, approver_id=ava.id)),
    )

    section("splunk_ta: log samples and retention (the purge returns the storage keys)")
    samples = splunk_ta.list_log_samples_for_request(conn, request_id=r.id)
    show(
        "splunk_ta.list_log_samples_for_request(conn, request_id=r.id)",
        "\n".join(
            f"  {s.filename:18} retention_until={s.retention_until:%Y-%m-%d}" for s in samples
        ),
    )
    with transaction(conn):
        first = splunk_ta.purge_expired_log_samples(conn, limit=100)
    with transaction(conn):
        again = splunk_ta.purge_expired_log_samples(conn, limit=100)
    show("splunk_ta.purge_expired_log_samples(conn, limit=100)", [p.storage_key for p in first])
    show("splunk_ta.purge_expired_log_samples(conn, limit=100)  # again: idempotent", again)

    section("splunk_ta: the knowledge base (Pinecone) and the runtime config")
    docs = splunk_ta.list_active_knowledge_documents(conn, limit=10)
    show(
        "splunk_ta.list_active_knowledge_documents(conn, limit=10)",
        "\n".join(f"  {d.title}  ({d.chunk_count} vectors)" for d in docs),
    )
    dup = docs[0]
    expect_error(
        "splunk_ta.create_knowledge_document(conn, title=..., content_hash=<same content>)",
        lambda: in_tx(
            conn,
            lambda: splunk_ta.create_knowledge_document(
                conn, title="the same again", content_hash=dup.content_hash
            ),
        ),
    )
    show(
        "splunk_ta.list_config(conn)  # secrets read as ***",
        "\n".join(f"  {c.key:28} {c.value}" for c in splunk_ta.list_config(conn)),
    )
    show(
        "splunk_ta.get_max_parallel_validations(conn)  # typed",
        splunk_ta.get_max_parallel_validations(conn),
    )

    section(f"splunk_ta: the audit trail of the request (correlation id {CORRELATION_ID!r})")
    trail = splunk_ta.list_activity_by_correlation(conn, correlation_id=CORRELATION_ID, limit=50)
    show(
        f"splunk_ta.list_activity_by_correlation(conn, correlation_id={CORRELATION_ID!r}, "
        "limit=50)",
        "\n".join(
            f"  {e.occurred_at:%H:%M:%S} {e.actor_type.value:6} {e.action.value:8} "
            f"{e.entity_type:24} {e.details or ''}"
            for e in trail
        ),
    )
