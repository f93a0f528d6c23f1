"""core.audit_log through the generated functions (sql/core/audit_log.sql): writing and reading
events, tenant/correlation defaults, append-only enforcement on the parent and on its partitions
(as the owner and as the application role), out-of-range dates, partition maintenance."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from registry_sql import core
from registry_sql.core import (
    ActorType,
    Application,
    AuditAction,
    AuditEventRow,
    CreateAuditEventRow,
    EventLevel,
)
from registry_sql.db import transaction
from registry_sql.errors import Forbidden, ImmutableRecord, NotFound, RegistrySqlError

Conn = psycopg.Connection[Any]


def event(
    conn: Conn,
    *,
    application: Application = Application.CORE,
    action: AuditAction = AuditAction.UPDATE,
    entity_type: str = "user",
    entity_id: str | None = None,
    **kw: Any,
) -> CreateAuditEventRow:
    return core.create_audit_event(
        conn,
        application=application,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        **kw,
    )


def test_create_and_get_audit_event_round_trips_every_column(conn: Conn) -> None:
    actor = uuid.uuid4()
    key_id = uuid.uuid4()
    org = uuid.uuid4()
    created = core.create_audit_event(
        conn,
        application=Application.MLOPS,
        organization_id=org,
        actor_type=ActorType.API_KEY,
        actor_user_id=actor,
        actor_username="deployer",
        actor_api_key_id=key_id,
        action=AuditAction.APPROVE,
        event_level=EventLevel.WARNING,
        entity_type="deployment",
        entity_id="dep-1",
        old_values={"status": "pending"},
        new_values={"status": "approved"},
        changed_fields=["status"],
        details={"ticket": "CHG-1", "nested": {"n": [1, 2]}},
        reason="Change board approval",
        correlation_id="req-1",
        session_id="sess-1",
        ip_address="198.51.100.4",
        user_agent="curl/8",
    )
    assert isinstance(created, CreateAuditEventRow) and isinstance(created.id, uuid.UUID)
    assert abs(created.occurred_at - datetime.now(UTC)) < timedelta(minutes=1)
    row = core.get_audit_event(conn, id=created.id, occurred_at=created.occurred_at)
    assert isinstance(row, AuditEventRow)
    assert row.application is Application.MLOPS and row.organization_id == org
    assert row.actor_type is ActorType.API_KEY and row.actor_user_id == actor
    assert row.actor_username == "deployer" and row.actor_api_key_id == key_id
    assert row.action is AuditAction.APPROVE and row.event_level is EventLevel.WARNING
    assert (row.entity_type, row.entity_id) == ("deployment", "dep-1")
    assert row.old_values == {"status": "pending"} and row.new_values == {"status": "approved"}
    assert row.changed_fields == ["status"]
    assert row.details == {"ticket": "CHG-1", "nested": {"n": [1, 2]}}
    assert row.reason == "Change board approval" and row.correlation_id == "req-1"
    assert row.session_id == "sess-1" and row.user_agent == "curl/8"
    assert row.ip_address == ipaddress.ip_address("198.51.100.4")

    minimal = event(conn)
    m = core.get_audit_event(conn, id=minimal.id, occurred_at=minimal.occurred_at)
    assert m.actor_type is ActorType.USER and m.event_level is EventLevel.INFO
    assert m.details == {} and m.old_values is None and m.changed_fields is None
    assert m.organization_id is None and m.correlation_id is None

    with pytest.raises(NotFound):
        core.get_audit_event(
            conn, id=created.id, occurred_at=created.occurred_at + timedelta(seconds=1)
        )
    with pytest.raises(NotFound):
        core.get_audit_event(conn, id=uuid.uuid4(), occurred_at=created.occurred_at)


def test_tenant_and_correlation_defaults(conn: Conn) -> None:
    org = uuid.uuid4()
    explicit_org = uuid.uuid4()
    with transaction(conn, org_id=org, correlation_id="req-42"):
        a = event(conn, entity_id="a")
        b = event(conn, entity_id="b", organization_id=explicit_org, correlation_id="other")
        c = event(conn, entity_id="c")
    ra = core.get_audit_event(conn, id=a.id, occurred_at=a.occurred_at)
    assert ra.organization_id == org and ra.correlation_id == "req-42"
    rb = core.get_audit_event(conn, id=b.id, occurred_at=b.occurred_at)
    assert rb.organization_id == explicit_org and rb.correlation_id == "other"
    assert a.occurred_at < b.occurred_at < c.occurred_at  # each statement's own time (0020)

    # outside the transaction the settings are gone (SET LOCAL)
    d = event(conn, entity_id="d")
    rd = core.get_audit_event(conn, id=d.id, occurred_at=d.occurred_at)
    assert rd.organization_id is None and rd.correlation_id is None

    by_corr = core.list_audit_events_by_correlation(conn, correlation_id="req-42", limit=10)
    assert [r.id for r in by_corr] == [a.id, c.id]  # in the order they happened
    assert core.list_audit_events_by_correlation(conn, correlation_id="req-42", limit=1) == [
        by_corr[0]
    ]
    assert core.list_audit_events_by_correlation(conn, correlation_id="none", limit=10) == []
    assert {r.id for r in core.search_audit_events(conn, organization_id=org, limit=10)} == {
        a.id,
        c.id,
    }


def test_list_and_search_audit_events(conn: Conn) -> None:
    alice = uuid.uuid4()
    bob = uuid.uuid4()
    ids = [
        event(
            conn,
            entity_type="package",
            entity_id="p1",
            action=AuditAction.UPLOAD,
            actor_user_id=alice,
            application=Application.MODEL_REGISTRY,
        ),
        event(
            conn,
            entity_type="package",
            entity_id="p1",
            action=AuditAction.DOWNLOAD,
            actor_user_id=bob,
            application=Application.MODEL_REGISTRY,
            event_level=EventLevel.DEBUG,
        ),
        event(
            conn,
            entity_type="package",
            entity_id="p2",
            action=AuditAction.DELETE,
            actor_user_id=alice,
            application=Application.MODEL_REGISTRY,
            event_level=EventLevel.ERROR,
        ),
        event(
            conn,
            entity_type="package",
            entity_id="p1",
            action=AuditAction.UPDATE,
            actor_user_id=alice,
            application=Application.MODEL_REGISTRY,
            event_level=EventLevel.CRITICAL,
        ),
        event(
            conn,
            entity_type="model",
            entity_id="m1",
            action=AuditAction.CREATE,
            actor_user_id=bob,
            application=Application.MLOPS,
        ),
    ]
    newest_first = [e.id for e in reversed(ids)]

    p1 = core.list_audit_events_for_entity(conn, entity_type="package", entity_id="p1", limit=2)
    assert [r.id for r in p1] == [ids[3].id, ids[1].id]
    p1_next = core.list_audit_events_for_entity(
        conn,
        entity_type="package",
        entity_id="p1",
        limit=2,
        after_occurred_at=p1[-1].occurred_at,
        after_id=p1[-1].id,
    )
    assert [r.id for r in p1_next] == [ids[0].id]
    assert (
        core.list_audit_events_for_entity(conn, entity_type="package", entity_id="zzz", limit=5)
        == []
    )

    recent = core.list_recent_audit_events(conn, application=Application.MODEL_REGISTRY, limit=3)
    assert [r.id for r in recent] == [ids[3].id, ids[2].id, ids[1].id]
    by_alice = core.list_recent_audit_events(
        conn, application=Application.MODEL_REGISTRY, actor_user_id=alice, limit=10
    )
    assert [r.id for r in by_alice] == [ids[3].id, ids[2].id, ids[0].id]

    everything = core.search_audit_events(conn, limit=10)
    assert [r.id for r in everything] == newest_first
    assert [
        r.id for r in core.search_audit_events(conn, application=Application.MLOPS, limit=10)
    ] == [ids[4].id]
    assert [r.id for r in core.search_audit_events(conn, actor_user_id=bob, limit=10)] == [
        ids[4].id,
        ids[1].id,
    ]
    assert [
        r.id
        for r in core.search_audit_events(conn, entity_type="package", entity_id="p2", limit=10)
    ] == [ids[2].id]
    assert [r.id for r in core.search_audit_events(conn, action=AuditAction.UPLOAD, limit=10)] == [
        ids[0].id
    ]
    assert [
        r.id for r in core.search_audit_events(conn, min_event_level=EventLevel.ERROR, limit=10)
    ] == [ids[3].id, ids[2].id]
    # time window: from inclusive, to exclusive
    t1, t3 = ids[1].occurred_at, ids[3].occurred_at
    window = core.search_audit_events(conn, occurred_from=t1, occurred_to=t3, limit=10)
    assert [r.id for r in window] == [ids[2].id, ids[1].id]
    # keyset pages cover everything exactly once
    page1 = core.search_audit_events(conn, limit=3)
    page2 = core.search_audit_events(
        conn, limit=3, after_occurred_at=page1[-1].occurred_at, after_id=page1[-1].id
    )
    assert [r.id for r in page1 + page2] == newest_first


# --------------------------------------------------------------------------- append-only

PARTITIONS = """
SELECT c.relname
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'core.audit_log'::regclass
"""


def _insert_at(conn: Conn, occurred_at: datetime | None, entity_id: str) -> tuple[uuid.UUID, str]:
    """Insert an event (as the owner, which may set occurred_at); returns id and partition."""
    row = conn.execute(
        "INSERT INTO core.audit_log (occurred_at, application, action, entity_type, entity_id)"
        " VALUES (COALESCE(%s, now()), 'core', 'create', 'probe', %s)"
        " RETURNING id, tableoid::regclass::text",
        (occurred_at, entity_id),
    ).fetchone()
    assert row is not None
    return row[0], str(row[1]).removeprefix("core.")


TARGETS = ["parent", "monthly", "default"]
OPS = ["UPDATE", "DELETE", "TRUNCATE"]


def _statement(op: str, table: str) -> sql.Composed:
    ident = sql.Identifier("core", table)
    if op == "UPDATE":
        return sql.SQL("UPDATE {} SET reason = 'tampered' WHERE id = %s").format(ident)
    if op == "DELETE":
        return sql.SQL("DELETE FROM {} WHERE id = %s").format(ident)
    return sql.SQL("TRUNCATE {}").format(ident)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("target", TARGETS)
def test_audit_log_is_append_only(conn: Conn, app_conn: Conn, target: str, op: str) -> None:
    """UPDATE / DELETE / TRUNCATE fail on the parent, a monthly partition and the DEFAULT
    partition: ImmutableRecord for the owner (trigger), Forbidden for registry_app (no
    privilege: the privilege check comes before any trigger)."""
    if target == "default":
        row_id, partition = _insert_at(conn, datetime(2035, 6, 1, tzinfo=UTC), "immutable")
        assert partition == "audit_log_default"
    else:
        row_id, partition = _insert_at(conn, None, "immutable")
        assert partition.startswith("audit_log_p")
    table = "audit_log" if target == "parent" else partition
    stmt = _statement(op, table)
    params = () if op == "TRUNCATE" else (row_id,)

    with pytest.raises(ImmutableRecord) as owner_err, transaction(conn):
        conn.execute(stmt, params)
    assert owner_err.value.sqlstate == "RS001"
    assert owner_err.value.table == "core.audit_log"  # the logical table, not the partition
    assert f"append-only table core.audit_log: {op} is not allowed" in str(owner_err.value)

    with pytest.raises(RegistrySqlError) as app_err, transaction(app_conn):
        app_conn.execute(stmt, params)
    assert type(app_err.value) is Forbidden, f"{type(app_err.value).__name__}: {app_err.value}"
    assert app_err.value.sqlstate == "42501" and "permission denied" in str(app_err.value)

    # nothing changed
    kept = conn.execute(
        "SELECT reason, count(*) OVER () FROM core.audit_log WHERE id = %s", (row_id,)
    ).fetchone()
    assert kept == (None, 1)


def test_update_of_an_audit_row_through_a_transaction_rolls_back_everything(conn: Conn) -> None:
    """Done-when: an UPDATE of an audit row is ImmutableRecord and leaves no partial write."""
    first = event(conn, entity_id="orig")
    with pytest.raises(ImmutableRecord), transaction(conn):
        event(conn, entity_id="written-before-the-update")
        conn.execute("UPDATE core.audit_log SET entity_id = 'x' WHERE id = %s", (first.id,))
    assert (
        core.list_audit_events_for_entity(
            conn, entity_type="user", entity_id="written-before-the-update", limit=5
        )
        == []
    )
    assert core.get_audit_event(conn, id=first.id, occurred_at=first.occurred_at).entity_id == (
        "orig"
    )


def test_application_role_writes_and_reads_through_generated_functions(app_conn: Conn) -> None:
    created = event(app_conn, entity_id="by-app")
    row = core.get_audit_event(app_conn, id=created.id, occurred_at=created.occurred_at)
    assert row.entity_id == "by-app"


def test_far_past_and_future_rows_go_to_default_partition_and_are_readable(conn: Conn) -> None:
    past = datetime(1999, 12, 31, 23, 59, tzinfo=UTC)
    future = datetime(2035, 1, 15, 12, 0, tzinfo=UTC)
    past_id, past_part = _insert_at(conn, past, "edge")
    future_id, future_part = _insert_at(conn, future, "edge")
    now_id, now_part = _insert_at(conn, None, "edge")
    assert past_part == future_part == "audit_log_default"
    assert now_part != "audit_log_default"

    rows = core.list_audit_events_for_entity(conn, entity_type="probe", entity_id="edge", limit=10)
    assert [r.id for r in rows] == [future_id, now_id, past_id]
    assert [r.occurred_at for r in rows][::2] == [future, past]
    window = core.search_audit_events(
        conn, occurred_from=datetime(2030, 1, 1, tzinfo=UTC), limit=10
    )
    assert [r.id for r in window] == [future_id]
    old = core.search_audit_events(conn, occurred_to=datetime(2000, 1, 1, tzinfo=UTC), limit=10)
    assert [r.id for r in old] == [past_id]
    assert core.get_audit_event(conn, id=past_id, occurred_at=past).occurred_at == past


def test_maintain_partitions_is_idempotent(conn: Conn) -> None:
    conn.execute("SELECT * FROM core.maintain_partitions()").fetchall()
    assert conn.execute("SELECT * FROM core.maintain_partitions()").fetchall() == []

    # Six months ahead: new partitions, with the TRUNCATE trigger and the grants copied.
    ahead = datetime.now(UTC) + timedelta(days=183)
    first = conn.execute("SELECT * FROM core.maintain_partitions(%s)", (ahead,)).fetchall()
    actions = {a for _, a, _ in first}
    assert "created" in actions and "trigger_added" in actions
    assert conn.execute("SELECT * FROM core.maintain_partitions(%s)", (ahead,)).fetchall() == []
    # Other schemas register time-series tables too; this test is about core.audit_log.
    created = sorted(
        p for parent, a, p in first if a == "created" and parent == "core.audit_log"
    )
    assert created
    names = {r[0] for r in conn.execute(PARTITIONS)}
    assert set(created) <= names
    with pytest.raises(ImmutableRecord), transaction(conn):
        conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier("core", created[-1])))


def test_maintain_partitions_named_query_recreates_a_missing_partition(conn: Conn) -> None:
    """`registry-sql maintain` runs the named query ``core.maintain_partitions``."""
    core.maintain_partitions(conn)
    assert core.maintain_partitions(conn) == []
    newest = max(
        str(r[0]) for r in conn.execute(PARTITIONS) if not str(r[0]).endswith("_default")
    )
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("core", newest)))
    rows = core.maintain_partitions(conn)
    created = [r for r in rows if r.action == "created" and r.parent == "core.audit_log"]
    assert [r.partition_name for r in created] == [newest]
    assert core.maintain_partitions(conn) == []
