"""core.organizations and core.organization_memberships through the generated functions
(sql/core/organizations.sql): values, pagination, NotFound, soft delete / restore / purge."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import psycopg
import pytest

from registry_sql import core
from registry_sql.auth import hash_secret
from registry_sql.core import Application, MembershipRow, OrganizationRow, OrgRole, UserRow
from registry_sql.db import transaction
from registry_sql.errors import Conflict, NotFound

Conn = psycopg.Connection[Any]


def scrypt_hash(password: str, salt: bytes = b"registry-tests!!") -> str:
    """A real scrypt hash in the PHC-like form ck_users__hashed_password_is_hash accepts."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${salt_b64}${base64.b64encode(digest).decode().rstrip('=')}"


PW = scrypt_hash("org-tests")


def make_user(conn: Conn, username: str) -> UserRow:
    return core.create_user(
        conn, username=username, email=f"{username}@example.com", hashed_password=PW
    )


def make_org(conn: Conn, slug: str, *, name: str | None = None) -> OrganizationRow:
    return core.create_organization(conn, name=name or slug.title(), slug=slug)


def test_create_and_get_organization(conn: Conn) -> None:
    admin = make_user(conn, "admin")
    org = core.create_organization(
        conn,
        name="Acme Labs",
        slug="acme-labs",
        description="Rockets",
        settings={"theme": "dark", "limits": {"models": 10}},
        created_by=admin.id,
    )
    assert isinstance(org, OrganizationRow) and isinstance(org.id, uuid.UUID)
    assert (org.name, org.slug, org.description) == ("Acme Labs", "acme-labs", "Rockets")
    assert org.settings == {"theme": "dark", "limits": {"models": 10}}
    assert org.created_by == admin.id and org.updated_by == admin.id
    assert org.deleted_at is None
    assert core.get_organization_by_id(conn, id=org.id) == org
    assert core.get_organization_by_slug(conn, slug="acme-labs") == org
    plain = make_org(conn, "plain")
    assert plain.settings == {} and plain.description is None
    with pytest.raises(NotFound) as info:
        core.get_organization_by_id(conn, id=uuid.uuid4())
    assert "core.get_organization_by_id" in str(info.value)
    with pytest.raises(NotFound):
        core.get_organization_by_slug(conn, slug="ACME-LABS")  # slugs are exact


def test_list_organizations_pagination(conn: Conn) -> None:
    orgs = [make_org(conn, f"org-{i}") for i in range(5)]
    expected = [o.id for o in sorted(orgs, key=lambda o: (o.created_at, o.id), reverse=True)]
    first = core.list_organizations(conn, limit=3)
    rest = core.list_organizations(
        conn, limit=3, after_created_at=first[-1].created_at, after_id=first[-1].id
    )
    assert len(first) == 3 and len(rest) == 2
    assert [o.id for o in first + rest] == expected
    assert (
        core.list_organizations(
            conn, limit=3, after_created_at=rest[-1].created_at, after_id=rest[-1].id
        )
        == []
    )


def test_update_organization(conn: Conn) -> None:
    admin = make_user(conn, "admin")
    org = core.create_organization(conn, name="Old", slug="old", description="d", settings={"a": 1})
    new = core.update_organization(conn, id=org.id, name="New", updated_by=admin.id)
    assert (new.name, new.slug, new.description, new.settings) == ("New", "old", "d", {"a": 1})
    assert new.updated_by == admin.id and new.updated_at > org.updated_at
    replaced = core.update_organization(conn, id=org.id, slug="new-slug", settings={"b": 2})
    assert replaced.slug == "new-slug" and replaced.settings == {"b": 2}  # replaced as a whole
    make_org(conn, "taken")
    with pytest.raises(Conflict) as info:
        core.update_organization(conn, id=org.id, slug="taken")
    assert info.value.constraint == "uq_organizations__slug" and info.value.field == "slug"
    with pytest.raises(NotFound):
        core.update_organization(conn, id=uuid.uuid4(), name="x")


def test_memberships(conn: Conn) -> None:
    admin = make_user(conn, "admin")
    alice = make_user(conn, "alice")
    bob = make_user(conn, "bob")
    org = make_org(conn, "team")

    m = core.add_organization_member(
        conn, organization_id=org.id, user_id=alice.id, invited_by=admin.id
    )
    assert isinstance(m, MembershipRow)
    assert m.role is OrgRole.MEMBER and m.invited_by == admin.id and m.created_by == admin.id
    # idempotent: same row; role only changes when given
    same = core.add_organization_member(conn, organization_id=org.id, user_id=alice.id)
    assert same.id == m.id and same.role is OrgRole.MEMBER
    promoted = core.add_organization_member(
        conn, organization_id=org.id, user_id=alice.id, role=OrgRole.ADMIN
    )
    assert promoted.id == m.id and promoted.role is OrgRole.ADMIN
    b = core.add_organization_member(
        conn, organization_id=org.id, user_id=bob.id, role=OrgRole.VIEWER
    )

    # NotFound unless org, user and inviter are live
    with pytest.raises(NotFound):
        core.add_organization_member(conn, organization_id=uuid.uuid4(), user_id=bob.id)
    with pytest.raises(NotFound):
        core.add_organization_member(conn, organization_id=org.id, user_id=uuid.uuid4())
    with pytest.raises(NotFound):
        core.add_organization_member(
            conn, organization_id=org.id, user_id=admin.id, invited_by=uuid.uuid4()
        )

    assert core.get_membership(conn, organization_id=org.id, user_id=alice.id).id == m.id
    with pytest.raises(NotFound):
        core.get_membership(conn, organization_id=org.id, user_id=admin.id)
    assert core.is_organization_member(conn, organization_id=org.id, user_id=alice.id) is True
    assert core.is_organization_member(conn, organization_id=org.id, user_id=admin.id) is False

    members = core.list_organization_members(conn, organization_id=org.id, limit=10)
    assert [r.user_id for r in members] == [bob.id, alice.id]  # newest membership first
    assert members[1].username == "alice" and members[1].email == "alice@example.com"
    assert members[1].role is OrgRole.ADMIN and members[1].is_active is True
    page2 = core.list_organization_members(
        conn,
        organization_id=org.id,
        limit=1,
        after_created_at=members[0].created_at,
        after_id=members[0].id,
    )
    assert [r.user_id for r in page2] == [alice.id]
    viewers = core.list_organization_members(
        conn, organization_id=org.id, role=OrgRole.VIEWER, limit=10
    )
    assert [r.user_id for r in viewers] == [bob.id]
    assert core.count_organization_members(conn, organization_id=org.id) == 2
    assert core.count_organization_members(conn, organization_id=org.id, role=OrgRole.ADMIN) == 1

    changed = core.update_membership_role(
        conn, organization_id=org.id, user_id=bob.id, role=OrgRole.OWNER, updated_by=admin.id
    )
    assert changed.id == b.id and changed.role is OrgRole.OWNER
    assert changed.updated_by == admin.id
    with pytest.raises(NotFound):
        core.update_membership_role(
            conn, organization_id=org.id, user_id=admin.id, role=OrgRole.OWNER
        )

    orgs = core.list_user_organizations(conn, user_id=bob.id)
    assert [(o.slug, o.membership_role) for o in orgs] == [("team", OrgRole.OWNER)]
    assert orgs[0].member_since == b.created_at

    assert (
        core.remove_organization_member(
            conn, organization_id=org.id, user_id=bob.id, deleted_by=admin.id
        )
        == 1
    )
    assert core.remove_organization_member(conn, organization_id=org.id, user_id=bob.id) == 0
    assert core.is_organization_member(conn, organization_id=org.id, user_id=bob.id) is False
    assert core.list_user_organizations(conn, user_id=bob.id) == []
    # re-adding creates a new row and keeps the removed one as history
    back = core.add_organization_member(conn, organization_id=org.id, user_id=bob.id)
    assert back.id != b.id and back.role is OrgRole.MEMBER
    history = conn.execute(
        "SELECT count(*) FROM core.organization_memberships WHERE user_id = %s", (bob.id,)
    ).fetchone()
    assert history == (2,)

    # members whose user is soft-deleted are hidden from the member list and count
    core.soft_delete_user(conn, id=alice.id)
    assert [
        r.user_id for r in core.list_organization_members(conn, organization_id=org.id, limit=10)
    ] == [bob.id]
    assert core.count_organization_members(conn, organization_id=org.id) == 1


def test_list_user_organizations_is_ordered_by_name(conn: Conn) -> None:
    user = make_user(conn, "multi")
    for slug, name in (("zeta", "Zeta"), ("alpha", "Alpha"), ("mid", "Mid")):
        org = make_org(conn, slug, name=name)
        core.add_organization_member(conn, organization_id=org.id, user_id=user.id)
    assert [o.name for o in core.list_user_organizations(conn, user_id=user.id)] == [
        "Alpha",
        "Mid",
        "Zeta",
    ]


def test_soft_delete_and_restore_organization(conn: Conn) -> None:
    admin = make_user(conn, "admin")
    user = make_user(conn, "member")
    org = make_org(conn, "acme")
    core.add_organization_member(conn, organization_id=org.id, user_id=user.id)

    assert core.soft_delete_organization(conn, id=org.id, deleted_by=admin.id) == 1
    assert core.soft_delete_organization(conn, id=org.id) == 0
    with pytest.raises(NotFound):
        core.get_organization_by_id(conn, id=org.id)
    with pytest.raises(NotFound):
        core.get_organization_by_slug(conn, slug="acme")
    assert core.list_organizations(conn, limit=10) == []
    # memberships stay but are hidden with the organization
    assert core.list_user_organizations(conn, user_id=user.id) == []
    assert core.is_organization_member(conn, organization_id=org.id, user_id=user.id) is False
    with pytest.raises(NotFound):
        core.get_membership(conn, organization_id=org.id, user_id=user.id)
    with pytest.raises(NotFound):  # cannot add members to a deleted organization
        core.add_organization_member(conn, organization_id=org.id, user_id=admin.id)
    with pytest.raises(NotFound):
        core.update_organization(conn, id=org.id, name="ghost")

    # the slug is free among live organizations; restore then conflicts
    squatter = make_org(conn, "acme")
    with pytest.raises(Conflict) as info:
        core.restore_organization(conn, id=org.id)
    assert info.value.constraint == "uq_organizations__slug"
    assert "slug" in str(info.value)
    row = conn.execute(
        "SELECT deleted_at IS NOT NULL, deleted_by FROM core.organizations WHERE id = %s",
        (org.id,),
    ).fetchone()
    assert row == (True, admin.id)  # the refused restore changed nothing

    core.soft_delete_organization(conn, id=squatter.id)
    restored = core.restore_organization(conn, id=org.id, restored_by=admin.id)
    assert restored.id == org.id and restored.deleted_at is None and restored.deleted_by is None
    assert restored.updated_by == admin.id
    assert [o.id for o in core.list_user_organizations(conn, user_id=user.id)] == [org.id]
    with pytest.raises(NotFound):  # already live
        core.restore_organization(conn, id=org.id)


def test_purge_organization_cascades(conn: Conn) -> None:
    """There is no purge query for organizations: an admin DELETE cascades to memberships,
    org-scoped grants and org API keys; audit rows survive."""
    user = make_user(conn, "purgee")
    org = make_org(conn, "doomed")
    core.add_organization_member(conn, organization_id=org.id, user_id=user.id)
    core.grant_role_by_name(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        role_name="admin",
        organization_id=org.id,
    )
    core.create_api_key(
        conn,
        application=Application.MLOPS,
        name="org key",
        key_prefix="rsk_orgk",
        key_hash=hash_secret("org-key"),
        organization_id=org.id,
    )
    event = core.create_audit_event(
        conn,
        application=Application.CORE,
        action=core.AuditAction.CREATE,
        entity_type="organization",
        entity_id=str(org.id),
        organization_id=org.id,
    )
    with transaction(conn):
        conn.execute("DELETE FROM core.organizations WHERE id = %s", (org.id,))
    for query in (
        "SELECT count(*) FROM core.organization_memberships WHERE organization_id = %s",
        "SELECT count(*) FROM core.user_roles WHERE organization_id = %s",
        "SELECT count(*) FROM core.api_keys WHERE organization_id = %s",
    ):
        assert conn.execute(query, (org.id,)).fetchone() == (0,), query
    assert core.get_user_by_id(conn, id=user.id).id == user.id  # the user stays
    kept = core.get_audit_event(conn, id=event.id, occurred_at=event.occurred_at)
    assert kept.organization_id == org.id
