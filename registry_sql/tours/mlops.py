"""The ``mlops`` segment of the demo tour: tenant isolation by row-level security, promotion."""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql import core, mlops
from registry_sql.db import transaction
from registry_sql.mlops import ModelVersionStage
from registry_sql.tours import expect_error, section, show


def _as_app_role(conn: psycopg.Connection[Any]) -> None:
    """Inside a transaction: act as registry_app (the demo may connect as a superuser, and
    superusers bypass row-level security). Static SQL; lasts until the transaction ends."""
    row = conn.execute("SELECT pg_has_role('registry_app', 'MEMBER')").fetchone()
    if row is not None and row[0]:
        conn.execute("SET LOCAL ROLE registry_app")


def tour(conn: psycopg.Connection[Any]) -> None:
    acme = core.get_organization_by_slug(conn, slug="acme-ml")
    globex = core.get_organization_by_slug(conn, slug="globex")

    section("mlops: one query, two tenants (row-level security on organization_id)")
    for org in (acme, globex):
        with transaction(conn, org_id=org.id):
            _as_app_role(conn)
            rows = mlops.list_projects(conn, organization_id=org.id, limit=10)
        show(
            f"with transaction(conn, org_id=<{org.slug}>): mlops.list_projects(...)",
            "\n".join(f"  {p.slug:25} {p.name}" for p in rows),
        )
    with transaction(conn):
        _as_app_role(conn)
        visible = conn.execute("SELECT count(*) FROM mlops.projects").fetchone()
        rows_acme = mlops.list_projects(conn, organization_id=acme.id, limit=10)
    show(
        "with transaction(conn): SELECT count(*) FROM mlops.projects  # no tenant set",
        visible[0] if visible else None,
    )
    show(
        "with transaction(conn): mlops.list_projects(conn, organization_id=<acme-ml>, ...)",
        rows_acme,
    )

    def intrude() -> object:
        with transaction(conn, org_id=acme.id):
            _as_app_role(conn)
            return mlops.create_project(conn, organization_id=globex.id, name="x", slug="x")

    expect_error("tenant acme-ml creates a project for globex", intrude)

    section("mlops: versions are numbered max+1 under a row lock; one production version")
    with transaction(conn, org_id=acme.id):
        _as_app_role(conn)
        fraud = mlops.get_project_by_slug(conn, organization_id=acme.id, slug="fraud-detection")
        model = mlops.list_models(conn, organization_id=acme.id, project_id=fraud.id, limit=1)[0]
        new = mlops.create_model_version(
            conn,
            organization_id=acme.id,
            model_id=model.id,
            artifact_uri=f"s3://acme-ml/fraud-detection/{model.name}/next/model.tar.gz",
        )
        show(
            f"mlops.create_model_version(conn, ..., model_id=<{model.name}>)  # version",
            new.version,
        )
        mlops.transition_model_version_stage(
            conn, organization_id=acme.id, id=new.id, stage=ModelVersionStage.PRODUCTION
        )
        versions = mlops.list_model_versions(conn, organization_id=acme.id, model_id=model.id)
    show(
        "mlops.transition_model_version_stage(..., stage=PRODUCTION); list_model_versions(...)",
        "\n".join(f"  v{v.version:<3} {v.stage.value}" for v in versions),
    )
