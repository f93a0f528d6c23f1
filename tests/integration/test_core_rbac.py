"""RBAC through the generated functions (sql/core/rbac.sql, users.get_user_with_roles):
reference data, grants (global and org-scoped), permission checks."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import psycopg
import pytest

from registry_sql import core
from registry_sql.core import Application, OrganizationRow, PermissionRow, RoleRow, UserRow
from registry_sql.errors import NotFound

Conn = psycopg.Connection[Any]


def scrypt_hash(password: str, salt: bytes = b"registry-tests!!") -> str:
    """A real scrypt hash in the PHC-like form ck_users__hashed_password_is_hash accepts."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${salt_b64}${base64.b64encode(digest).decode().rstrip('=')}"


PW = scrypt_hash("rbac-tests")


def make_user(conn: Conn, username: str) -> UserRow:
    return core.create_user(
        conn, username=username, email=f"{username}@example.com", hashed_password=PW
    )


def make_org(conn: Conn, slug: str) -> OrganizationRow:
    return core.create_organization(conn, name=slug.title(), slug=slug)


def codes(rows: list[PermissionRow]) -> list[str]:
    return [r.code for r in rows]


def test_reference_roles_and_permissions(conn: Conn) -> None:
    roles = core.list_roles(conn, application=Application.MLOPS)
    assert [r.name for r in roles] == ["admin", "data_scientist", "ml_engineer", "viewer"]
    assert all(
        isinstance(r, RoleRow) and r.is_system and r.application is Application.MLOPS for r in roles
    )
    viewer = core.get_role_by_name(conn, application=Application.MLOPS, name="viewer")
    assert core.get_role_by_id(conn, id=viewer.id) == viewer
    with pytest.raises(NotFound):
        core.get_role_by_name(conn, application=Application.AIRLOCK, name="viewer")
    with pytest.raises(NotFound):
        core.get_role_by_id(conn, id=uuid.uuid4())

    everything = core.list_permissions(conn)
    assert len(everything) == 17
    assert codes(everything) == sorted(codes(everything))
    assert codes(core.list_permissions(conn, application=Application.MLOPS)) == [
        "mlops:deployment:read",
        "mlops:deployment:write",
        "mlops:model:read",
        "mlops:model:write",
    ]
    assert core.list_permissions(conn, application=Application.CORE) == []
    assert codes(core.list_role_permissions(conn, role_id=viewer.id)) == [
        "mlops:deployment:read",
        "mlops:model:read",
    ]
    admin = core.get_role_by_name(conn, application=Application.CORE, name="platform_admin")
    assert core.list_role_permissions(conn, role_id=admin.id) == []  # implicit: all


def test_ensure_roles_is_idempotent(conn: Conn) -> None:
    n = core.ensure_roles(
        conn,
        application=Application.SPLUNK_TA,
        names=["auditor", "approver", "helper"],
        descriptions=["Audits TAs."],
        is_system=True,
    )
    assert n == 2  # approver exists already
    auditor = core.get_role_by_name(conn, application=Application.SPLUNK_TA, name="auditor")
    helper = core.get_role_by_name(conn, application=Application.SPLUNK_TA, name="helper")
    assert auditor.description == "Audits TAs." and auditor.is_system
    assert helper.description is None
    approver = core.get_role_by_name(conn, application=Application.SPLUNK_TA, name="approver")
    assert approver.description == "Approves TA requests."  # left untouched
    assert (
        core.ensure_roles(conn, application=Application.SPLUNK_TA, names=["auditor", "helper"]) == 0
    )
    assert core.ensure_roles(conn, application=Application.SPLUNK_TA, names=["temp"]) == 1
    assert (
        core.get_role_by_name(conn, application=Application.SPLUNK_TA, name="temp").is_system
        is False
    )


def test_grants_and_permission_checks(conn: Conn) -> None:
    boss = make_user(conn, "boss")
    user = make_user(conn, "ana")
    org = make_org(conn, "acme")
    other_org = make_org(conn, "other")
    viewer = core.get_role_by_name(conn, application=Application.MLOPS, name="viewer")

    # global grant: idempotent, same row twice
    g1 = core.grant_role(conn, user_id=user.id, role_id=viewer.id, granted_by=boss.id)
    g2 = core.grant_role(conn, user_id=user.id, role_id=viewer.id)
    assert g1.id == g2.id and g2.granted_by == boss.id and g1.organization_id is None
    # org-scoped grant by name
    scoped = core.grant_role_by_name(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        role_name="ml_engineer",
        organization_id=org.id,
        granted_by=boss.id,
    )
    assert scoped.organization_id == org.id
    again = core.grant_role_by_name(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        role_name="ml_engineer",
        organization_id=org.id,
    )
    assert again.id == scoped.id

    # NotFound when something is missing or not live
    with pytest.raises(NotFound):
        core.grant_role(conn, user_id=uuid.uuid4(), role_id=viewer.id)
    with pytest.raises(NotFound):
        core.grant_role(conn, user_id=user.id, role_id=uuid.uuid4())
    with pytest.raises(NotFound):
        core.grant_role(conn, user_id=user.id, role_id=viewer.id, organization_id=uuid.uuid4())
    with pytest.raises(NotFound):
        core.grant_role(conn, user_id=user.id, role_id=viewer.id, granted_by=uuid.uuid4())
    with pytest.raises(NotFound):
        core.grant_role_by_name(
            conn, user_id=user.id, application=Application.MLOPS, role_name="wizard"
        )

    # global vs org-scoped permissions
    def has(code: str, org_id: uuid.UUID | None = None) -> bool:
        return core.user_has_permission(conn, user_id=user.id, code=code, organization_id=org_id)

    assert has("mlops:model:read") is True  # global viewer
    assert has("mlops:model:write") is False  # ml_engineer only inside acme
    assert has("mlops:model:write", org.id) is True
    assert has("mlops:model:write", other_org.id) is False
    assert has("mlops:model:read", other_org.id) is True  # global grants apply everywhere
    assert has("no:such:code") is False
    assert codes(core.list_user_permissions(conn, user_id=user.id)) == [
        "mlops:deployment:read",
        "mlops:model:read",
    ]
    assert codes(core.list_user_permissions(conn, user_id=user.id, organization_id=org.id)) == [
        "mlops:deployment:read",
        "mlops:deployment:write",
        "mlops:model:read",
        "mlops:model:write",
    ]

    grants = core.list_user_grants(conn, user_id=user.id)
    assert [(g.application, g.role_name, g.organization_slug) for g in grants] == [
        (Application.MLOPS, "ml_engineer", "acme"),
        (Application.MLOPS, "viewer", None),
    ]
    assert grants[0].organization_name == "Acme" and grants[0].organization_deleted_at is None
    assert grants[1].organization_id is None and grants[1].granted_by == boss.id
    assert core.list_user_grants(conn, user_id=user.id, application=Application.AIRLOCK) == []

    with_roles = core.get_user_with_roles(conn, id=user.id, application=Application.MLOPS)
    assert with_roles.roles == ["viewer"] and with_roles.username == "ana"
    in_org = core.get_user_with_roles(
        conn, id=user.id, application=Application.MLOPS, organization_id=org.id
    )
    assert in_org.roles == ["ml_engineer", "viewer"]
    assert core.get_user_with_roles(conn, id=user.id, application=Application.AIRLOCK).roles == []
    with pytest.raises(NotFound):
        core.get_user_with_roles(conn, id=uuid.uuid4(), application=Application.MLOPS)

    # soft-deleted organization: its grants stop counting, but are still listed
    core.soft_delete_organization(conn, id=org.id)
    assert has("mlops:model:write", org.id) is False
    assert core.get_user_with_roles(
        conn, id=user.id, application=Application.MLOPS, organization_id=org.id
    ).roles == ["viewer"]
    deleted_grant = next(
        g for g in core.list_user_grants(conn, user_id=user.id) if g.role_name == "ml_engineer"
    )
    assert deleted_grant.organization_deleted_at is not None
    core.restore_organization(conn, id=org.id)

    # list_role_members: newest first, paginated, org filter, live users only
    other = make_user(conn, "ben")
    g_other = core.grant_role(conn, user_id=other.id, role_id=viewer.id)
    members = core.list_role_members(conn, role_id=viewer.id, limit=10)
    assert [m.id for m in members] == [g_other.id, g1.id]
    page2 = core.list_role_members(
        conn,
        role_id=viewer.id,
        limit=1,
        after_created_at=members[0].created_at,
        after_id=members[0].id,
    )
    assert [m.id for m in page2] == [g1.id]
    engineer = core.get_role_by_name(conn, application=Application.MLOPS, name="ml_engineer")
    assert [
        m.id
        for m in core.list_role_members(conn, role_id=engineer.id, organization_id=org.id, limit=10)
    ] == [scoped.id]
    assert (
        core.list_role_members(conn, role_id=engineer.id, organization_id=other_org.id, limit=10)
        == []
    )
    core.soft_delete_user(conn, id=other.id)
    assert [m.id for m in core.list_role_members(conn, role_id=viewer.id, limit=10)] == [g1.id]

    # revoke
    assert core.revoke_role(conn, user_id=user.id, role_id=viewer.id, organization_id=org.id) == 0
    assert core.revoke_role(conn, user_id=user.id, role_id=viewer.id) == 1
    assert core.revoke_role(conn, user_id=user.id, role_id=viewer.id) == 0
    assert has("mlops:model:read") is False
    assert (
        core.revoke_role_by_name(
            conn, user_id=user.id, application=Application.MLOPS, role_name="ml_engineer"
        )
        == 0
    )  # the grant is org-scoped, not global
    assert (
        core.revoke_role_by_name(
            conn,
            user_id=user.id,
            application=Application.MLOPS,
            role_name="ml_engineer",
            organization_id=org.id,
        )
        == 1
    )
    assert core.list_user_grants(conn, user_id=user.id) == []
    assert core.list_user_permissions(conn, user_id=user.id, organization_id=org.id) == []


def test_platform_admin_and_inactive_users(conn: Conn) -> None:
    root = make_user(conn, "root")
    core.grant_role_by_name(
        conn, user_id=root.id, application=Application.CORE, role_name="platform_admin"
    )
    for code in ("airlock:license:manage", "inspection:report:generate", "mlops:model:write"):
        assert core.user_has_permission(conn, user_id=root.id, code=code) is True
    assert len(core.list_user_permissions(conn, user_id=root.id)) == 17
    # a permission added later is implied as well
    conn.execute(
        "INSERT INTO core.permissions (application, code) VALUES ('mlops', 'mlops:metric:read')"
    )
    assert core.user_has_permission(conn, user_id=root.id, code="mlops:metric:read") is True
    # inactive user: no permissions at all
    core.update_user(conn, id=root.id, is_active=False)
    assert core.user_has_permission(conn, user_id=root.id, code="mlops:model:write") is False
    assert core.list_user_permissions(conn, user_id=root.id) == []
    core.update_user(conn, id=root.id, is_active=True)
    assert core.user_has_permission(conn, user_id=root.id, code="mlops:model:write") is True
    # soft-deleted user: none either
    core.soft_delete_user(conn, id=root.id)
    assert core.user_has_permission(conn, user_id=root.id, code="mlops:model:write") is False
    assert core.user_has_permission(conn, user_id=uuid.uuid4(), code="mlops:model:read") is False


def test_platform_admin_unknown_code_is_false(conn: Conn) -> None:
    root = make_user(conn, "root")
    core.grant_role_by_name(
        conn, user_id=root.id, application=Application.CORE, role_name="platform_admin"
    )
    listed = codes(core.list_user_permissions(conn, user_id=root.id))
    assert "no:such:code" not in listed
    assert core.user_has_permission(conn, user_id=root.id, code="no:such:code") is False
