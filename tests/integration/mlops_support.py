"""Shared builders for the ``mlops`` integration tests: two tenants with a little of everything.

Everything is created through the generated functions, inside
``transaction(conn, org_id=...)`` (row-level security needs the tenant), so the builders work
on the superuser ``conn`` and on the application role's ``app_conn`` alike.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from registry_sql import core, mlops
from registry_sql.db import transaction
from registry_sql.mlops import DeploymentEnvironment, NotificationChannelType, NotificationEventType

Conn = psycopg.Connection[Any]


def _scrypt(password: str) -> str:
    salt = b"mlops-tests-salt"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    s = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${s}${base64.b64encode(digest).decode().rstrip('=')}"


PW = _scrypt("mlops tests")


@dataclass(frozen=True)
class Tenant:
    """One organization with one of each mlops row (ids only)."""

    org_id: uuid.UUID
    user_id: uuid.UUID
    project_id: uuid.UUID
    model_id: uuid.UUID
    version_id: uuid.UUID
    experiment_id: uuid.UUID
    run_id: uuid.UUID
    deployment_id: uuid.UUID
    drift_report_id: uuid.UUID
    alert_id: uuid.UUID
    channel_id: uuid.UUID
    rule_id: uuid.UUID


def make_user(conn: Conn, name: str) -> uuid.UUID:
    with transaction(conn):
        return core.create_user(
            conn, username=name, email=f"{name}@example.com", hashed_password=PW
        ).id


def make_tenant(conn: Conn, slug: str, user_id: uuid.UUID | None = None) -> Tenant:
    """An organization (slug) with a member user and one row in every mlops table."""
    if user_id is None:
        user_id = make_user(conn, f"{slug}-user")
    with transaction(conn):
        org = core.create_organization(conn, name=f"Org {slug}", slug=slug, created_by=user_id)
        core.add_organization_member(conn, organization_id=org.id, user_id=user_id)
    o = org.id
    with transaction(conn, org_id=o):
        project = mlops.create_project(
            conn, organization_id=o, name=f"Project of {slug}", slug="main", created_by=user_id
        )
        mlops.add_project_member(
            conn, organization_id=o, project_id=project.id, user_id=user_id, added_by=user_id
        )
        model = mlops.create_model(
            conn,
            organization_id=o,
            project_id=project.id,
            name="classifier",
            framework="xgboost",
            tags=["tabular"],
            created_by=user_id,
        )
        experiment = mlops.create_experiment(
            conn,
            organization_id=o,
            project_id=project.id,
            model_id=model.id,
            name="baseline",
            created_by=user_id,
        )
        run = mlops.start_run(
            conn,
            organization_id=o,
            experiment_id=experiment.id,
            name="run-1",
            params={"max_depth": "6"},
            created_by=user_id,
        )
        mlops.log_metric(conn, organization_id=o, run_id=run.id, metric_name="auc", value=0.9)
        version = mlops.create_model_version(
            conn,
            organization_id=o,
            model_id=model.id,
            artifact_uri="s3://models/1",
            source_run_id=run.id,
            created_by=user_id,
        )
        deployment = mlops.create_deployment(
            conn,
            organization_id=o,
            project_id=project.id,
            model_version_id=version.id,
            name="api",
            environment=DeploymentEnvironment.STAGING,
            created_by=user_id,
        )
        mlops.record_monitoring_sample(
            conn,
            organization_id=o,
            deployment_id=deployment.id,
            model_version_id=version.id,
            request_count=100,
            error_count=1,
        )
        report = mlops.create_drift_report(
            conn,
            organization_id=o,
            deployment_id=deployment.id,
            drift_detected=True,
            drift_score=0.4,
            method="psi",
        )
        channel = mlops.create_notification_channel(
            conn,
            organization_id=o,
            name="ops",
            channel_type=NotificationChannelType.SLACK,
            config={"webhook_ref": "vault:slack/ops"},
            created_by=user_id,
        )
        rule = mlops.create_notification_rule(
            conn,
            organization_id=o,
            channel_id=channel.id,
            name="drift",
            event_type=NotificationEventType.DRIFT_DETECTED,
            created_by=user_id,
        )
        alert = mlops.create_alert(
            conn,
            organization_id=o,
            project_id=project.id,
            deployment_id=deployment.id,
            data_drift_report_id=report.id,
            notification_rule_id=rule.id,
            alert_type=mlops.AlertType.DATA_DRIFT,
            severity=mlops.AlertSeverity.WARNING,
            title="drift on api",
        )
    return Tenant(
        org_id=o,
        user_id=user_id,
        project_id=project.id,
        model_id=model.id,
        version_id=version.id,
        experiment_id=experiment.id,
        run_id=run.id,
        deployment_id=deployment.id,
        drift_report_id=report.id,
        alert_id=alert.id,
        channel_id=channel.id,
        rule_id=rule.id,
    )
