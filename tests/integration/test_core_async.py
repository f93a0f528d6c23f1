"""The async twins in registry_sql.core.aio against a real server: create, get, NotFound,
Conflict, a rolled-back transaction, and a few list/scalar/rowcount shapes."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import psycopg
import pytest

from registry_sql.core import Application, AuditAction, UserRow, aio
from registry_sql.db import atransaction
from registry_sql.errors import Conflict, InvalidInput, NotFound

AConn = psycopg.AsyncConnection[Any]


def scrypt_hash(password: str, salt: bytes = b"registry-tests!!") -> str:
    """A real scrypt hash in the PHC-like form ck_users__hashed_password_is_hash accepts."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${salt_b64}${base64.b64encode(digest).decode().rstrip('=')}"


PW = scrypt_hash("async-tests")


async def make_user(aconn: AConn, username: str) -> UserRow:
    return await aio.create_user(
        aconn, username=username, email=f"{username}@example.com", hashed_password=PW
    )


async def test_async_create_get_and_not_found(aconn: AConn) -> None:
    user = await make_user(aconn, "Async.User")
    assert isinstance(user, UserRow) and user.username == "Async.User"
    assert await aio.get_user_by_id(aconn, id=user.id) == user
    assert await aio.get_user_by_username(aconn, username="async.user") == user
    with pytest.raises(NotFound) as info:
        await aio.get_user_by_id(aconn, id=uuid.uuid4())
    assert "core.get_user_by_id" in str(info.value)
    assert await aio.find_user_for_login(aconn, email="nobody@example.com") is None
    assert await aio.count_users(aconn) == 1
    assert [u.id for u in await aio.list_users(aconn, limit=5)] == [user.id]
    assert await aio.record_user_login(aconn, id=user.id) == 1
    assert await aio.health_check(aconn) == 1


async def test_async_conflict_and_invalid_input_write_nothing(aconn: AConn) -> None:
    await make_user(aconn, "taken")
    with pytest.raises(Conflict) as info:
        await aio.create_user(
            aconn, username="TAKEN", email="other@example.com", hashed_password=PW
        )
    assert info.value.constraint == "uq_users__username_lower"
    assert info.value.field == "username" and "username" in str(info.value)
    with pytest.raises(InvalidInput) as bad:
        await aio.create_user(aconn, username="x", email="no-at", hashed_password=PW)
    assert bad.value.constraint == "ck_users__email_format"
    assert await aio.count_users(aconn) == 1


async def test_async_transaction_rolls_back_earlier_statements(aconn: AConn) -> None:
    with pytest.raises(Conflict):
        async with atransaction(aconn):
            await make_user(aconn, "first")
            await aio.create_audit_event(
                aconn,
                application=Application.CORE,
                action=AuditAction.CREATE,
                entity_type="user",
                entity_id="first",
            )
            await make_user(aconn, "FIRST")
    assert await aio.count_users(aconn) == 0
    assert (
        await aio.list_audit_events_for_entity(
            aconn, entity_type="user", entity_id="first", limit=5
        )
        == []
    )


async def test_async_org_and_rbac_shapes(aconn: AConn) -> None:
    user = await make_user(aconn, "member")
    org = await aio.create_organization(aconn, name="Async Org", slug="async-org")
    m = await aio.add_organization_member(aconn, organization_id=org.id, user_id=user.id)
    assert m.organization_id == org.id
    assert await aio.is_organization_member(aconn, organization_id=org.id, user_id=user.id)
    await aio.grant_role_by_name(
        aconn,
        user_id=user.id,
        application=Application.MLOPS,
        role_name="viewer",
        organization_id=org.id,
    )
    assert (
        await aio.user_has_permission(
            aconn, user_id=user.id, code="mlops:model:read", organization_id=org.id
        )
        is True
    )
    assert await aio.user_has_permission(aconn, user_id=user.id, code="mlops:model:read") is False
