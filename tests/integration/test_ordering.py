"""Deterministic order within one transaction: ten changes made in one transaction come back in
the order they were made, by every "newest first" / "in the order they happened" query.

Row times default to statement_timestamp() (migration 0020): each statement gets its own, later
time, where now() gave every row of the transaction the same time and the random-UUID tie-breaker
shuffled them.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from mlops_support import make_tenant

from registry_sql import core, mlops
from registry_sql import model_registry as mr
from registry_sql.core import Application, AuditAction
from registry_sql.db import transaction
from registry_sql.mlops import AlertSeverity, AlertType, DeploymentStatus
from registry_sql.model_registry import LineageRelationship, PackageRow

Conn = psycopg.Connection[Any]
N = 10


def _pkg(conn: Conn, name: str, version: str) -> PackageRow:
    return mr.create_package(
        conn,
        name=name,
        version=version,
        s3_key=f"{name}/{version}",
        s3_bucket="b",
        file_size_bytes=1,
    )


def test_deployment_history_newest_first(conn: Conn) -> None:
    t = make_tenant(conn, "order-deploy")
    statuses = [DeploymentStatus.RUNNING, DeploymentStatus.STOPPED]
    with transaction(conn, org_id=t.org_id):
        for i in range(N):
            mlops.update_deployment_status(
                conn,
                organization_id=t.org_id,
                id=t.deployment_id,
                status=statuses[i % 2],
                notes=f"change {i}",
            )
        history = mlops.list_deployment_history(
            conn, organization_id=t.org_id, deployment_id=t.deployment_id, limit=N
        )
    assert [h.notes for h in history] == [f"change {i}" for i in reversed(range(N))]
    assert [h.new_status for h in history][:2] == [
        DeploymentStatus.STOPPED,
        DeploymentStatus.RUNNING,
    ]


def test_audit_events_by_correlation_in_the_order_they_happened(conn: Conn) -> None:
    with transaction(conn, correlation_id="req-order"):
        for i in range(N):
            core.create_audit_event(
                conn,
                application=Application.CORE,
                action=AuditAction.UPDATE,
                entity_type="thing",
                entity_id=str(i),
            )
    events = core.list_audit_events_by_correlation(conn, correlation_id="req-order", limit=N)
    assert [e.entity_id for e in events] == [str(i) for i in range(N)]
    recent = core.list_recent_audit_events(conn, application=Application.CORE, limit=N)
    assert [e.entity_id for e in recent] == [str(i) for i in reversed(range(N))]


def test_package_versions_that_are_not_semver_newest_upload_first(conn: Conn) -> None:
    names = [f"build-{uuid.uuid4().hex[:6]}" for _ in range(N)]  # no order of their own
    with transaction(conn):
        for version in names:
            _pkg(conn, "nightly", version)
    listed = [p.version for p in mr.list_package_versions(conn, name="nightly")]
    assert listed == list(reversed(names))


def test_lineage_graph_edges_oldest_first(conn: Conn) -> None:
    with transaction(conn):
        root = _pkg(conn, "root", "1.0.0")
        children = [_pkg(conn, f"child-{uuid.uuid4().hex[:6]}", "1.0.0") for _ in range(N)]
        for child in children:
            mr.add_lineage_edge(
                conn,
                parent_package_id=root.id,
                child_package_id=child.id,
                relationship=LineageRelationship.FINE_TUNED,
            )
    graph = mr.get_lineage_graph(conn, package_id=root.id, max_depth=2)
    assert isinstance(graph.edges, list)
    got = [e["child_package_id"] for e in graph.edges if isinstance(e, dict)]
    assert got == [str(c.id) for c in children]


def test_users_newest_first(conn: Conn) -> None:
    with transaction(conn):
        made = [
            core.create_user(
                conn,
                username=f"u{i}",
                email=f"u{i}@example.com",
                auth_provider=core.AuthProvider.OIDC,
            ).id
            for i in range(N)
        ]
    assert [u.id for u in core.list_users(conn, limit=N)] == list(reversed(made))


def test_runs_and_alerts_newest_first(conn: Conn) -> None:
    t = make_tenant(conn, "order-runs")
    with transaction(conn, org_id=t.org_id):
        runs = [
            mlops.start_run(
                conn, organization_id=t.org_id, experiment_id=t.experiment_id, name=f"r{i}"
            ).id
            for i in range(N)
        ]
        alerts = [
            mlops.create_alert(
                conn,
                organization_id=t.org_id,
                project_id=t.project_id,
                alert_type=AlertType.DATA_DRIFT,
                severity=AlertSeverity.WARNING,
                title=f"a{i}",
            ).id
            for i in range(N)
        ]
        listed_runs = mlops.list_runs(
            conn, organization_id=t.org_id, experiment_id=t.experiment_id, limit=N
        )
        listed_alerts = mlops.list_open_alerts(
            conn, organization_id=t.org_id, project_id=t.project_id, limit=2 * N
        )
    assert [r.id for r in listed_runs] == list(reversed(runs))
    assert [a.id for a in listed_alerts if a.id in alerts] == list(reversed(alerts))


def test_downloads_newest_first(conn: Conn) -> None:
    with transaction(conn):
        pkg = _pkg(conn, "dl", "1.0.0")
        made = [
            mr.record_download(
                conn, package_id=pkg.id, access_granted=True, user_agent=f"agent {i}"
            ).id
            for i in range(N)
        ]
    listed = mr.list_downloads_for_package(conn, package_id=pkg.id, limit=N)
    assert [d.id for d in listed] == list(reversed(made))


def test_updated_at_is_never_before_created_at_in_one_transaction(conn: Conn) -> None:
    with transaction(conn):
        user = core.create_user(
            conn, username="tick", email="tick@example.com", auth_provider=core.AuthProvider.OIDC
        )
        assert user.created_at == user.updated_at  # one statement: one time
        core.update_user(conn, id=user.id, full_name="Tick")
        after = core.get_user_by_id(conn, id=user.id)
    assert after.updated_at > after.created_at == user.created_at


def test_no_row_time_defaults_to_the_transaction_start(conn: Conn) -> None:
    """Every other newest-first list (API keys, tokens, projects, metrics, ...) orders by a column
    whose default is statement_timestamp(): none is left at now()."""
    left = conn.execute(
        "SELECT n.nspname || '.' || c.relname || '.' || a.attname"
        " FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
        " WHERE n.nspname IN ('core', 'model_registry', 'mlops')"
        " AND pg_get_expr(d.adbin, d.adrelid) IN ('now()', 'CURRENT_TIMESTAMP')"
    ).fetchall()
    assert left == []
    row = conn.execute(
        "SELECT count(*) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname IN ('core', 'model_registry', 'mlops')"
        " AND pg_get_expr(d.adbin, d.adrelid) = 'statement_timestamp()'"
    ).fetchone()
    assert row is not None and row[0] >= 52
