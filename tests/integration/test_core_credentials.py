"""API keys and auth tokens through the generated functions (sql/core/api_keys.sql,
sql/core/auth_tokens.sql) and the checks of registry_sql.auth."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from registry_sql import core
from registry_sql.auth import check_api_key, check_token, generate_api_key, hash_secret
from registry_sql.core import ApiKeyRow, Application, AuthTokenRow, TokenType, UserRow
from registry_sql.errors import CredentialRejected, Forbidden, NotFound

Conn = psycopg.Connection[Any]


def scrypt_hash(password: str, salt: bytes = b"registry-tests!!") -> str:
    """A real scrypt hash in the PHC-like form ck_users__hashed_password_is_hash accepts."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${salt_b64}${base64.b64encode(digest).decode().rstrip('=')}"


PW = scrypt_hash("cred-tests")


def make_user(conn: Conn, username: str) -> UserRow:
    return core.create_user(
        conn, username=username, email=f"{username}@example.com", hashed_password=PW
    )


def make_key(
    conn: Conn,
    *,
    name: str = "ci",
    user_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKeyRow, str]:
    new = generate_api_key()
    row = core.create_api_key(
        conn,
        application=Application.MODEL_REGISTRY,
        name=name,
        key_prefix=new.key_prefix,
        key_hash=new.key_hash,
        user_id=user_id,
        organization_id=organization_id,
        expires_at=expires_at,
    )
    return row, new.secret


def in_hours(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


# --------------------------------------------------------------------------- API keys


def test_create_find_and_get_api_key(conn: Conn) -> None:
    owner = make_user(conn, "owner")
    new = generate_api_key()
    expires = in_hours(24)
    row = core.create_api_key(
        conn,
        application=Application.MODEL_REGISTRY,
        name="uploader",
        key_prefix=new.key_prefix,
        key_hash=new.key_hash,
        user_id=owner.id,
        scopes=["model_registry:package:upload"],
        permissions={"upload": True},
        expires_at=expires,
        created_by=owner.id,
    )
    assert isinstance(row, ApiKeyRow)
    assert row.key_prefix == new.key_prefix and new.secret.startswith(row.key_prefix)
    assert row.scopes == ["model_registry:package:upload"]
    assert row.permissions == {"upload": True}
    assert row.expires_at == expires and row.revoked_at is None and row.last_used_at is None
    assert "key_hash" not in ApiKeyRow.model_fields  # never returned
    stored = conn.execute("SELECT key_hash FROM core.api_keys WHERE id = %s", (row.id,))
    assert stored.fetchone() == (hash_secret(new.secret),)

    found = core.find_api_key_by_hash(conn, key_hash=hash_secret(new.secret))
    assert found == row
    check_api_key(found)  # valid: no exception
    assert core.find_api_key_by_hash(conn, key_hash=hash_secret("wrong secret")) is None
    assert core.get_api_key_by_id(conn, id=row.id) == row
    with pytest.raises(NotFound):
        core.get_api_key_by_id(conn, id=uuid.uuid4())

    service, _ = make_key(conn, name="service")  # no owner at all
    assert service.user_id is None and service.scopes == [] and service.permissions == {}


def test_expired_and_revoked_keys_are_rejected_by_check(conn: Conn) -> None:
    """Done-when: an expired key is rejected saying 'expired', a revoked one saying 'revoked'."""
    owner = make_user(conn, "keyowner")
    expired, expired_secret = make_key(conn, user_id=owner.id, expires_at=in_hours(1))
    # Backdate: the CHECK only allows expiries after created_at, so move both into the past.
    conn.execute(
        "UPDATE core.api_keys SET created_at = now() - interval '2 days', "
        "expires_at = now() - interval '1 day' WHERE id = %s",
        (expired.id,),
    )
    row = core.find_api_key_by_hash(conn, key_hash=hash_secret(expired_secret))
    assert row is not None and row.expires_at is not None and row.expires_at < datetime.now(UTC)
    with pytest.raises(CredentialRejected) as info:
        check_api_key(row)
    assert "expired" in str(info.value) and info.value.field == "expires_at"
    assert isinstance(info.value, Forbidden)

    revoked, revoked_secret = make_key(conn, user_id=owner.id, expires_at=in_hours(1))
    assert core.revoke_api_key(conn, id=revoked.id, revoked_by=owner.id) == 1
    assert core.revoke_api_key(conn, id=revoked.id) == 0  # already revoked
    assert core.revoke_api_key(conn, id=uuid.uuid4()) == 0
    row = core.find_api_key_by_hash(conn, key_hash=hash_secret(revoked_secret))
    assert row is not None and row.revoked_at is not None and row.revoked_by == owner.id
    with pytest.raises(CredentialRejected) as info:
        check_api_key(row)
    assert "revoked" in str(info.value) and info.value.field == "revoked_at"


def test_keys_of_deleted_or_inactive_owners_are_hidden(conn: Conn) -> None:
    owner = make_user(conn, "hidden")
    org = core.create_organization(conn, name="Keys", slug="keys")
    _, user_secret = make_key(conn, user_id=owner.id)
    _, org_secret = make_key(conn, organization_id=org.id)
    core.update_user(conn, id=owner.id, is_active=False)
    assert core.find_api_key_by_hash(conn, key_hash=hash_secret(user_secret)) is None
    core.update_user(conn, id=owner.id, is_active=True)
    assert core.find_api_key_by_hash(conn, key_hash=hash_secret(user_secret)) is not None
    core.soft_delete_organization(conn, id=org.id)
    assert core.find_api_key_by_hash(conn, key_hash=hash_secret(org_secret)) is None
    core.restore_organization(conn, id=org.id)
    assert core.find_api_key_by_hash(conn, key_hash=hash_secret(org_secret)) is not None


def test_list_update_revoke_and_touch_keys(conn: Conn) -> None:
    owner = make_user(conn, "lister")
    org = core.create_organization(conn, name="Listed", slug="listed")
    k1, _ = make_key(conn, name="one", user_id=owner.id, organization_id=org.id)
    k2, _ = make_key(conn, name="two", user_id=owner.id, organization_id=org.id)
    k3, _ = make_key(conn, name="three", organization_id=org.id)

    assert [
        k.id for k in core.list_user_api_keys(conn, user_id=owner.id, include_revoked=False)
    ] == [k2.id, k1.id]
    page1 = core.list_organization_api_keys(
        conn, organization_id=org.id, include_revoked=False, limit=2
    )
    assert [k.id for k in page1] == [k3.id, k2.id]
    page2 = core.list_organization_api_keys(
        conn,
        organization_id=org.id,
        include_revoked=False,
        limit=2,
        after_created_at=page1[-1].created_at,
        after_id=page1[-1].id,
    )
    assert [k.id for k in page2] == [k1.id]

    upd = core.update_api_key(conn, id=k1.id, name="renamed", scopes=["a:b:c"])
    assert (upd.name, upd.scopes, upd.permissions) == ("renamed", ["a:b:c"], {})
    assert upd.updated_at > k1.updated_at
    exp = in_hours(48)
    upd2 = core.update_api_key(conn, id=k1.id, expires_at=exp, permissions={"x": 1})
    assert upd2.expires_at == exp and upd2.name == "renamed" and upd2.permissions == {"x": 1}

    assert core.revoke_user_api_keys(conn, user_id=owner.id, revoked_by=owner.id) == 2
    assert core.revoke_user_api_keys(conn, user_id=owner.id) == 0
    assert core.list_user_api_keys(conn, user_id=owner.id, include_revoked=False) == []
    assert len(core.list_user_api_keys(conn, user_id=owner.id, include_revoked=True)) == 2
    assert [
        k.id
        for k in core.list_organization_api_keys(
            conn, organization_id=org.id, include_revoked=False, limit=10
        )
    ] == [k3.id]
    assert (
        len(
            core.list_organization_api_keys(
                conn, organization_id=org.id, include_revoked=True, limit=10
            )
        )
        == 3
    )
    with pytest.raises(NotFound):  # revoked keys cannot be updated
        core.update_api_key(conn, id=k1.id, name="zombie")

    # touch: throttled per minute and address
    assert core.touch_api_key(conn, id=k3.id, last_used_ip="10.0.0.1") == 1
    touched = core.get_api_key_by_id(conn, id=k3.id)
    assert touched.last_used_at is not None
    assert touched.last_used_ip == ipaddress.ip_address("10.0.0.1")
    assert core.touch_api_key(conn, id=k3.id, last_used_ip="10.0.0.1") == 0
    assert core.touch_api_key(conn, id=k3.id, last_used_ip="2001:db8::1") == 1
    assert core.get_api_key_by_id(conn, id=k3.id).last_used_ip == ipaddress.ip_address(
        "2001:db8::1"
    )
    assert core.touch_api_key(conn, id=uuid.uuid4(), last_used_ip="10.0.0.1") == 0


# --------------------------------------------------------------------------- tokens


def test_issue_and_find_tokens(conn: Conn) -> None:
    user = make_user(conn, "tok")
    token_hash = hash_secret("the.jwt.itself")
    iat = datetime.now(UTC).replace(microsecond=0)
    tok = core.issue_token(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        jti="jti-1",
        token_hash=token_hash,
        issued_at=iat,
        expires_at=iat + timedelta(hours=1),
        ip_address="192.0.2.7",
        user_agent="pytest",
    )
    assert isinstance(tok, AuthTokenRow)
    assert tok.token_type is TokenType.ACCESS and tok.usage_count == 0 and tok.max_uses is None
    assert tok.issued_at == iat and tok.ip_address == ipaddress.ip_address("192.0.2.7")
    assert core.find_active_token_by_jti(conn, jti="jti-1") == tok
    assert core.find_active_token_by_hash(conn, token_hash=token_hash) == tok
    assert core.get_token_by_jti(conn, jti="jti-1") == tok
    check_token(tok)
    assert core.find_active_token_by_jti(conn, jti="nope") is None
    assert core.find_active_token_by_hash(conn, token_hash=hash_secret("nope")) is None
    with pytest.raises(NotFound):
        core.get_token_by_jti(conn, jti="nope")

    refresh = core.issue_token(
        conn,
        user_id=user.id,
        application=Application.AIRLOCK,
        token_type=TokenType.REFRESH,
        jti="jti-2",
        expires_at=in_hours(2),
    )
    assert refresh.token_type is TokenType.REFRESH
    assert abs(refresh.issued_at - datetime.now(UTC)) < timedelta(minutes=1)

    expired = core.issue_token(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        jti="jti-old",
        issued_at=datetime.now(UTC) - timedelta(hours=2),
        expires_at=in_hours(-1),
    )
    assert core.find_active_token_by_jti(conn, jti="jti-old") is None
    with pytest.raises(CredentialRejected) as info:
        check_token(core.get_token_by_jti(conn, jti="jti-old"))
    assert "expired" in str(info.value)
    assert expired.id not in {t.id for t in core.list_active_user_tokens(conn, user_id=user.id)}

    active = core.list_active_user_tokens(conn, user_id=user.id)
    assert [t.jti for t in active] == ["jti-2", "jti-1"]  # newest issued first
    assert [
        t.jti
        for t in core.list_active_user_tokens(conn, user_id=user.id, application=Application.MLOPS)
    ] == ["jti-1"]

    # tokens of inactive users are not active
    core.update_user(conn, id=user.id, is_active=False)
    assert core.find_active_token_by_jti(conn, jti="jti-1") is None
    assert core.find_active_token_by_hash(conn, token_hash=token_hash) is None
    assert core.increment_token_usage(conn, jti="jti-1") == 0


def test_revoke_and_usage_limits(conn: Conn) -> None:
    user = make_user(conn, "limited")
    core.issue_token(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        jti="once",
        expires_at=in_hours(1),
        max_uses=1,
    )
    assert core.increment_token_usage(conn, jti="once") == 1
    assert core.increment_token_usage(conn, jti="once") == 0  # used up
    used = core.get_token_by_jti(conn, jti="once")
    assert used.usage_count == 1 and used.last_used_at is not None
    assert core.find_active_token_by_jti(conn, jti="once") is None
    with pytest.raises(CredentialRejected) as info:
        check_token(used)
    assert "used 1 times" in str(info.value)
    assert core.increment_token_usage(conn, jti="unknown") == 0

    core.issue_token(
        conn, user_id=user.id, application=Application.MLOPS, jti="a", expires_at=in_hours(1)
    )
    core.issue_token(
        conn, user_id=user.id, application=Application.AIRLOCK, jti="b", expires_at=in_hours(1)
    )
    core.issue_token(
        conn, user_id=user.id, application=Application.AIRLOCK, jti="c", expires_at=in_hours(1)
    )
    assert core.revoke_token(conn, jti="a", reason="logout") == 1
    assert core.revoke_token(conn, jti="a") == 0
    assert core.revoke_token(conn, jti="missing") == 0
    revoked = core.get_token_by_jti(conn, jti="a")
    assert revoked.revoked_at is not None and revoked.revoked_reason == "logout"
    with pytest.raises(CredentialRejected) as info:
        check_token(revoked)
    assert "revoked" in str(info.value)
    assert core.increment_token_usage(conn, jti="a") == 0

    assert (
        core.revoke_user_tokens(
            conn, user_id=user.id, application=Application.AIRLOCK, reason="password change"
        )
        == 2
    )
    assert core.list_active_user_tokens(conn, user_id=user.id) == []
    assert core.get_token_by_jti(conn, jti="c").revoked_reason == "password change"
    # the used-up "once" token is neither revoked nor expired: revoked now
    assert core.revoke_user_tokens(conn, user_id=user.id) == 1
    assert core.revoke_user_tokens(conn, user_id=user.id) == 0


def test_purge_expired_tokens_in_batches(conn: Conn) -> None:
    user = make_user(conn, "purger")
    long_ago = datetime.now(UTC) - timedelta(days=30)
    for i in range(3):
        core.issue_token(
            conn,
            user_id=user.id,
            application=Application.MLOPS,
            jti=f"old{i}",
            issued_at=long_ago,
            expires_at=long_ago + timedelta(days=1 + i),
        )
    core.issue_token(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        jti="recent",
        issued_at=datetime.now(UTC) - timedelta(hours=3),
        expires_at=in_hours(-1),
    )
    core.issue_token(
        conn, user_id=user.id, application=Application.MLOPS, jti="live", expires_at=in_hours(1)
    )
    grace = timedelta(days=7)
    assert core.purge_expired_tokens(conn, grace=grace, batch_size=2) == 2
    # oldest first: old0 and old1 went
    remaining = {r[0] for r in conn.execute("SELECT jti FROM core.auth_tokens")}
    assert remaining == {"old2", "recent", "live"}
    assert core.purge_expired_tokens(conn, grace=grace, batch_size=2) == 1
    assert core.purge_expired_tokens(conn, grace=grace, batch_size=2) == 0
    assert core.purge_expired_tokens(conn, grace=timedelta(0), batch_size=10) == 1  # recent
    assert core.get_token_by_jti(conn, jti="live").jti == "live"
