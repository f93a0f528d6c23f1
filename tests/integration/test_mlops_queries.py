"""Every named query of ``sql/mlops`` through its generated function, as the application role.

Each test builds one tenant (``make_tenant``), sets it with ``transaction(conn, org_id=...)``
and checks what the functions return. Triggers, soft delete/restore, cascades and the
time-series routing are here too.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from mlops_support import Conn, Tenant, make_tenant, make_user

from registry_sql import core, mlops
from registry_sql.db import transaction
from registry_sql.errors import Conflict, ForeignKeyMissing, ImmutableRecord, NotFound
from registry_sql.mlops import (
    AlertSeverity,
    AlertStatus,
    AlertType,
    DeploymentAction,
    DeploymentEnvironment,
    DeploymentStatus,
    ExperimentStatus,
    ModelVersionStage,
    ModelVersionStatus,
    NotificationChannelType,
    NotificationEventType,
    ProjectRole,
    RunMetricIn,
    RunStatus,
)


@pytest.fixture
def t(app_conn: Conn) -> Tenant:
    return make_tenant(app_conn, "acme-test")


def test_projects_and_members(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    other = make_user(c, "second-user")
    with transaction(c, org_id=o):
        p = mlops.create_project(
            c,
            organization_id=o,
            name="Fraud",
            slug="fraud",
            description="xgb",
            settings={"k": 1},
            created_by=t.user_id,
        )
        assert (p.slug, p.settings, p.created_by, p.deleted_at) == (
            "fraud",
            {"k": 1},
            t.user_id,
            None,
        )
        assert mlops.get_project_by_id(c, organization_id=o, id=p.id) == p
        assert mlops.get_project_by_slug(c, organization_id=o, slug="fraud").id == p.id
        page1 = mlops.list_projects(c, organization_id=o, limit=1)
        assert [x.id for x in page1] == [p.id]  # newest first
        page2 = mlops.list_projects(
            c,
            organization_id=o,
            limit=5,
            after_created_at=page1[0].created_at,
            after_id=page1[0].id,
        )
        assert [x.id for x in page2] == [t.project_id]
        assert mlops.count_projects(c, organization_id=o) == 2
        up = mlops.update_project(
            c, organization_id=o, id=p.id, name="Fraud Detection", updated_by=other
        )
        assert (up.name, up.slug, up.description, up.updated_by) == (
            "Fraud Detection",
            "fraud",
            "xgb",
            other,
        )
        m = mlops.add_project_member(
            c,
            organization_id=o,
            project_id=p.id,
            user_id=other,
            role=ProjectRole.VIEWER,
            added_by=t.user_id,
        )
        assert m.role is ProjectRole.VIEWER
        again = mlops.add_project_member(
            c, organization_id=o, project_id=p.id, user_id=other, added_by=t.user_id
        )
        assert (again.id, again.role) == (m.id, ProjectRole.VIEWER)  # idempotent, role kept
        promoted = mlops.add_project_member(
            c,
            organization_id=o,
            project_id=p.id,
            user_id=other,
            role=ProjectRole.MAINTAINER,
            added_by=t.user_id,
        )
        assert (promoted.id, promoted.role) == (m.id, ProjectRole.MAINTAINER)
        members = mlops.list_project_members(c, organization_id=o, project_id=p.id)
        assert [(x.username, x.role) for x in members] == [("second-user", ProjectRole.MAINTAINER)]
        mine = mlops.list_projects_for_user(c, organization_id=o, user_id=other)
        assert [(x.slug, x.member_role) for x in mine] == [("fraud", ProjectRole.MAINTAINER)]
        assert (
            mlops.remove_project_member(
                c, organization_id=o, project_id=p.id, user_id=other, deleted_by=t.user_id
            )
            == 1
        )
        assert mlops.list_projects_for_user(c, organization_id=o, user_id=other) == []
        with pytest.raises(NotFound):  # a soft-deleted user cannot be added
            mlops.add_project_member(c, organization_id=o, project_id=uuid.uuid4(), user_id=other)
        # soft delete hides, frees the slug; restore brings it back unless the slug is taken
        assert mlops.soft_delete_project(c, organization_id=o, id=p.id, deleted_by=other) == 1
        assert mlops.soft_delete_project(c, organization_id=o, id=p.id) == 0
        with pytest.raises(NotFound):
            mlops.get_project_by_id(c, organization_id=o, id=p.id)
        restored = mlops.restore_project(c, organization_id=o, id=p.id, restored_by=other)
        assert restored.deleted_at is None and restored.deleted_by is None
        mlops.soft_delete_project(c, organization_id=o, id=p.id)
        mlops.create_project(c, organization_id=o, name="Fraud 2", slug="fraud")
        with pytest.raises(Conflict) as exc, transaction(c):
            mlops.restore_project(c, organization_id=o, id=p.id)
        assert exc.value.constraint == "uq_projects__org_slug"


def test_models_and_versions(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    with transaction(c, org_id=o):
        m = mlops.create_model(
            c,
            organization_id=o,
            project_id=t.project_id,
            name="recsys",
            framework="tensorflow",
            task_type="collaborative filtering",
            tags=["deep", "recs"],
            created_by=t.user_id,
        )
        assert m.tags == ["deep", "recs"]
        assert mlops.get_model_by_id(c, organization_id=o, id=m.id) == m
        assert [x.name for x in mlops.list_models(c, organization_id=o, limit=10)] == [
            "classifier",
            "recsys",
        ]
        assert [x.id for x in mlops.list_models(c, organization_id=o, tag="deep", limit=10)] == [
            m.id
        ]
        assert [
            x.id for x in mlops.list_models(c, organization_id=o, project_id=uuid.uuid4(), limit=10)
        ] == []
        up = mlops.update_model(c, organization_id=o, id=m.id, tags=["recs"], description="cf")
        assert (up.tags, up.description, up.framework) == (["recs"], "cf", "tensorflow")
        assert mlops.get_next_model_version(c, organization_id=o, model_id=m.id) == 1
        v1 = mlops.create_model_version(
            c,
            organization_id=o,
            model_id=m.id,
            artifact_uri="s3://recsys/1",
            version_label="1.0.0",
            artifact_size_bytes=440473133,
            checksum_sha256="a" * 64,
            metrics={"auc": 0.91},
            signature={"inputs": []},
            source_run_id=t.run_id,
            created_by=t.user_id,
        )
        v2 = mlops.create_model_version(
            c, organization_id=o, model_id=m.id, artifact_uri="s3://recsys/2"
        )
        assert (v1.version, v2.version) == (1, 2)
        assert (v1.stage, v1.status) == (
            ModelVersionStage.NONE,
            ModelVersionStatus.PENDING_REGISTRATION,
        )
        assert mlops.get_model_version_by_id(c, organization_id=o, id=v1.id) == v1
        assert mlops.get_model_version(c, organization_id=o, model_id=m.id, version=2).id == v2.id
        assert [
            v.version for v in mlops.list_model_versions(c, organization_id=o, model_id=m.id)
        ] == [2, 1]
        ready = mlops.set_model_version_status(
            c, organization_id=o, id=v1.id, status=ModelVersionStatus.READY
        )
        assert ready.status is ModelVersionStatus.READY
        # promotion: one production version; the previous one is archived
        p1 = mlops.transition_model_version_stage(
            c, organization_id=o, id=v1.id, stage=ModelVersionStage.PRODUCTION
        )
        assert p1.stage is ModelVersionStage.PRODUCTION and p1.stage_changed_at is not None
        p2 = mlops.transition_model_version_stage(
            c, organization_id=o, id=v2.id, stage=ModelVersionStage.PRODUCTION, updated_by=t.user_id
        )
        assert p2.stage is ModelVersionStage.PRODUCTION
        old = mlops.get_model_version_by_id(c, organization_id=o, id=v1.id)
        assert (old.stage, old.updated_by) == (ModelVersionStage.ARCHIVED, t.user_id)
        latest_prod = mlops.find_latest_model_version(
            c, organization_id=o, model_id=m.id, stage=ModelVersionStage.PRODUCTION
        )
        assert latest_prod is not None and latest_prod.id == v2.id
        assert (
            mlops.find_latest_model_version(
                c, organization_id=o, model_id=m.id, stage=ModelVersionStage.STAGING
            )
            is None
        )
        staged = mlops.transition_model_version_stage(
            c, organization_id=o, id=v1.id, stage=ModelVersionStage.STAGING
        )
        assert staged.stage is ModelVersionStage.STAGING
        with pytest.raises(NotFound):
            mlops.transition_model_version_stage(
                c, organization_id=o, id=uuid.uuid4(), stage=ModelVersionStage.PRODUCTION
            )
        # soft delete of a version keeps its number; restore
        assert mlops.soft_delete_model_version(c, organization_id=o, id=v1.id) == 1
        v3 = mlops.create_model_version(
            c, organization_id=o, model_id=m.id, artifact_uri="s3://recsys/3"
        )
        assert v3.version == 3
        assert mlops.restore_model_version(c, organization_id=o, id=v1.id).deleted_at is None
        # models: soft delete / restore; versions of a deleted model cannot be created
        assert mlops.soft_delete_model(c, organization_id=o, id=m.id) == 1
        with pytest.raises(ForeignKeyMissing) as exc, transaction(c):
            mlops.create_model_version(c, organization_id=o, model_id=m.id, artifact_uri="s3://x")
        assert exc.value.constraint == "fk_model_versions__model_id"
        with pytest.raises(ForeignKeyMissing), transaction(c):
            mlops.get_next_model_version(c, organization_id=o, model_id=m.id)
        assert mlops.restore_model(c, organization_id=o, id=m.id).id == m.id


def test_experiments_runs_and_params(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    with transaction(c, org_id=o):
        e = mlops.create_experiment(
            c,
            organization_id=o,
            project_id=t.project_id,
            name="tuning",
            config={"cv": 5},
            tags={"team": "risk"},
            artifact_location="s3://e",
        )
        assert (e.status, e.config, e.model_id) == (ExperimentStatus.ACTIVE, {"cv": 5}, None)
        assert mlops.get_experiment_by_id(c, organization_id=o, id=e.id) == e
        assert [
            x.name for x in mlops.list_experiments(c, organization_id=o, project_id=t.project_id)
        ] == ["baseline", "tuning"]
        arch = mlops.set_experiment_status(
            c, organization_id=o, id=e.id, status=ExperimentStatus.ARCHIVED
        )
        assert arch.status is ExperimentStatus.ARCHIVED
        assert [
            x.id
            for x in mlops.list_experiments(
                c, organization_id=o, project_id=t.project_id, status=ExperimentStatus.ARCHIVED
            )
        ] == [e.id]
        assert mlops.soft_delete_experiment(c, organization_id=o, id=e.id) == 1
        assert mlops.restore_experiment(c, organization_id=o, id=e.id).deleted_at is None

        t0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
        r = mlops.start_run(
            c,
            organization_id=o,
            experiment_id=t.experiment_id,
            name="r2",
            started_at=t0,
            params={"lr": "0.1"},
            tags={"git": "abc"},
            source_version="abc123",
            artifact_uri="s3://runs/r2",
        )
        assert (r.status, r.started_at, r.ended_at) == (RunStatus.RUNNING, t0, None)
        assert mlops.get_run_by_id(c, organization_id=o, id=r.id) == r
        assert [
            x.id
            for x in mlops.list_runs(c, organization_id=o, experiment_id=t.experiment_id, limit=10)
        ] == [t.run_id, r.id]
        assert [
            x.id
            for x in mlops.list_runs(
                c,
                organization_id=o,
                experiment_id=t.experiment_id,
                status=RunStatus.FINISHED,
                limit=10,
            )
        ] == []
        # params: merge new keys; same value again is fine; another value is refused
        p = mlops.log_params(c, organization_id=o, id=r.id, params={"depth": "6", "lr": "0.1"})
        assert p.params == {"lr": "0.1", "depth": "6"}
        with pytest.raises(ImmutableRecord) as exc, transaction(c):
            mlops.log_params(c, organization_id=o, id=r.id, params={"lr": "0.2"})
        assert "'lr'" in str(exc.value)
        assert (
            mlops.search_runs(
                c, organization_id=o, experiment_id=t.experiment_id, params={"depth": "6"}, limit=10
            )[0].id
            == r.id
        )
        assert (
            len(mlops.search_runs(c, organization_id=o, experiment_id=t.experiment_id, limit=10))
            == 2
        )
        assert (
            mlops.search_runs(
                c,
                organization_id=o,
                experiment_id=t.experiment_id,
                params={"lr": "0.1"},
                status=RunStatus.FAILED,
                limit=10,
            )
            == []
        )
        tagged = mlops.set_run_tags(c, organization_id=o, id=r.id, tags={"git": "def", "x": "1"})
        assert tagged.tags == {"git": "def", "x": "1"}
        done = mlops.finish_run(c, organization_id=o, id=r.id, status=RunStatus.FINISHED)
        assert done.status is RunStatus.FINISHED and done.ended_at is not None
        with pytest.raises(NotFound):  # already ended
            mlops.finish_run(c, organization_id=o, id=r.id, status=RunStatus.FAILED)
        with pytest.raises(NotFound):  # not a terminal status
            mlops.finish_run(c, organization_id=o, id=t.run_id, status=RunStatus.RUNNING)
        assert mlops.soft_delete_run(c, organization_id=o, id=r.id) == 1
        assert mlops.restore_run(c, organization_id=o, id=r.id).id == r.id


def test_metrics_log_copy_latest_history_best(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    base = datetime(2024, 1, 1, tzinfo=UTC)
    with transaction(c, org_id=o):
        r2 = mlops.start_run(c, organization_id=o, experiment_id=t.experiment_id, name="r2")
        assert (
            mlops.log_metric(
                c,
                organization_id=o,
                run_id=t.run_id,
                metric_name="loss",
                value=1.0,
                step=0,
                recorded_at=base,
            )
            == 1
        )
        rows = [
            RunMetricIn(o, t.run_id, "loss", 1.0 / (s + 1), s, base + timedelta(minutes=s))
            for s in range(1, 50)
        ]
        rows += [
            RunMetricIn(o, r2.id, "auc", 0.95, 3, base),
            RunMetricIn(o, r2.id, "loss", math.nan, 1, base),
        ]
        assert mlops.copy_run_metrics(c, iter(rows)) == len(rows)
        assert (
            mlops.count_run_metrics(c, organization_id=o, run_id=t.run_id) == 51
        )  # + auc of make_tenant
        hist = mlops.get_metric_history(c, organization_id=o, run_id=t.run_id, metric_name="loss")
        assert [h.step for h in hist] == list(range(50)) and hist[-1].value == pytest.approx(1 / 50)
        latest = {
            m.metric_name: m
            for m in mlops.list_latest_metrics(c, organization_id=o, run_id=t.run_id)
        }
        assert set(latest) == {"auc", "loss"} and latest["loss"].step == 49
        best = mlops.find_best_run(
            c,
            organization_id=o,
            experiment_id=t.experiment_id,
            metric_name="auc",
            higher_is_better=True,
        )
        assert best is not None and (best.run_id, best.value) == (r2.id, 0.95)
        worst = mlops.find_best_run(
            c,
            organization_id=o,
            experiment_id=t.experiment_id,
            metric_name="auc",
            higher_is_better=False,
        )
        assert worst is not None and worst.run_id == t.run_id
        low = mlops.find_best_run(
            c,
            organization_id=o,
            experiment_id=t.experiment_id,
            metric_name="loss",
            higher_is_better=False,
        )
        assert low is not None and low.run_id == t.run_id  # r2's NaN is ignored
        assert (
            mlops.find_best_run(
                c,
                organization_id=o,
                experiment_id=t.experiment_id,
                metric_name="nope",
                higher_is_better=True,
            )
            is None
        )
        with pytest.raises(Conflict), transaction(c):
            mlops.log_metric(
                c,
                organization_id=o,
                run_id=t.run_id,
                metric_name="loss",
                value=2.0,
                step=0,
                recorded_at=base,
            )
        with pytest.raises(ForeignKeyMissing), transaction(c):
            mlops.log_metric(c, organization_id=o, run_id=uuid.uuid4(), metric_name="x", value=1)


def test_deployments_history_and_active(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    with transaction(c, org_id=o):
        v2 = mlops.create_model_version(
            c, organization_id=o, model_id=t.model_id, artifact_uri="s3://2"
        )
        d = mlops.create_deployment(
            c,
            organization_id=o,
            project_id=t.project_id,
            model_version_id=t.version_id,
            name="api",
            environment=DeploymentEnvironment.PRODUCTION,
            endpoint_url="https://x",
            replicas=3,
            resources={"cpu": 2},
            config={"batch": 8},
            traffic_percent=50,
            created_by=t.user_id,
        )
        assert (d.status, d.replicas, d.traffic_percent, d.config) == (
            DeploymentStatus.PENDING,
            3,
            50,
            {"batch": 8},
        )
        assert mlops.get_deployment_by_id(c, organization_id=o, id=d.id) == d
        assert mlops.list_active_deployments(c, organization_id=o) == []
        running = mlops.update_deployment_status(
            c,
            organization_id=o,
            id=d.id,
            status=DeploymentStatus.RUNNING,
            action=DeploymentAction.DEPLOY,
            notes="go",
            performed_by=t.user_id,
        )
        assert running.status is DeploymentStatus.RUNNING
        assert (running.deployed_at is not None, running.deployed_by) == (True, t.user_id)
        active = mlops.list_active_deployments(
            c, organization_id=o, environment=DeploymentEnvironment.PRODUCTION
        )
        assert [(a.id, a.model_version, a.model_name) for a in active] == [
            (d.id, 1, "classifier")
        ]
        assert mlops.list_active_deployments(c, organization_id=o, project_id=uuid.uuid4()) == []
        moved = mlops.change_deployment_version(
            c, organization_id=o, id=d.id, model_version_id=v2.id, performed_by=t.user_id
        )
        assert moved.model_version_id == v2.id
        back = mlops.change_deployment_version(
            c,
            organization_id=o,
            id=d.id,
            model_version_id=t.version_id,
            action=DeploymentAction.ROLLBACK,
            notes="bad v2",
        )
        assert back.model_version_id == t.version_id
        hist = mlops.list_deployment_history(c, organization_id=o, deployment_id=d.id, limit=10)
        # all in one transaction: same created_at; ordered by id within, so compare as a set
        assert sorted(
            (
                h.action,
                h.previous_status,
                h.new_status,
                h.from_model_version_id,
                h.to_model_version_id,
                h.notes,
            )
            for h in hist
        ) == sorted(
            [
                (DeploymentAction.CREATE, None, DeploymentStatus.PENDING, None, t.version_id, None),
                (
                    DeploymentAction.DEPLOY,
                    DeploymentStatus.PENDING,
                    DeploymentStatus.RUNNING,
                    t.version_id,
                    t.version_id,
                    "go",
                ),
                (
                    DeploymentAction.DEPLOY,
                    DeploymentStatus.RUNNING,
                    DeploymentStatus.RUNNING,
                    t.version_id,
                    v2.id,
                    None,
                ),
                (
                    DeploymentAction.ROLLBACK,
                    DeploymentStatus.RUNNING,
                    DeploymentStatus.RUNNING,
                    v2.id,
                    t.version_id,
                    "bad v2",
                ),
            ]
        )
        with pytest.raises(NotFound):
            mlops.update_deployment_status(
                c, organization_id=o, id=uuid.uuid4(), status=DeploymentStatus.STOPPED
            )
        assert (
            mlops.soft_delete_deployment(c, organization_id=o, id=d.id, deleted_by=t.user_id) == 1
        )
        assert mlops.soft_delete_deployment(c, organization_id=o, id=d.id) == 0
        hist = mlops.list_deployment_history(c, organization_id=o, deployment_id=d.id, limit=10)
        assert DeploymentAction.DELETE in {h.action for h in hist} and len(hist) == 5
        assert mlops.restore_deployment(c, organization_id=o, id=d.id).deleted_at is None
    # append-only for the application: no UPDATE/DELETE privilege on the history
    with pytest.raises(Exception) as exc, transaction(c, org_id=o):
        c.execute("DELETE FROM mlops.deployment_history")
    assert "permission denied" in str(exc.value)


def test_monitoring_rollups_and_drift(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    h = datetime(2024, 3, 4, 10, tzinfo=UTC)
    with transaction(c, org_id=o):
        for i in range(6):  # every 20 minutes: 10:00 .. 11:40
            s = mlops.record_monitoring_sample(
                c,
                organization_id=o,
                deployment_id=t.deployment_id,
                model_version_id=t.version_id,
                recorded_at=h + timedelta(minutes=20 * i),
                window_seconds=1200,
                request_count=100,
                error_count=i,
                latency_p50_ms=10.0 + i,
                latency_p95_ms=50.0 + i,
                latency_p99_ms=90.0 + i,
                throughput_rps=0.08,
                accuracy=0.9,
                custom_metrics={"i": i},
            )
        assert s.custom_metrics == {"i": 5}
        raw = mlops.list_monitoring_samples(
            c,
            organization_id=o,
            deployment_id=t.deployment_id,
            since=h,
            until=h + timedelta(hours=2),
            limit=100,
        )
        assert len(raw) == 6 and raw[0].recorded_at == h + timedelta(minutes=100)
        roll = mlops.list_monitoring_rollups(
            c,
            organization_id=o,
            deployment_id=t.deployment_id,
            bucket=timedelta(hours=1),
            since=h,
            until=h + timedelta(hours=2),
        )
        assert [(r.bucket_start, r.samples, r.request_count, r.error_count) for r in roll] == [
            (h, 3, 300, 3),
            (h + timedelta(hours=1), 3, 300, 12),
        ]
        assert roll[0].error_rate == pytest.approx(0.01)
        assert roll[0].latency_p50_ms == pytest.approx(11.0) and roll[1].latency_p99_ms == 95.0
        # drift reports
        rep = mlops.create_drift_report(
            c,
            organization_id=o,
            model_version_id=t.version_id,
            deployment_id=t.deployment_id,
            reference_start=h - timedelta(days=7),
            reference_end=h,
            current_start=h,
            current_end=h + timedelta(days=1),
            method="ks_test",
            drift_detected=False,
            drift_score=0.01,
            threshold=0.05,
            feature_results={"age": 0.01},
            report_uri="s3://r",
            created_by=t.user_id,
        )
        assert mlops.get_drift_report_by_id(c, organization_id=o, id=rep.id) == rep
        listed = mlops.list_drift_reports(
            c, organization_id=o, deployment_id=t.deployment_id, detected_only=False, limit=10
        )
        assert {x.id for x in listed} == {rep.id, t.drift_report_id}
        detected = mlops.list_drift_reports(
            c, organization_id=o, deployment_id=t.deployment_id, detected_only=True, limit=10
        )
        assert [x.id for x in detected] == [t.drift_report_id]
        assert mlops.soft_delete_drift_report(c, organization_id=o, id=rep.id) == 1
        with pytest.raises(NotFound):
            mlops.get_drift_report_by_id(c, organization_id=o, id=rep.id)


def test_alerts_lifecycle(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    with transaction(c, org_id=o):
        a = mlops.create_alert(
            c,
            organization_id=o,
            alert_type=AlertType.LATENCY,
            severity=AlertSeverity.CRITICAL,
            title="p99 > 1s",
            message="slow",
            details={"p99": 1200},
            created_by=t.user_id,
        )
        assert (a.status, a.project_id) == (AlertStatus.OPEN, None)
        assert mlops.get_alert_by_id(c, organization_id=o, id=a.id) == a
        assert [x.id for x in mlops.list_open_alerts(c, organization_id=o, limit=10)] == [
            a.id,
            t.alert_id,
        ]
        assert [
            x.id
            for x in mlops.list_open_alerts(
                c, organization_id=o, limit=10, min_severity=AlertSeverity.ERROR
            )
        ] == [a.id]
        assert [
            x.id
            for x in mlops.list_open_alerts(c, organization_id=o, limit=10, project_id=t.project_id)
        ] == [t.alert_id]
        ack = mlops.acknowledge_alert(c, organization_id=o, id=a.id, acknowledged_by=t.user_id)
        assert (ack.status, ack.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, t.user_id)
        with pytest.raises(NotFound):
            mlops.acknowledge_alert(c, organization_id=o, id=a.id)
        res = mlops.resolve_alert(c, organization_id=o, id=a.id, resolved_by=t.user_id)
        assert res.status is AlertStatus.RESOLVED and res.resolved_at is not None
        with pytest.raises(NotFound):
            mlops.resolve_alert(c, organization_id=o, id=a.id)
        assert [x.id for x in mlops.list_open_alerts(c, organization_id=o, limit=10)] == [
            t.alert_id
        ]
        assert mlops.soft_delete_alert(c, organization_id=o, id=t.alert_id) == 1
        assert mlops.list_open_alerts(c, organization_id=o, limit=10) == []


def test_notification_channels_rules_and_matching(t: Tenant, app_conn: Conn) -> None:
    c, o = app_conn, t.org_id
    at = datetime(2024, 6, 1, 12, tzinfo=UTC)
    with transaction(c, org_id=o):
        mail = mlops.create_notification_channel(
            c,
            organization_id=o,
            project_id=t.project_id,
            name="oncall mail",
            channel_type=NotificationChannelType.EMAIL,
            config={"to": ["ops@acme-ml.com"]},
        )
        assert mail.is_enabled and mail.channel_type is NotificationChannelType.EMAIL
        assert mlops.get_notification_channel_by_id(c, organization_id=o, id=mail.id) == mail
        assert [x.name for x in mlops.list_notification_channels(c, organization_id=o)] == [
            "oncall mail",
            "ops",
        ]
        ver = mlops.update_notification_channel(c, organization_id=o, id=mail.id, verified=True)
        assert ver.last_verified_at is not None and ver.name == "oncall mail"
        r_any = mlops.create_notification_rule(
            c,
            organization_id=o,
            channel_id=mail.id,
            name="any alert",
            event_type=NotificationEventType.ALERT_TRIGGERED,
        )
        r_err = mlops.create_notification_rule(
            c,
            organization_id=o,
            channel_id=t.channel_id,
            project_id=t.project_id,
            name="errors of main",
            description="project scope",
            conditions={"env": "prod"},
            event_type=NotificationEventType.ALERT_TRIGGERED,
            min_severity=AlertSeverity.ERROR,
            cooldown_seconds=600,
            is_enabled=True,
            created_by=t.user_id,
        )
        assert [x.name for x in mlops.list_notification_rules(c, organization_id=o)] == [
            "any alert",
            "drift",
            "errors of main",
        ]
        assert (
            len(
                mlops.list_notification_rules(
                    c, organization_id=o, event_type=NotificationEventType.ALERT_TRIGGERED
                )
            )
            == 2
        )

        def fired(
            severity: AlertSeverity | None, project: uuid.UUID | None, when: datetime = at
        ) -> list[str]:
            return [
                m.rule_name
                for m in mlops.match_notification_rules(
                    c,
                    organization_id=o,
                    event_type=NotificationEventType.ALERT_TRIGGERED,
                    severity=severity,
                    project_id=project,
                    at=when,
                )
            ]

        assert fired(AlertSeverity.CRITICAL, t.project_id) == ["any alert", "errors of main"]
        assert fired(AlertSeverity.WARNING, t.project_id) == ["any alert"]  # below min
        assert fired(AlertSeverity.CRITICAL, uuid.uuid4()) == ["any alert"]  # other project
        assert fired(None, None) == ["any alert"]
        assert mlops.mark_rule_triggered(c, organization_id=o, id=r_err.id, at=at) == 1
        assert fired(AlertSeverity.CRITICAL, t.project_id, at + timedelta(minutes=5)) == [
            "any alert"
        ]
        assert fired(AlertSeverity.CRITICAL, t.project_id, at + timedelta(minutes=10)) == [
            "any alert",
            "errors of main",
        ]
        off = mlops.set_notification_rule_enabled(
            c, organization_id=o, id=r_any.id, is_enabled=False
        )
        assert not off.is_enabled
        assert fired(AlertSeverity.CRITICAL, None) == []
        mlops.set_notification_rule_enabled(c, organization_id=o, id=r_any.id, is_enabled=True)
        mlops.update_notification_channel(c, organization_id=o, id=mail.id, is_enabled=False)
        assert fired(AlertSeverity.CRITICAL, None) == []  # channel disabled
        mlops.update_notification_channel(c, organization_id=o, id=mail.id, is_enabled=True)
        assert mlops.soft_delete_notification_channel(c, organization_id=o, id=mail.id) == 1
        assert fired(AlertSeverity.CRITICAL, None) == []  # channel deleted
        assert mlops.restore_notification_channel(c, organization_id=o, id=mail.id).id == mail.id
        assert mlops.soft_delete_notification_rule(c, organization_id=o, id=r_any.id) == 1
        assert fired(AlertSeverity.CRITICAL, None) == []


def test_updated_at_triggers_on_every_mutable_table(t: Tenant, conn: Conn) -> None:
    names = conn.execute(
        "SELECT c.relname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'mlops'"
        " AND tg.tgname = 'trg_' || c.relname || '__set_updated_at' ORDER BY 1"
    ).fetchall()
    tables = [r[0] for r in names]
    with_updated_at = [
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'mlops'"
            " AND a.attname = 'updated_at' AND c.relkind = 'r' ORDER BY 1"
        ).fetchall()
    ]
    assert tables == with_updated_at and len(tables) == 11
    from psycopg import sql

    for table in tables:
        with transaction(conn, org_id=t.org_id):
            q = sql.SQL(
                "UPDATE mlops.{} SET created_at = created_at - interval '1 day',"
                " updated_at = '2000-01-01' RETURNING updated_at, statement_timestamp()"
            ).format(sql.Identifier(table))
            rows = conn.execute(q).fetchall()
            assert rows and all(u == now for u, now in rows), table


def test_time_series_rows_far_in_the_past_or_future_land_in_default(t: Tenant, conn: Conn) -> None:
    far = [datetime(1999, 1, 1, tzinfo=UTC), datetime(2199, 1, 1, tzinfo=UTC)]
    with transaction(conn, org_id=t.org_id):
        for when in far:
            mlops.log_metric(
                conn,
                organization_id=t.org_id,
                run_id=t.run_id,
                metric_name="x",
                value=1.0,
                recorded_at=when,
            )
            mlops.record_monitoring_sample(
                conn, organization_id=t.org_id, deployment_id=t.deployment_id, recorded_at=when
            )
    for table in ("run_metrics_default", "model_monitoring_default"):
        n = conn.execute(f"SELECT count(*) FROM mlops.{table}").fetchone()  # noqa: S608
        assert n == (2,)
    # a current row lands in a regular partition
    where = conn.execute(
        "SELECT tableoid::regclass::text FROM mlops.run_metrics WHERE metric_name = 'auc'"
    ).fetchone()
    assert where is not None and where[0].startswith("mlops.run_metrics_p")


def test_cascades(t: Tenant, conn: Conn) -> None:
    """Deleting a project removes everything under it; deleting the organization removes all."""
    other = make_tenant(conn, "other-org", user_id=make_user(conn, "other-user"))
    conn.execute("DELETE FROM mlops.projects WHERE id = %s", (t.project_id,))
    for table in (
        "models",
        "model_versions",
        "experiments",
        "experiment_runs",
        "run_metrics",
        "deployments",
        "deployment_history",
        "model_monitoring",
        "data_drift_reports",
    ):
        n = conn.execute(
            f"SELECT count(*) FROM mlops.{table} WHERE organization_id = %s",  # noqa: S608
            (t.org_id,),
        ).fetchone()
        assert n == (0,), table
    # alerts lose their project (cascade: alert of the project removed), channel and rule stay
    assert conn.execute(
        "SELECT count(*) FROM mlops.notification_rules WHERE organization_id = %s", (t.org_id,)
    ).fetchone() == (1,)
    conn.execute("DELETE FROM core.organizations WHERE id = %s", (t.org_id,))
    for table in ("notification_channels", "notification_rules", "alerts", "projects"):
        n = conn.execute(
            f"SELECT count(*) FROM mlops.{table} WHERE organization_id = %s",  # noqa: S608
            (t.org_id,),
        ).fetchone()
        assert n == (0,), table
    # the other tenant is untouched
    assert conn.execute(
        "SELECT count(*) FROM mlops.models WHERE organization_id = %s", (other.org_id,)
    ).fetchone() == (1,)
    # a served version cannot be purged from under its deployment (NO ACTION)
    with pytest.raises(ForeignKeyMissing) as exc, transaction(conn):
        conn.execute("DELETE FROM mlops.model_versions WHERE id = %s", (other.version_id,))
    assert exc.value.constraint == "fk_deployments__model_version_id"
    # deleting a user nulls actor columns
    conn.execute("DELETE FROM core.users WHERE id = %s", (other.user_id,))
    row = conn.execute(
        "SELECT created_by FROM mlops.projects WHERE organization_id = %s", (other.org_id,)
    ).fetchone()
    assert row == (None,)
    assert core.count_users(conn) >= 0
