"""Every named constraint of schema ``mlops`` is violated once, and the translated error checked.

CHECK constraints: one hand-written change per constraint (below). UNIQUE keys (``uq_*``
indexes): a duplicate, through the generated function when one reaches it. FOREIGN KEYS: read
from ``pg_constraint``, each one is broken by pointing its column at a random id. Every refused

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat
statement runs in ``transaction(conn, org_id=...)``, which translates the driver error.
A meta-test fails when a constraint or ``uq_`` index of the schema has no case here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from catalog_support import named_constraints
from mlops_support import Conn, Tenant, make_tenant
from psycopg import sql

from registry_sql import mlops
from registry_sql.db import transaction
from registry_sql.errors import Conflict, ForeignKeyMissing, InvalidInput, RegistrySqlError
from registry_sql.mlops import DeploymentEnvironment, NotificationChannelType, NotificationEventType

# constraint -> (table, SET clause) that breaks it on the tenant's one row of that table
CHECKS: dict[str, tuple[str, str]] = {
    "ck_alerts__acknowledged_after_triggered": (
        "alerts",
        "acknowledged_at = triggered_at - interval '1 s'",
    ),
    "ck_alerts__details_object": ("alerts", "details = '[]'"),
    "ck_alerts__resolved_after_triggered": (
        "alerts",
        "resolved_at = triggered_at - interval '1 s'",
    ),
    "ck_alerts__resolved_has_resolved_at": ("alerts", "status = 'resolved'"),
    "ck_alerts__title_length": ("alerts", "title = ''"),
    "ck_data_drift_reports__current_window_ordered": (
        "data_drift_reports",
        "current_start = now(), current_end = now() - interval '1 day'",
    ),
    "ck_data_drift_reports__feature_results_object": (
        "data_drift_reports",
        "feature_results = '1'",
    ),
    "ck_data_drift_reports__reference_window_ordered": (
        "data_drift_reports",
        "reference_start = now(), reference_end = now() - interval '1 day'",
    ),
    "ck_data_drift_reports__target_present": (
        "data_drift_reports",
        "deployment_id = NULL, model_version_id = NULL",
    ),
    "ck_deployment_history__config_snapshot_object": (
        "deployment_history",
        "config_snapshot = '\"x\"'",
    ),
    "ck_deployments__config_object": ("deployments", "config = 'null'"),
    "ck_deployments__name_length": ("deployments", "name = ''"),
    "ck_deployments__replicas_nonnegative": ("deployments", "replicas = -1"),
    "ck_deployments__running_has_deployed_at": (
        "deployments",
        "status = 'running', deployed_at = NULL",
    ),
    "ck_deployments__resources_object": ("deployments", "resources = '[1]'"),
    "ck_deployments__traffic_percent_range": ("deployments", "traffic_percent = 101"),
    "ck_experiment_runs__ended_after_started": (
        "experiment_runs",
        "ended_at = started_at - interval '1 s'",
    ),
    "ck_experiment_runs__tags_object": ("experiment_runs", "tags = '[]'"),
    "ck_experiment_runs__terminal_has_ended_at": ("experiment_runs", "status = 'finished'"),
    "ck_experiments__config_object": ("experiments", "config = '[]'"),
    "ck_experiments__name_length": ("experiments", "name = ''"),
    "ck_experiments__tags_object": ("experiments", "tags = '[]'"),
    "ck_model_monitoring__accuracy_range": ("model_monitoring", "accuracy = 1.5"),
    "ck_model_monitoring__custom_metrics_object": ("model_monitoring", "custom_metrics = '[]'"),
    "ck_model_monitoring__error_count_range": (
        "model_monitoring",
        "error_count = request_count + 1",
    ),
    "ck_model_monitoring__latency_nonnegative": ("model_monitoring", "latency_p95_ms = -1"),
    "ck_model_monitoring__throughput_nonnegative": ("model_monitoring", "throughput_rps = -0.5"),
    "ck_model_monitoring__window_seconds_positive": ("model_monitoring", "window_seconds = 0"),
    "ck_model_versions__artifact_size_nonnegative": ("model_versions", "artifact_size_bytes = -1"),
    "ck_model_versions__artifact_uri_not_empty": ("model_versions", "artifact_uri = ''"),
    "ck_model_versions__checksum_sha256_hex": ("model_versions", "checksum_sha256 = 'ABC'"),
    "ck_model_versions__metrics_object": ("model_versions", "metrics = '[]'"),
    "ck_model_versions__signature_object": ("model_versions", "signature = '[]'"),
    "ck_model_versions__version_positive": ("model_versions", "version = 0"),
    "ck_models__framework_lowercase": ("models", "framework = 'XGBoost'"),
    "ck_models__tags_no_nulls": ("models", "tags = ARRAY['a', NULL]"),
    "ck_models__name_length": ("models", "name = ''"),
    "ck_notification_channels__config_object": ("notification_channels", "config = '[]'"),
    "ck_notification_channels__name_length": ("notification_channels", "name = repeat('x', 201)"),
    "ck_notification_rules__conditions_object": ("notification_rules", "conditions = '[]'"),
    "ck_notification_rules__cooldown_seconds_nonnegative": (
        "notification_rules",
        "cooldown_seconds = -1",
    ),
    "ck_notification_rules__name_length": ("notification_rules", "name = ''"),
    "ck_projects__name_length": ("projects", "name = ''"),
    "ck_projects__settings_object": ("projects", "settings = '[]'"),
    "ck_projects__slug_format": ("projects", "slug = 'Not A Slug'"),
    "ck_run_metrics__metric_name_length": ("run_metrics", "metric_name = ''"),
}


# Cases that need an INSERT: a BEFORE UPDATE trigger (params are write-once) would refuse the
# UPDATE first, and changing organization_id on a parent breaks its children's keys first.
INSERTS: dict[str, str] = {
    "ck_experiment_runs__params_object": (
        "INSERT INTO mlops.experiment_runs (organization_id, experiment_id, params)"
        " SELECT organization_id, id, '[]' FROM mlops.experiments"
        " WHERE organization_id = %(org)s"
    ),
    "fk_projects__organization_id": (
        "INSERT INTO mlops.projects (organization_id, name, slug) VALUES (%(other)s, 'x', 'x')"
    ),
    "fk_alerts__organization_id": (
        "INSERT INTO mlops.alerts (organization_id, alert_type, severity, title)"
        " VALUES (%(other)s, 'custom', 'info', 'x')"
    ),
    "fk_notification_channels__organization_id": (
        "INSERT INTO mlops.notification_channels (organization_id, name, channel_type)"
        " VALUES (%(other)s, 'x', 'email')"
    ),
}


def _uniques(t: Tenant) -> dict[str, Callable[[Conn], object]]:
    o = t.org_id
    return {
        "uq_projects__org_slug": lambda c: mlops.create_project(
            c, organization_id=o, name="dup", slug="main"
        ),
        "uq_project_members__org_project_user": lambda c: (
            mlops.add_project_member(
                c, organization_id=o, project_id=t.project_id, user_id=t.user_id
            )
            and c.execute(
                "INSERT INTO mlops.project_members (organization_id, project_id, user_id)"
                " VALUES (%s, %s, %s)",
                (o, t.project_id, t.user_id),
            )
        ),
        "uq_models__org_project_name": lambda c: mlops.create_model(
            c, organization_id=o, project_id=t.project_id, name="classifier"
        ),
        "uq_model_versions__org_model_version": lambda c: c.execute(
            "INSERT INTO mlops.model_versions (organization_id, model_id, version, artifact_uri)"
            " VALUES (%s, %s, 1, 's3://dup')",
            (o, t.model_id),
        ),
        "uq_model_versions__one_production": lambda c: (
            c.execute(
                "WITH v AS (UPDATE mlops.model_versions SET stage = 'production'"
                " WHERE organization_id = %s AND id = %s RETURNING 1)"
                " SELECT 1",
                (o, t.version_id),
            )
            and c.execute(
                "INSERT INTO mlops.model_versions (organization_id, model_id, version,"
                " artifact_uri, stage) VALUES (%s, %s, 2, 's3://p', 'production')",
                (o, t.model_id),
            )
        ),
        "uq_experiments__org_project_name": lambda c: mlops.create_experiment(
            c, organization_id=o, project_id=t.project_id, name="baseline"
        ),
        "uq_deployments__org_project_env_name": lambda c: mlops.create_deployment(
            c,
            organization_id=o,
            project_id=t.project_id,
            model_version_id=t.version_id,
            name="api",
            environment=DeploymentEnvironment.STAGING,
        ),
        "uq_notification_channels__org_name": lambda c: mlops.create_notification_channel(
            c, organization_id=o, name="ops", channel_type=NotificationChannelType.EMAIL
        ),
        "uq_notification_rules__org_name": lambda c: mlops.create_notification_rule(
            c,
            organization_id=o,
            channel_id=t.channel_id,
            name="drift",
            event_type=NotificationEventType.RUN_FAILED,
        ),
    }


def _fks(conn: Conn) -> list[tuple[str, str, str]]:
    """(constraint, table, the column that is not organization_id) of every mlops FK."""
    rows = conn.execute(
        "SELECT c.conname, r.relname, a.attname FROM pg_constraint c"
        " JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
        " WHERE n.nspname = 'mlops' AND c.contype = 'f' AND NOT r.relispartition"
        " AND (a.attname <> 'organization_id' OR cardinality(c.conkey) = 1) ORDER BY 1"
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _catalog_names(conn: Conn) -> set[str]:
    return named_constraints(conn, "mlops")


@pytest.fixture
def t(conn: Conn) -> Tenant:
    return make_tenant(conn, "constraints")


def _count_all(conn: Conn) -> dict[str, int]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'mlops'::regnamespace"
            " AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY 1"
        ).fetchall()
    ]
    out = {}
    for table in tables:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM mlops.{}").format(sql.Identifier(table))
        ).fetchone()
        assert row is not None
        out[table] = int(row[0])
    return out


def test_every_check_constraint(t: Tenant, conn: Conn) -> None:
    before = _count_all(conn)
    for name, (table, change) in CHECKS.items():
        q = sql.SQL("UPDATE mlops.{} SET {} WHERE organization_id = %s").format(
            sql.Identifier(table), sql.SQL(change)
        )
        with pytest.raises(InvalidInput) as exc, transaction(conn, org_id=t.org_id):
            conn.execute(q, (t.org_id,))
        assert exc.value.constraint == name, name
        assert exc.value.sqlstate == "23514"
        assert name in str(exc.value) and table in str(exc.value)
    with pytest.raises(InvalidInput) as exc, transaction(conn, org_id=t.org_id):
        conn.execute(INSERTS["ck_experiment_runs__params_object"], {"org": t.org_id})
    assert exc.value.constraint == "ck_experiment_runs__params_object"
    assert _count_all(conn) == before


def test_every_unique_key(t: Tenant, conn: Conn) -> None:
    before = _count_all(conn)
    for name, fn in _uniques(t).items():
        with pytest.raises(Conflict) as exc, transaction(conn, org_id=t.org_id):
            fn(conn)
        assert exc.value.constraint == name, name
        assert name in str(exc.value)
    assert _count_all(conn) == before


def test_every_foreign_key(t: Tenant, conn: Conn) -> None:
    fks = _fks(conn)
    assert len(fks) == 65
    before = _count_all(conn)
    for name, table, column in fks:
        if name in INSERTS:
            other = uuid.uuid4()  # an organization that does not exist, set as the tenant
            with pytest.raises(ForeignKeyMissing) as exc, transaction(conn, org_id=other):
                conn.execute(INSERTS[name], {"other": other})
            assert exc.value.constraint == name, name
            continue
        q = sql.SQL("UPDATE mlops.{} SET {} = %s WHERE organization_id = %s").format(
            sql.Identifier(table), sql.Identifier(column)
        )
        with pytest.raises(ForeignKeyMissing) as exc, transaction(conn, org_id=t.org_id):
            cur = conn.execute(q, (uuid.uuid4(), t.org_id))
            assert cur.rowcount >= 1, name  # the tenant has a row to break
        assert exc.value.constraint == name, name
        assert "does not exist" in str(exc.value)
    assert _count_all(conn) == before


def test_every_named_constraint_has_a_case(conn: Conn) -> None:
    covered = set(CHECKS) | {name for name, _, _ in _fks(conn)} | set(INSERTS)
    covered |= set(_uniques(Tenant(*([uuid.uuid4()] * 12))))
    catalog = _catalog_names(conn)
    assert catalog - covered == set(), "constraints without a test case"
    assert covered - catalog == set(), "cases for constraints that no longer exist"
    # and every name follows the convention
    for name in catalog:
        assert name.split("_", 1)[0] in {"ck", "fk", "uq"} and "__" in name, name


def test_errors_are_registry_errors(t: Tenant, conn: Conn) -> None:
    """A cross-tenant composite FK names the constraint and says what to do."""
    other = make_tenant(conn, "constraints-b")
    with pytest.raises(RegistrySqlError) as exc, transaction(conn, org_id=t.org_id):
        mlops.create_experiment(
            conn, organization_id=t.org_id, project_id=other.project_id, name="x"
        )
    assert isinstance(exc.value, ForeignKeyMissing)
    assert exc.value.constraint == "fk_experiments__project_id"
    assert "create that row first" in str(exc.value)
