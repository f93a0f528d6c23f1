"""core.users and core.user_identities through the generated functions (sql/core/users.sql,
sql/core/identities.sql, sql/core/health.sql): values, types, ordering, pagination, NotFound/None,
soft delete / restore / purge, and a property test of usernames."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from registry_sql import core
from registry_sql.auth import hash_secret
from registry_sql.core import (
    Application,
    AuditAction,
    AuthProvider,
    OrgRole,
    UserRow,
)
from registry_sql.errors import Conflict, InvalidInput, NotFound

Conn = psycopg.Connection[Any]


def scrypt_hash(password: str, salt: bytes = b"registry-tests!!") -> str:
    """A real scrypt hash in the PHC-like form ck_users__hashed_password_is_hash accepts."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${salt_b64}${base64.b64encode(digest).decode().rstrip('=')}"


PW = scrypt_hash("s3cret-pass")


def make_user(
    conn: Conn,
    username: str,
    *,
    full_name: str | None = None,
    is_active: bool | None = None,
    created_by: uuid.UUID | None = None,
) -> UserRow:
    return core.create_user(
        conn,
        username=username,
        email=f"{username.lower()}@example.com",
        full_name=full_name,
        hashed_password=PW,
        is_active=is_active,
        created_by=created_by,
    )


def count(conn: Conn, table_query: Any, params: tuple[Any, ...] = ()) -> int:
    row = conn.execute(table_query, params).fetchone()
    assert row is not None
    return int(row[0])


# --------------------------------------------------------------------------- create / get


def test_create_user_returns_the_public_row(conn: Conn) -> None:
    admin = make_user(conn, "admin")
    user = core.create_user(
        conn,
        username="Alice",
        email="Alice@Example.com",
        full_name="Alice Liddell",
        hashed_password=PW,
        created_by=admin.id,
    )
    assert isinstance(user, UserRow)
    assert isinstance(user.id, uuid.UUID)
    assert (user.username, user.email, user.full_name) == (
        "Alice",
        "Alice@Example.com",
        "Alice Liddell",
    )
    assert user.auth_provider is AuthProvider.LOCAL  # the default
    assert user.is_active is True
    assert user.created_by == admin.id and user.updated_by == admin.id
    assert user.deleted_at is None and user.deleted_by is None and user.last_login_at is None
    assert user.created_at.tzinfo is not None
    assert user.created_at == user.updated_at
    assert abs(user.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert "hashed_password" not in UserRow.model_fields  # never returned by UserRow queries
    # The hash is stored as given.
    stored = conn.execute("SELECT hashed_password FROM core.users WHERE id = %s", (user.id,))
    assert stored.fetchone() == (PW,)

    sso = core.create_user(
        conn,
        username="bob",
        email="bob@example.com",
        auth_provider=AuthProvider.OIDC,
        is_active=False,
    )
    assert sso.auth_provider is AuthProvider.OIDC and sso.is_active is False


def test_get_user_lookups_are_case_insensitive_and_raise_not_found(conn: Conn) -> None:
    user = make_user(conn, "Carol.Case")
    assert core.get_user_by_id(conn, id=user.id) == user
    assert core.get_user_by_username(conn, username="carol.case") == user
    assert core.get_user_by_username(conn, username="CAROL.CASE") == user
    assert core.get_user_by_email(conn, email="CAROL.CASE@EXAMPLE.COM") == user

    missing = uuid.uuid4()
    with pytest.raises(NotFound) as info:
        core.get_user_by_id(conn, id=missing)
    assert "core.get_user_by_id" in str(info.value) and str(missing) in str(info.value)
    with pytest.raises(NotFound):
        core.get_user_by_username(conn, username="nobody")
    with pytest.raises(NotFound):
        core.get_user_by_email(conn, email="nobody@example.com")
    # ILIKE-style wildcards are not wildcards here.
    with pytest.raises(NotFound):
        core.get_user_by_username(conn, username="carol_case")


def test_list_users_by_ids_skips_missing_and_deleted(conn: Conn) -> None:
    users = [make_user(conn, f"byid{i}") for i in range(3)]
    assert core.soft_delete_user(conn, id=users[1].id) == 1
    found = core.list_users_by_ids(conn, ids=[u.id for u in users] + [uuid.uuid4()])
    assert [u.id for u in found] == sorted([users[0].id, users[2].id])
    assert core.list_users_by_ids(conn, ids=[]) == []


def test_find_user_for_login(conn: Conn) -> None:
    user = make_user(conn, "dora", full_name="Dora")
    login = core.find_user_for_login(conn, email="DORA@example.com")
    assert login is not None
    assert (login.id, login.username, login.hashed_password) == (user.id, "dora", PW)
    assert login.auth_provider is AuthProvider.LOCAL

    sso = core.create_user(
        conn, username="sso", email="sso@example.com", auth_provider=AuthProvider.SAML
    )
    sso_login = core.find_user_for_login(conn, email="sso@example.com")
    assert sso_login is not None and sso_login.id == sso.id
    assert sso_login.hashed_password is None  # password login not available

    make_user(conn, "idle", is_active=False)
    assert core.find_user_for_login(conn, email="idle@example.com") is None
    core.soft_delete_user(conn, id=user.id)
    assert core.find_user_for_login(conn, email="dora@example.com") is None
    assert core.find_user_for_login(conn, email="nobody@example.com") is None


# --------------------------------------------------------------------------- list / search


def test_list_users_keyset_pagination_and_counts(conn: Conn) -> None:
    created = [make_user(conn, f"page{i}", is_active=(i % 2 == 0)) for i in range(5)]
    expected = sorted(created, key=lambda u: (u.created_at, u.id), reverse=True)

    pages: list[list[UserRow]] = []
    after: UserRow | None = None
    while True:
        page = core.list_users(
            conn,
            limit=2,
            after_created_at=after.created_at if after else None,
            after_id=after.id if after else None,
        )
        if not page:
            break
        pages.append(page)
        after = page[-1]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [u.id for p in pages for u in p] == [u.id for u in expected]

    active = core.list_users(conn, is_active=True, limit=10)
    assert [u.username for u in active] == ["page4", "page2", "page0"]
    inactive = core.list_users(conn, is_active=False, limit=10)
    assert [u.username for u in inactive] == ["page3", "page1"]
    assert core.count_users(conn) == 5
    assert core.count_users(conn, is_active=True) == 3
    assert core.count_users(conn, is_active=False) == 2
    core.soft_delete_user(conn, id=created[0].id)
    assert core.count_users(conn) == 4
    assert created[0].id not in {u.id for u in core.list_users(conn, limit=10)}


def test_search_users_substring_typo_escape_and_pagination(conn: Conn) -> None:
    alice = make_user(conn, "alice", full_name="Alice Liddell")
    make_user(conn, "bob", full_name="Bob Builder")
    under = make_user(conn, "a_b", full_name="Underscore")
    make_user(conn, "axb", full_name="Not Underscore")
    carol = make_user(conn, "carol", full_name="Carol Liddell", is_active=False)

    # substring on full name, newest first
    hits = core.search_users(conn, q="liddell", limit=10)
    assert [u.id for u in hits] == [carol.id, alice.id]
    assert core.count_search_users(conn, q="liddell") == 2
    # typo: word similarity
    assert alice.id in {u.id for u in core.search_users(conn, q="Liddel", limit=10)}
    # LIKE wildcards in q are literal
    assert [u.id for u in core.search_users(conn, q="a_b", limit=10)] == [under.id]
    assert core.search_users(conn, q="%", limit=10) == []
    # is_active filter
    assert [u.id for u in core.search_users(conn, q="liddell", is_active=True, limit=10)] == [
        alice.id
    ]
    assert core.count_search_users(conn, q="liddell", is_active=False) == 1
    # pagination
    first = core.search_users(conn, q="liddell", limit=1)
    second = core.search_users(
        conn, q="liddell", limit=1, after_created_at=first[0].created_at, after_id=first[0].id
    )
    assert [first[0].id, second[0].id] == [carol.id, alice.id]
    # deleted users are not found
    core.soft_delete_user(conn, id=alice.id)
    assert [u.id for u in core.search_users(conn, q="liddell", limit=10)] == [carol.id]
    assert core.count_search_users(conn, q="liddell") == 1


def test_search_users_by_similarity_ranks_best_first(conn: Conn) -> None:
    make_user(conn, "jonathan", full_name="Jonathan Harker")
    make_user(conn, "jon", full_name="Jon Snow")
    make_user(conn, "mina", full_name="Mina Murray")
    hits = core.search_users_by_similarity(conn, q="jonathan", limit=5)
    assert hits, "expected at least one similar user"
    assert hits[0].username == "jonathan"
    assert hits[0].score == pytest.approx(1.0)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(s, float) and 0 < s <= 1 for s in scores)
    assert "mina" not in {h.username for h in hits}
    assert len(core.search_users_by_similarity(conn, q="jonathan", limit=1)) == 1


# --------------------------------------------------------------------------- updates


def test_update_user_keeps_omitted_fields(conn: Conn) -> None:
    admin = make_user(conn, "root")
    user = make_user(conn, "erin", full_name="Erin")
    updated = core.update_user(conn, id=user.id, full_name="Erin E.", updated_by=admin.id)
    assert updated.full_name == "Erin E."
    assert (updated.username, updated.email, updated.is_active) == (user.username, user.email, True)
    assert updated.updated_by == admin.id
    assert updated.updated_at > user.updated_at  # trg_users__set_updated_at
    off = core.update_user(conn, id=user.id, is_active=False, auth_provider=AuthProvider.SAML)
    assert off.is_active is False and off.auth_provider is AuthProvider.SAML
    assert off.full_name == "Erin E." and off.updated_by is None

    make_user(conn, "frank")
    with pytest.raises(Conflict) as info:
        core.update_user(conn, id=user.id, username="FRANK")
    assert info.value.constraint == "uq_users__username_lower"
    assert core.get_user_by_id(conn, id=user.id).username == "erin"
    with pytest.raises(NotFound):
        core.update_user(conn, id=uuid.uuid4(), full_name="x")
    core.soft_delete_user(conn, id=user.id)
    with pytest.raises(NotFound):
        core.update_user(conn, id=user.id, full_name="ghost")


def test_update_user_password_and_record_login(conn: Conn) -> None:
    user = make_user(conn, "gina")
    new_hash = scrypt_hash("another one")
    assert core.update_user_password(conn, id=user.id, hashed_password=new_hash) == 1
    login = core.find_user_for_login(conn, email="gina@example.com")
    assert login is not None and login.hashed_password == new_hash
    assert core.update_user_password(conn, id=uuid.uuid4(), hashed_password=new_hash) == 0
    with pytest.raises(InvalidInput) as info:
        core.update_user_password(conn, id=user.id, hashed_password=None)
    assert info.value.constraint == "ck_users__local_requires_password"
    with pytest.raises(InvalidInput) as info:
        core.update_user_password(conn, id=user.id, hashed_password="plaintext!")
    assert info.value.constraint == "ck_users__hashed_password_is_hash"
    login = core.find_user_for_login(conn, email="gina@example.com")
    assert login is not None and login.hashed_password == new_hash  # unchanged

    sso = core.create_user(
        conn,
        username="sam",
        email="sam@example.com",
        hashed_password=PW,
        auth_provider=AuthProvider.OIDC,
    )
    assert core.update_user_password(conn, id=sso.id, hashed_password=None) == 1

    assert core.record_user_login(conn, id=user.id) == 1
    logged = core.get_user_by_id(conn, id=user.id)
    assert logged.last_login_at is not None
    assert abs(logged.last_login_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert core.record_user_login(conn, id=uuid.uuid4()) == 0


# --------------------------------------------------------------------------- soft delete etc.


def _attach_everything(conn: Conn, user: UserRow) -> uuid.UUID:
    """Give the user an identity, a membership, a grant, a token and a key; returns the org."""
    org = core.create_organization(conn, name="Attach", slug=f"attach-{user.username}")
    core.add_organization_member(conn, organization_id=org.id, user_id=user.id)
    core.link_identity(
        conn,
        user_id=user.id,
        provider=AuthProvider.OIDC,
        issuer="https://idp",
        subject=f"sub-{user.username}",
    )
    core.grant_role_by_name(
        conn, user_id=user.id, application=Application.MLOPS, role_name="viewer"
    )
    core.issue_token(
        conn,
        user_id=user.id,
        application=Application.MLOPS,
        jti=f"jti-{user.username}",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    core.create_api_key(
        conn,
        application=Application.MLOPS,
        name="k",
        key_prefix="rsk_test",
        key_hash=hash_secret(f"key-{user.username}"),
        user_id=user.id,
    )
    return org.id


def test_soft_delete_hides_user_revokes_credentials_and_frees_username(conn: Conn) -> None:
    admin = make_user(conn, "admin")
    user = make_user(conn, "harry")
    _attach_everything(conn, user)

    assert core.soft_delete_user(conn, id=user.id, deleted_by=admin.id) == 1
    assert core.soft_delete_user(conn, id=user.id) == 0  # already deleted
    with pytest.raises(NotFound):
        core.get_user_by_id(conn, id=user.id)
    with pytest.raises(NotFound):
        core.get_user_by_username(conn, username="harry")
    assert core.list_users_by_ids(conn, ids=[user.id]) == []
    assert core.search_users(conn, q="harry", limit=5) == []
    # credentials revoked in the same statement
    token = core.get_token_by_jti(conn, jti="jti-harry")
    assert token.revoked_at is not None and token.revoked_reason == "user deleted"
    keys = core.list_user_api_keys(conn, user_id=user.id, include_revoked=True)
    assert len(keys) == 1 and keys[0].revoked_at is not None and keys[0].revoked_by == admin.id
    row = conn.execute(
        "SELECT deleted_by, updated_by, is_active FROM core.users WHERE id = %s", (user.id,)
    ).fetchone()
    assert row == (admin.id, admin.id, False)

    # the username and e-mail are free again among live users
    again = make_user(conn, "HARRY")
    assert again.id != user.id
    with pytest.raises(Conflict) as info:
        core.restore_user(conn, id=user.id)
    assert info.value.constraint in ("uq_users__username_lower", "uq_users__email_lower")
    with pytest.raises(NotFound):  # still deleted: the refused restore wrote nothing
        core.get_user_by_id(conn, id=user.id)

    core.soft_delete_user(conn, id=again.id)
    restored = core.restore_user(conn, id=user.id, restored_by=admin.id)
    assert restored.id == user.id and restored.deleted_at is None and restored.is_active
    assert restored.updated_by == admin.id
    # tokens and keys stay revoked, memberships and grants are back
    assert core.find_active_token_by_jti(conn, jti="jti-harry") is None
    assert core.list_user_api_keys(conn, user_id=user.id, include_revoked=False) == []
    assert len(core.list_user_organizations(conn, user_id=user.id)) == 1
    with pytest.raises(NotFound):  # restoring a live user
        core.restore_user(conn, id=user.id)


def test_purge_user_cascades_and_keeps_audit_rows(conn: Conn) -> None:
    admin = make_user(conn, "admin")
    user = make_user(conn, "ivan")
    child = make_user(conn, "ivans.child", created_by=user.id)
    _attach_everything(conn, user)
    event = core.create_audit_event(
        conn,
        application=Application.CORE,
        action=AuditAction.DELETE,
        entity_type="user",
        entity_id=str(user.id),
        actor_user_id=admin.id,
    )
    actor_event = core.create_audit_event(
        conn,
        application=Application.CORE,
        action=AuditAction.LOGIN,
        entity_type="session",
        actor_user_id=user.id,
        actor_username="ivan",
    )
    core.soft_delete_user(conn, id=user.id)  # purge works on soft-deleted users too

    assert core.purge_user(conn, id=user.id) == 1
    assert core.purge_user(conn, id=user.id) == 0
    for table in (
        "user_identities",
        "organization_memberships",
        "user_roles",
        "auth_tokens",
        "api_keys",
    ):
        query = sql.SQL("SELECT count(*) FROM core.{} WHERE user_id = %s").format(
            sql.Identifier(table)
        )
        n = count(conn, query, (user.id,))
        assert n == 0, f"core.{table} kept rows of a purged user"
    assert count(conn, "SELECT count(*) FROM core.users WHERE id = %s", (user.id,)) == 0
    # ON DELETE SET NULL actor columns
    assert core.get_user_by_id(conn, id=child.id).created_by is None
    # core.audit_log has no FK: the events survive, including the purged actor's
    assert core.get_audit_event(conn, id=event.id, occurred_at=event.occurred_at).entity_id == str(
        user.id
    )
    kept = core.get_audit_event(conn, id=actor_event.id, occurred_at=actor_event.occurred_at)
    assert kept.actor_user_id == user.id and kept.actor_username == "ivan"


# --------------------------------------------------------------------------- identities


def test_identities_link_find_login_unlink(conn: Conn) -> None:
    user = make_user(conn, "judy")
    other = make_user(conn, "kim")
    ident = core.link_identity(
        conn,
        user_id=user.id,
        provider=AuthProvider.OIDC,
        issuer="https://idp.example.com",
        subject="judy-sub",
        email="judy@idp.example.com",
        claims={"groups": ["a"]},
    )
    assert ident.user_id == user.id and ident.provider is AuthProvider.OIDC
    assert ident.claims == {"groups": ["a"]} and ident.last_login_at is None
    # re-link: refreshes claims, keeps e-mail when None
    again = core.link_identity(
        conn,
        user_id=user.id,
        provider=AuthProvider.OIDC,
        issuer="https://idp.example.com",
        subject="judy-sub",
        claims={"groups": ["b"]},
    )
    assert again.id == ident.id and again.claims == {"groups": ["b"]}
    assert again.email == "judy@idp.example.com"
    # linked to another user: never moved, NotFound
    with pytest.raises(NotFound):
        core.link_identity(
            conn,
            user_id=other.id,
            provider=AuthProvider.OIDC,
            issuer="https://idp.example.com",
            subject="judy-sub",
        )
    assert (
        core.find_identity(
            conn, provider=AuthProvider.OIDC, issuer="https://idp.example.com", subject="judy-sub"
        )
        == again
    )
    assert (
        core.find_identity(
            conn, provider=AuthProvider.SAML, issuer="https://idp.example.com", subject="judy-sub"
        )
        is None
    )
    found = core.find_user_by_identity(
        conn, provider=AuthProvider.OIDC, issuer="https://idp.example.com", subject="judy-sub"
    )
    assert found is not None and found.id == user.id
    saml = core.link_identity(
        conn, user_id=user.id, provider=AuthProvider.SAML, issuer="urn:corp", subject="judy"
    )
    assert [i.id for i in core.list_user_identities(conn, user_id=user.id)] == [ident.id, saml.id]
    assert core.list_user_identities(conn, user_id=other.id) == []

    assert core.record_identity_login(conn, id=ident.id, claims={"groups": ["c"]}) == 1
    logged = core.find_identity(
        conn, provider=AuthProvider.OIDC, issuer="https://idp.example.com", subject="judy-sub"
    )
    assert logged is not None and logged.last_login_at is not None
    assert logged.claims == {"groups": ["c"]} and logged.email == "judy@idp.example.com"
    assert core.record_identity_login(conn, id=uuid.uuid4()) == 0

    core.soft_delete_user(conn, id=user.id)
    assert (
        core.find_user_by_identity(
            conn, provider=AuthProvider.OIDC, issuer="https://idp.example.com", subject="judy-sub"
        )
        is None
    )
    assert core.unlink_identity(conn, id=saml.id, user_id=other.id) == 0  # not kim's
    assert core.unlink_identity(conn, id=saml.id, user_id=user.id) == 1
    assert [i.id for i in core.list_user_identities(conn, user_id=user.id)] == [ident.id]


# --------------------------------------------------------------------------- health


def test_health_queries(conn: Conn, pg_version: int) -> None:
    assert core.health_check(conn) == 1
    version = core.get_server_version(conn)
    assert isinstance(version, int) and version // 10000 == pg_version


def test_memberships_survive_in_user_organizations(conn: Conn) -> None:
    # list_user_organizations reflects role changes made through the membership queries
    user = make_user(conn, "lena")
    org = core.create_organization(conn, name="Lena Org", slug="lena-org")
    core.add_organization_member(conn, organization_id=org.id, user_id=user.id, role=OrgRole.OWNER)
    [row] = core.list_user_organizations(conn, user_id=user.id)
    assert row.membership_role is OrgRole.OWNER


# --------------------------------------------------------------------------- property test

#: Any character PostgreSQL text can hold (no NUL; no lone surrogates, which are not UTF-8).
CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
USERNAMES = st.text(alphabet=CHARS, min_size=1, max_size=150)
INJECTIONS = [
    "'; DROP TABLE core.users; --",
    "Robert'); DROP TABLE students;--",
    "\\' OR '1'='1",
    "%(username)s",
    "$1",
    "%",
    "\\",
]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(username=USERNAMES)
@example(username="x" * 150)
@example(username=INJECTIONS[0])
def test_property_username_round_trips(conn: Conn, username: str) -> None:
    created = core.create_user(
        conn, username=username, email=f"{uuid.uuid4().hex}@example.com", hashed_password=PW
    )
    try:
        assert created.username == username
        fetched = core.get_user_by_username(conn, username=username)
        assert fetched.id == created.id
        assert fetched.username.encode() == username.encode()
    finally:
        core.purge_user(conn, id=created.id)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(prefix=st.text(alphabet=CHARS, max_size=20), suffix=st.text(alphabet=CHARS, max_size=20))
def test_property_username_with_nul_is_refused(conn: Conn, prefix: str, suffix: str) -> None:
    username = prefix + "\x00" + suffix
    before = core.count_users(conn)
    with pytest.raises(InvalidInput):
        core.create_user(
            conn, username=username, email=f"{uuid.uuid4().hex}@example.com", hashed_password=PW
        )
    assert core.count_users(conn) == before


def test_injection_looking_usernames_are_data(conn: Conn) -> None:
    for i, name in enumerate(INJECTIONS):
        row = core.create_user(conn, username=name, email=f"inj{i}@example.com", hashed_password=PW)
        assert core.get_user_by_username(conn, username=name).id == row.id
        assert core.get_user_by_username(conn, username=name).username == name
    assert core.count_users(conn) == len(INJECTIONS)
    # the table is still there and searchable with the same strings
    assert len(core.search_users(conn, q="DROP TABLE", limit=10)) == 2
