"""Sample data of the ``core`` schema: seed 000's alice, seed 001's Acme ML Corp and its users."""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql import core
from registry_sql.core import Application, OrgRole
from registry_sql.db import transaction
from registry_sql.seeds import Progress, hash_password

USERS = (
    # username, e-mail, full name, password (stored hashed), org role in Acme or None
    ("alice", "alice@example.com", "Alice Example", "alice-demo-password", None),
    ("admin", "admin@acme-ml.com", "Acme Admin", "admin123", OrgRole.ADMIN),
    ("scientist", "scientist@acme-ml.com", "Dana Scientist", "scientist123", OrgRole.MEMBER),
    ("engineer", "engineer@acme-ml.com", "Eli Engineer", "engineer123", OrgRole.MEMBER),
)

GRANTS = (
    # username, application, role, scoped to Acme?
    ("alice", Application.MODEL_REGISTRY, "uploader", False),
    ("admin", Application.MLOPS, "admin", True),
    ("scientist", Application.MLOPS, "data_scientist", True),
    ("engineer", Application.MLOPS, "ml_engineer", True),
)


def seed(
    conn: psycopg.Connection[Any], *, size: int = 0, progress: Progress | None = None
) -> dict[str, int]:
    """Create the sample users, organization, memberships and grants (once)."""
    del size, progress  # the core sample has a fixed size
    with transaction(conn):
        if core.find_user_for_login(conn, email="alice@example.com") is not None:
            return {}
        users = {
            name: core.create_user(
                conn, username=name, email=email, full_name=full,
                hashed_password=hash_password(password),
            )
            for name, email, full, password, _ in USERS
        }
        acme = core.create_organization(
            conn, name="Acme ML Corp", slug="acme-ml",
            description="Sample tenant of the MLOps platform (seed 001)",
            created_by=users["admin"].id,
        )
        members = 0
        for name, _, _, _, role in USERS:
            if role is not None:
                core.add_organization_member(
                    conn, organization_id=acme.id, user_id=users[name].id, role=role,
                    invited_by=users["admin"].id,
                )
                members += 1
        for name, application, role_name, scoped in GRANTS:
            core.grant_role_by_name(
                conn, user_id=users[name].id, application=application, role_name=role_name,
                organization_id=acme.id if scoped else None, granted_by=users["admin"].id,
            )
    return {"users": len(users), "organizations": 1, "memberships": members,
            "role grants": len(GRANTS)}
