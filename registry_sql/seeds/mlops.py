"""Sample data of the ``mlops`` schema (seed 001): Acme ML Corp's projects, and a second tenant.

Runs after :mod:`registry_sql.seeds.core` (Acme ML Corp, slug ``acme-ml``, and its users admin,
scientist and engineer). Every mlops write happens inside ``transaction(conn, org_id=...)``:
row-level security needs the tenant even for the table owner. Adds a second organization,
"Globex Analytics" (slug ``globex``), with a project and a model of its own, so that tenant
isolation is visible. Run metrics go through the COPY ingest, in batches.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from registry_sql import auth, core, mlops
from registry_sql.core import Application, OrgRole
from registry_sql.db import transaction
from registry_sql.errors import NotFound
from registry_sql.mlops import (
    AlertSeverity,
    AlertType,
    DeploymentAction,
    DeploymentEnvironment,
    DeploymentStatus,
    ModelVersionStage,
    ModelVersionStatus,
    NotificationChannelType,
    NotificationEventType,
    ProjectRole,
    RunMetricIn,
    RunStatus,
)
from registry_sql.seeds import Progress, hash_password

BATCH = 5_000
ACME_SLUG = "acme-ml"
GLOBEX_SLUG = "globex"

PROJECTS = (
    # slug, name, description, model name, framework, task type, experiment
    (
        "fraud-detection",
        "Fraud Detection",
        "XGBoost classification model",
        "fraud-classifier",
        "xgboost",
        "classification",
        "xgb-tuning",
    ),
    (
        "product-recommendations",
        "Product Recommendations",
        "TensorFlow collaborative filtering",
        "recommender",
        "tensorflow",
        "collaborative filtering",
        "embedding-size-sweep",
    ),
)


def _metric_rows(
    org_id: uuid.UUID, run_id: uuid.UUID, steps: int, start: datetime, quality: float
) -> Iterator[RunMetricIn]:
    """A plausible training curve: loss falls, auc rises, one value per step."""
    for step in range(steps):
        at = start + timedelta(seconds=30 * step)
        progress = 1.0 - math.exp(-5.0 * (step + 1) / steps)
        yield RunMetricIn(
            org_id, run_id, "loss", round(1.0 - 0.8 * progress * quality, 6), step, at
        )
        yield RunMetricIn(
            org_id, run_id, "auc", round(0.5 + 0.45 * progress * quality, 6), step, at
        )


def _copy_in_batches(
    conn: psycopg.Connection[Any],
    rows: Iterator[RunMetricIn],
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    """COPY ``rows`` in batches; ``done``/``total`` count over the whole sample (for progress)."""
    copied = 0
    while True:
        batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
        if not batch:
            return copied
        copied += mlops.copy_run_metrics(conn, batch)
        if progress is not None:
            progress("mlops run metrics", done + copied, total)


def seed(
    conn: psycopg.Connection[Any], *, size: int = 1_000, progress: Progress | None = None
) -> dict[str, int]:
    """Create the mlops sample (once): 2 Acme projects with models, versions, runs, metrics,
    deployments, channels and API keys, plus the Globex tenant. ``size`` = metric steps per run."""
    try:
        core.get_organization_by_slug(conn, slug=GLOBEX_SLUG)
        return {}  # already seeded
    except NotFound:
        pass
    steps = max(size, 5)
    acme = core.get_organization_by_slug(conn, slug=ACME_SLUG)
    admin, scientist, engineer = (
        core.get_user_by_username(conn, username=name).id
        for name in ("admin", "scientist", "engineer")
    )
    counts = {
        "projects": 0,
        "models": 0,
        "model versions": 0,
        "runs": 0,
        "run metrics": 0,
        "deployments": 0,
        "monitoring samples": 0,
        "notification channels": 0,
        "notification rules": 0,
        "api keys": 0,
        "organizations": 0,
    }
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)

    with transaction(conn, org_id=acme.id):
        o = acme.id
        deployments = []
        for slug, name, description, model_name, framework, task, experiment in PROJECTS:
            project = mlops.create_project(
                conn,
                organization_id=o,
                name=name,
                slug=slug,
                description=description,
                created_by=admin,
            )
            for user, role in (
                (admin, ProjectRole.OWNER),
                (scientist, ProjectRole.CONTRIBUTOR),
                (engineer, ProjectRole.MAINTAINER),
            ):
                mlops.add_project_member(
                    conn,
                    organization_id=o,
                    project_id=project.id,
                    user_id=user,
                    role=role,
                    added_by=admin,
                )
            model = mlops.create_model(
                conn,
                organization_id=o,
                project_id=project.id,
                name=model_name,
                description=description,
                framework=framework,
                task_type=task,
                tags=[framework, slug],
                created_by=scientist,
            )
            exp = mlops.create_experiment(
                conn,
                organization_id=o,
                project_id=project.id,
                model_id=model.id,
                name=experiment,
                config={"metric": "auc"},
                created_by=scientist,
            )
            runs = []
            for i, params in enumerate(
                (
                    {"learning_rate": "0.1", "max_depth": "4"},
                    {"learning_rate": "0.05", "max_depth": "6"},
                )
            ):
                run = mlops.start_run(
                    conn,
                    organization_id=o,
                    experiment_id=exp.id,
                    name=f"run-{i + 1}",
                    params=params,
                    started_at=start + timedelta(hours=i),
                    source_version="9f1c2ab",
                    created_by=scientist,
                )
                counts["run metrics"] += _copy_in_batches(
                    conn,
                    _metric_rows(o, run.id, steps, run.started_at, 0.8 + 0.1 * i),
                    counts["run metrics"],
                    2 * 2 * 2 * steps,  # projects x runs x metrics x steps
                    progress,
                )
                mlops.finish_run(
                    conn,
                    organization_id=o,
                    id=run.id,
                    status=RunStatus.FINISHED,
                    ended_at=run.started_at + timedelta(seconds=30 * steps),
                )
                runs.append(run)
            versions = [
                mlops.create_model_version(
                    conn,
                    organization_id=o,
                    model_id=model.id,
                    version_label=f"{n}.0.0",
                    artifact_uri=f"s3://acme-ml/{slug}/{model_name}/{n}/model.tar.gz",
                    artifact_size_bytes=440473133,
                    source_run_id=runs[n - 1].id,
                    metrics={"auc": round(0.86 + 0.04 * n, 2)},
                    created_by=scientist,
                )
                for n in (1, 2)
            ]
            for v in versions:
                mlops.set_model_version_status(
                    conn,
                    organization_id=o,
                    id=v.id,
                    status=ModelVersionStatus.READY,
                    updated_by=engineer,
                )
            production = slug == "fraud-detection"
            stage = ModelVersionStage.PRODUCTION if production else ModelVersionStage.STAGING
            mlops.transition_model_version_stage(
                conn, organization_id=o, id=versions[1].id, stage=stage, updated_by=engineer
            )
            env = DeploymentEnvironment.PRODUCTION if production else DeploymentEnvironment.STAGING
            dep = mlops.create_deployment(
                conn,
                organization_id=o,
                project_id=project.id,
                model_version_id=versions[1].id,
                name=f"{model_name}-api",
                environment=env,
                endpoint_url=f"https://ml.acme.example/{env.value}/{model_name}",
                replicas=3 if production else 1,
                resources={"cpu": "2", "memory": "4Gi"},
                created_by=engineer,
            )
            mlops.update_deployment_status(
                conn,
                organization_id=o,
                id=dep.id,
                status=DeploymentStatus.RUNNING,
                action=DeploymentAction.DEPLOY,
                performed_by=engineer,
            )
            deployments.append(dep)
            counts["projects"] += 1
            counts["models"] += 1
            counts["model versions"] += len(versions)
            counts["runs"] += len(runs)
            counts["deployments"] += 1
            for h in range(24):  # a day of hourly monitoring
                mlops.record_monitoring_sample(
                    conn,
                    organization_id=o,
                    deployment_id=dep.id,
                    model_version_id=versions[1].id,
                    recorded_at=start + timedelta(days=1, hours=h),
                    window_seconds=3600,
                    request_count=1000 + 37 * h,
                    error_count=h % 5,
                    latency_p50_ms=12.0 + h % 3,
                    latency_p95_ms=40.0 + h % 7,
                    latency_p99_ms=80.0 + h % 11,
                    throughput_rps=(1000 + 37 * h) / 3600,
                    accuracy=0.93,
                )
                counts["monitoring samples"] += 1
        slack = mlops.create_notification_channel(
            conn,
            organization_id=o,
            name="ml-alerts",
            channel_type=NotificationChannelType.SLACK,
            config={"channel": "#ml-alerts", "webhook_url_ref": "vault:mlops/slack-webhook"},
            created_by=admin,
        )
        email = mlops.create_notification_channel(
            conn,
            organization_id=o,
            name="oncall-email",
            channel_type=NotificationChannelType.EMAIL,
            config={"to": ["oncall@acme-ml.com"]},
            created_by=admin,
        )
        mlops.create_notification_rule(
            conn,
            organization_id=o,
            channel_id=slack.id,
            name="drift to slack",
            event_type=NotificationEventType.DRIFT_DETECTED,
            created_by=admin,
        )
        mlops.create_notification_rule(
            conn,
            organization_id=o,
            channel_id=email.id,
            name="page on errors",
            event_type=NotificationEventType.ALERT_TRIGGERED,
            min_severity=AlertSeverity.ERROR,
            cooldown_seconds=900,
            created_by=admin,
        )
        counts["notification channels"] += 2
        counts["notification rules"] += 2
        report = mlops.create_drift_report(
            conn,
            organization_id=o,
            deployment_id=deployments[1].id,
            method="psi",
            reference_start=start - timedelta(days=7),
            reference_end=start,
            current_start=start,
            current_end=start + timedelta(days=1),
            drift_detected=True,
            drift_score=0.27,
            threshold=0.2,
            feature_results={"basket_size": 0.31, "category": 0.12},
            created_by=scientist,
        )
        mlops.create_alert(
            conn,
            organization_id=o,
            project_id=deployments[1].project_id,
            deployment_id=deployments[1].id,
            data_drift_report_id=report.id,
            alert_type=AlertType.DATA_DRIFT,
            severity=AlertSeverity.WARNING,
            title="Input drift on recommender-api (PSI 0.27)",
        )
        for user in (admin, scientist, engineer):
            key = auth.generate_api_key()
            core.create_api_key(
                conn,
                application=Application.MLOPS,
                name="sample key",
                key_prefix=key.key_prefix,
                key_hash=key.key_hash,
                user_id=user,
                organization_id=o,
                scopes=["mlops:model:read"],
                created_by=admin,
            )
            counts["api keys"] += 1

    # The second tenant, so that isolation shows.
    with transaction(conn):
        owner = core.create_user(
            conn,
            username="globex-admin",
            email="admin@globex.example",
            full_name="Globex Admin",
            hashed_password=hash_password("globex-demo-password"),
        )
        globex = core.create_organization(
            conn,
            name="Globex Analytics",
            slug=GLOBEX_SLUG,
            description="Second sample tenant (isolation demo)",
            created_by=owner.id,
        )
        core.add_organization_member(
            conn, organization_id=globex.id, user_id=owner.id, role=OrgRole.OWNER
        )
    counts["organizations"] += 1
    with transaction(conn, org_id=globex.id):
        g = globex.id
        project = mlops.create_project(
            conn,
            organization_id=g,
            name="Churn Prediction",
            slug="churn-prediction",
            created_by=owner.id,
        )
        mlops.add_project_member(
            conn,
            organization_id=g,
            project_id=project.id,
            user_id=owner.id,
            role=ProjectRole.OWNER,
            added_by=owner.id,
        )
        model = mlops.create_model(
            conn,
            organization_id=g,
            project_id=project.id,
            name="churn-model",
            framework="lightgbm",
            task_type="classification",
            created_by=owner.id,
        )
        mlops.create_model_version(
            conn,
            organization_id=g,
            model_id=model.id,
            artifact_uri="s3://globex/churn/1/model.txt",
            created_by=owner.id,
        )
        counts["projects"] += 1
        counts["models"] += 1
        counts["model versions"] += 1
    return counts
