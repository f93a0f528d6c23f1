"""The ``mlops`` segment of the demo tour: tenant isolation by row-level security, promotion."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql as pgsql

from registry_sql import core, mlops
from registry_sql.db import transaction
from registry_sql.mlops import ModelVersionStage
from registry_sql.tours import expect_error, section, show

# A login role that is a member of registry_app only (what a service connects as), if any.
_LOGIN_MEMBER = """
SELECT r.rolname
  FROM pg_catalog.pg_roles AS r
 WHERE r.rolcanlogin AND NOT r.rolsuper AND NOT r.rolbypassrls
   AND pg_has_role(r.oid, 'registry_app', 'MEMBER')
   AND NOT pg_has_role(r.oid, 'registry_owner', 'MEMBER')
 ORDER BY r.rolname = %s DESC, r.rolname
 LIMIT 1
"""

DEMO_LOGIN_ROLE = "registry_demo_app"
"""On Citus, the login role the tour acts as (created when no such role exists)."""


def _app_role(conn: psycopg.Connection[Any]) -> str | None:
    """The role the tour acts as inside its transactions, or None to stay as connected.

    registry_app when the connected role may SET ROLE to it (the demo may connect as a
    superuser, and superusers bypass row-level security). On Citus the coordinator opens the
    workers' connections as the current role, and registry_app cannot log in: there the tour
    acts as a login role that is a member of registry_app only (what a service connects as,
    docs/scale-out.md), creating registry_demo_app when there is none."""
    row = conn.execute("SELECT pg_has_role('registry_app', 'MEMBER')").fetchone()
    if row is None or not row[0]:
        return None
    citus = conn.execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus'")
    if citus.fetchone() is None:
        return "registry_app"
    found = conn.execute(_LOGIN_MEMBER, (DEMO_LOGIN_ROLE,)).fetchone()
    if found is not None:
        return str(found[0])
    from registry_sql.roles import create_login_role

    create_login_role(conn, DEMO_LOGIN_ROLE)
    print(f"(Citus: created the login role {DEMO_LOGIN_ROLE}, a member of registry_app only, "
          "for the tour: the workers refuse registry_app, which cannot log in)")
    return DEMO_LOGIN_ROLE


def _as_app_role(conn: psycopg.Connection[Any], role: str | None) -> None:
    """Inside a transaction: act as ``role`` until the transaction ends (an identifier from the
    catalog, quoted by psycopg)."""
    if role is not None:
        conn.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(role)))


def tour(conn: psycopg.Connection[Any]) -> None:
    role = _app_role(conn)
    acme = core.get_organization_by_slug(conn, slug="acme-ml")
    globex = core.get_organization_by_slug(conn, slug="globex")

    section("mlops: one query, two tenants (row-level security on organization_id)")
    for org in (acme, globex):
        with transaction(conn, org_id=org.id):
            _as_app_role(conn, role)
            rows = mlops.list_projects(conn, organization_id=org.id, limit=10)
        show(
            f"with transaction(conn, org_id=<{org.slug}>): mlops.list_projects(...)",
            "\n".join(f"  {p.slug:25} {p.name}" for p in rows),
        )
    with transaction(conn):
        _as_app_role(conn, role)
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
            _as_app_role(conn, role)
            return mlops.create_project(conn, organization_id=globex.id, name="x", slug="x")

    expect_error("tenant acme-ml creates a project for globex", intrude)

    section("mlops: versions are numbered max+1 under a row lock; one production version")
    with transaction(conn, org_id=acme.id):
        _as_app_role(conn, role)
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
