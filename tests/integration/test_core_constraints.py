"""Every named constraint of schema ``core`` is violated once, and the translated error checked.

One case per CHECK, UNIQUE (constraints and ``uq_*`` unique indexes), FOREIGN KEY, and per NOT
NULL column without a default. A case goes through the generated function when one can reach
the constraint, else through plain SQL inside :func:`registry_sql.db.transaction` (which
translates driver errors). After each refused write the row counts of every ``core`` table are
compared with the counts before it: nothing was written, including by earlier statements of the
same transaction.

The cases share one database per module and server (a clone of the migrated template, with a few
baseline rows). Every case is refused and rolled back, so the baseline stays the same for all.
Meta-tests read the catalogs and fail when a constraint or NOT NULL column has no case.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from catalog_support import named_constraints, required_columns

from registry_sql import core
from registry_sql.auth import hash_secret
from registry_sql.core import Application, AuditAction, AuthProvider, OrgRole
from registry_sql.db import transaction
from registry_sql.errors import (
    Conflict,
    ForeignKeyMissing,
    InvalidInput,
    RegistrySqlError,
)
from registry_sql.testing import RegistryTestServer

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

Conn = psycopg.Connection[Any]

#: A None the type checker lets through where the generated signature wants a value: the point of
#: the NOT NULL cases is that the database, not Python, refuses it.
NULL: Any = None


def scrypt_hash(password: str, salt: bytes = b"registry-tests!!") -> str:
    """A real scrypt hash in the PHC-like form ck_users__hashed_password_is_hash accepts."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${salt_b64}${base64.b64encode(digest).decode().rstrip('=')}"


PW = scrypt_hash("correct horse battery staple")


@dataclass(frozen=True)
class Base:
    """Rows committed once per module; every case is measured against them."""

    user_id: uuid.UUID
    username: str
    email: str
    user2_id: uuid.UUID
    org_id: uuid.UUID
    org_slug: str
    role_id: uuid.UUID
    permission_id: uuid.UUID
    key_id: uuid.UUID
    key_hash: str
    jti: str
    token_hash: str


# --------------------------------------------------------------------------- shared database


@pytest.fixture(scope="module")
def shared_url(
    registry_server: RegistryTestServer, registry_migrate: Callable[[str], object]
) -> Iterator[str]:
    """One clone of the migrated template for this module (per server)."""
    dbname = registry_server.clone(registry_migrate, prefix="c_")
    try:
        yield registry_server.url(dbname)
    finally:
        registry_server.drop(dbname)


@pytest.fixture(scope="module")
def sconn(shared_url: str) -> Iterator[Conn]:
    with psycopg.connect(shared_url, autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def base(sconn: Conn) -> Base:
    c = sconn
    user = core.create_user(
        c, username="base.user", email="base.user@example.com", hashed_password=PW
    )
    user2 = core.create_user(
        c, username="base.user2", email="base.user2@example.com", hashed_password=PW
    )
    org = core.create_organization(c, name="Base Org", slug="base-org")
    core.add_organization_member(c, organization_id=org.id, user_id=user.id)
    core.link_identity(
        c,
        user_id=user.id,
        provider=AuthProvider.OIDC,
        issuer="https://idp.example.com",
        subject="base-subject",
    )
    role = core.get_role_by_name(c, application=Application.MLOPS, name="viewer")
    core.grant_role(c, user_id=user.id, role_id=role.id)
    permission_id = c.execute(
        "SELECT id FROM core.permissions WHERE code = 'mlops:model:read'"
    ).fetchone()
    assert permission_id is not None
    key_hash = hash_secret("rsk_base-key-secret")
    key = core.create_api_key(
        c,
        application=Application.MLOPS,
        name="base key",
        key_prefix="rsk_base",
        key_hash=key_hash,
        user_id=user.id,
    )
    token_hash = hash_secret("base-token")
    core.issue_token(
        c,
        user_id=user.id,
        application=Application.MLOPS,
        jti="base-jti",
        token_hash=token_hash,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    return Base(
        user_id=user.id,
        username=user.username,
        email=user.email,
        user2_id=user2.id,
        org_id=org.id,
        org_slug=org.slug,
        role_id=role.id,
        permission_id=permission_id[0],
        key_id=key.id,
        key_hash=key_hash,
        jti="base-jti",
        token_hash=token_hash,
    )


COUNTS = """
SELECT (SELECT count(*) FROM core.users),
       (SELECT count(*) FROM core.organizations),
       (SELECT count(*) FROM core.user_identities),
       (SELECT count(*) FROM core.organization_memberships),
       (SELECT count(*) FROM core.roles),
       (SELECT count(*) FROM core.permissions),
       (SELECT count(*) FROM core.role_permissions),
       (SELECT count(*) FROM core.user_roles),
       (SELECT count(*) FROM core.api_keys),
       (SELECT count(*) FROM core.auth_tokens),
       (SELECT count(*) FROM core.audit_log),
       (SELECT count(*) FROM core.partitioned_tables),
       (SELECT count(*) FROM core.auth_tokens WHERE usage_count <> 0),
       (SELECT count(*) FROM core.users WHERE deleted_at IS NOT NULL OR updated_by IS NOT NULL),
       (SELECT count(*) FROM core.organizations
         WHERE deleted_at IS NOT NULL OR updated_by IS NOT NULL),
       (SELECT count(*) FROM core.organization_memberships
         WHERE deleted_at IS NOT NULL OR updated_by IS NOT NULL),
       (SELECT count(*) FROM core.api_keys WHERE revoked_at IS NOT NULL)
"""


def snapshot(c: Conn) -> tuple[int, ...]:
    """Row counts of every core table, plus counters of the updates a case may attempt."""
    row = c.execute(COUNTS).fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


# --------------------------------------------------------------------------- the cases


def _fresh_hash() -> str:
    return hash_secret(uuid.uuid4().hex)


def _future() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


def _sql(query: Any, params: tuple[Any, ...] = ()) -> Callable[[Conn, Base], object]:
    """A case that runs one plain SQL statement (translated by transaction())."""

    def run(c: Conn, b: Base) -> object:
        values = tuple(
            getattr(b, p[2:]) if isinstance(p, str) and p.startswith("b.") else p for p in params
        )
        return c.execute(query, values)

    return run


def _new() -> uuid.UUID:
    return uuid.uuid4()


def _dup_username(c: Conn, b: Base) -> object:
    # Two statements in one transaction: the first insert must be rolled back too.
    core.create_user(c, username="Case.Dup", email="case.dup1@example.com", hashed_password=PW)
    return core.create_user(
        c, username="CASE.DUP", email="case.dup2@example.com", hashed_password=PW
    )


@dataclass(frozen=True)
class Case:
    id: str  # the constraint name, or "nn:<table>.<column>" for a NOT NULL column
    error: type[RegistrySqlError]
    field: str | None
    violate: Callable[[Conn, Base], object]

    @property
    def constraint(self) -> str | None:
        return None if self.id.startswith("nn:") else self.id


def _user(**kw: Any) -> Callable[[Conn, Base], object]:
    args: dict[str, Any] = {
        "username": f"u{uuid.uuid4().hex[:8]}",
        "email": f"{uuid.uuid4().hex[:8]}@example.com",
        "hashed_password": PW,
    } | kw
    return lambda c, b: core.create_user(c, **args)


def _org(**kw: Any) -> Callable[[Conn, Base], object]:
    args: dict[str, Any] = {"name": "Some Org", "slug": f"o-{uuid.uuid4().hex[:8]}"} | kw
    return lambda c, b: core.create_organization(c, **args)


def _identity(**kw: Any) -> Callable[[Conn, Base], object]:
    def run(c: Conn, b: Base) -> object:
        args: dict[str, Any] = {
            "user_id": b.user_id,
            "provider": AuthProvider.SAML,
            "issuer": "urn:idp",
            "subject": uuid.uuid4().hex,
        } | kw
        return core.link_identity(c, **args)

    return run


def _key(**kw: Any) -> Callable[[Conn, Base], object]:
    def run(c: Conn, b: Base) -> object:
        args: dict[str, Any] = {
            "application": Application.MLOPS,
            "name": "ci key",
            "key_prefix": "rsk_abcd",
            "key_hash": _fresh_hash(),
        } | {
            k: (getattr(b, v[2:]) if isinstance(v, str) and v.startswith("b.") else v)
            for k, v in kw.items()
        }
        return core.create_api_key(c, **args)

    return run


def _token(**kw: Any) -> Callable[[Conn, Base], object]:
    def run(c: Conn, b: Base) -> object:
        args: dict[str, Any] = {
            "user_id": b.user_id,
            "application": Application.MLOPS,
            "jti": uuid.uuid4().hex,
            "expires_at": _future(),
        } | {
            k: (getattr(b, v[2:]) if isinstance(v, str) and v.startswith("b.") else v)
            for k, v in kw.items()
        }
        return core.issue_token(c, **args)

    return run


def _audit(**kw: Any) -> Callable[[Conn, Base], object]:
    args: dict[str, Any] = {
        "application": Application.CORE,
        "action": AuditAction.UPDATE,
        "entity_type": "user",
    } | kw
    return lambda c, b: core.create_audit_event(c, **args)


INS_MEMBERSHIP = (
    "INSERT INTO core.organization_memberships (organization_id, user_id, invited_by, created_by)"
    " VALUES (%s, %s, %s, %s)"
)
INS_USER_ROLE = (
    "INSERT INTO core.user_roles (user_id, role_id, organization_id, granted_by)"
    " VALUES (%s, %s, %s, %s)"
)
INS_PERMISSION = "INSERT INTO core.permissions (application, code) VALUES (%s, %s)"
INS_ROLE_PERMISSION = "INSERT INTO core.role_permissions (role_id, permission_id) VALUES (%s, %s)"
INS_PARTITIONED = (
    "INSERT INTO core.partitioned_tables (parent, partition_interval, premake, retention)"
    " VALUES (%s::regclass, %s::interval, %s, %s::interval)"
)
INS_IDENTITY = (
    "INSERT INTO core.user_identities (user_id, provider, issuer, subject) VALUES (%s, %s, %s, %s)"
)

CASES: list[Case] = [
    # ---- core.users
    Case("ck_users__username_length", InvalidInput, "username", _user(username="")),
    Case("ck_users__email_format", InvalidInput, "email", _user(email="no-at-sign")),
    Case(
        "ck_users__local_requires_password",
        InvalidInput,
        "hashed_password",
        _user(hashed_password=None),
    ),
    Case(
        "ck_users__hashed_password_is_hash",
        InvalidInput,
        "hashed_password",
        _user(hashed_password="hunter2-plaintext"),
    ),
    Case("fk_users__created_by", ForeignKeyMissing, "created_by", _user(created_by=_new())),
    Case(
        "fk_users__updated_by",
        ForeignKeyMissing,
        "updated_by",
        lambda c, b: core.update_user(c, id=b.user_id, full_name="X", updated_by=_new()),
    ),
    # soft_delete_user also sets updated_by to the same id, whose FK fires first: plain SQL.
    Case(
        "fk_users__deleted_by",
        ForeignKeyMissing,
        "deleted_by",
        _sql("UPDATE core.users SET deleted_by = %s WHERE id = %s", (_new(), "b.user_id")),
    ),
    Case("uq_users__username_lower", Conflict, "username", _dup_username),
    Case(
        "uq_users__email_lower",
        Conflict,
        "email",
        lambda c, b: core.create_user(
            c, username="someone.else", email=b.email.upper(), hashed_password=PW
        ),
    ),
    Case("nn:users.username", InvalidInput, "username", _user(username=NULL)),
    Case("nn:users.email", InvalidInput, "email", _user(email=NULL)),
    # ---- core.organizations
    Case("ck_organizations__name_length", InvalidInput, "name", _org(name="")),
    Case("ck_organizations__slug_format", InvalidInput, "slug", _org(slug="Not A Slug")),
    Case("ck_organizations__settings_object", InvalidInput, "settings", _org(settings=[1, 2])),
    Case("fk_organizations__created_by", ForeignKeyMissing, "created_by", _org(created_by=_new())),
    Case(
        "fk_organizations__updated_by",
        ForeignKeyMissing,
        "updated_by",
        lambda c, b: core.update_organization(c, id=b.org_id, name="Y", updated_by=_new()),
    ),
    Case(
        "fk_organizations__deleted_by",
        ForeignKeyMissing,
        "deleted_by",
        _sql("UPDATE core.organizations SET deleted_by = %s WHERE id = %s", (_new(), "b.org_id")),
    ),
    Case(
        "uq_organizations__slug",
        Conflict,
        "slug",
        lambda c, b: core.create_organization(c, name="Other", slug=b.org_slug),
    ),
    Case("nn:organizations.name", InvalidInput, "name", _org(name=NULL)),
    Case("nn:organizations.slug", InvalidInput, "slug", _org(slug=NULL)),
    # ---- core.user_identities
    Case(
        "ck_user_identities__provider_not_local",
        InvalidInput,
        "provider",
        _identity(provider=AuthProvider.LOCAL),
    ),
    Case("ck_user_identities__issuer_not_empty", InvalidInput, "issuer", _identity(issuer="")),
    Case("ck_user_identities__subject_not_empty", InvalidInput, "subject", _identity(subject="")),
    Case("ck_user_identities__claims_object", InvalidInput, "claims", _identity(claims=["a"])),
    Case("fk_user_identities__user_id", ForeignKeyMissing, "user_id", _identity(user_id=_new())),
    Case(
        "uq_user_identities__provider_issuer_subject",
        Conflict,
        "provider, issuer, subject",
        _sql(INS_IDENTITY, ("b.user2_id", "oidc", "https://idp.example.com", "base-subject")),
    ),
    Case("nn:user_identities.user_id", InvalidInput, "user_id", _identity(user_id=NULL)),
    Case("nn:user_identities.provider", InvalidInput, "provider", _identity(provider=NULL)),
    Case("nn:user_identities.issuer", InvalidInput, "issuer", _identity(issuer=NULL)),
    Case("nn:user_identities.subject", InvalidInput, "subject", _identity(subject=NULL)),
    # ---- core.organization_memberships (add_organization_member only inserts live rows that
    # exist, so its FKs are reached with plain SQL)
    Case(
        "fk_organization_memberships__organization_id",
        ForeignKeyMissing,
        "organization_id",
        _sql(INS_MEMBERSHIP, (_new(), "b.user2_id", None, None)),
    ),
    Case(
        "fk_organization_memberships__user_id",
        ForeignKeyMissing,
        "user_id",
        _sql(INS_MEMBERSHIP, ("b.org_id", _new(), None, None)),
    ),
    Case(
        "fk_organization_memberships__invited_by",
        ForeignKeyMissing,
        "invited_by",
        _sql(INS_MEMBERSHIP, ("b.org_id", "b.user2_id", _new(), None)),
    ),
    Case(
        "fk_organization_memberships__created_by",
        ForeignKeyMissing,
        "created_by",
        _sql(INS_MEMBERSHIP, ("b.org_id", "b.user2_id", None, _new())),
    ),
    Case(
        "fk_organization_memberships__updated_by",
        ForeignKeyMissing,
        "updated_by",
        lambda c, b: core.update_membership_role(
            c, organization_id=b.org_id, user_id=b.user_id, role=OrgRole.ADMIN, updated_by=_new()
        ),
    ),
    Case(
        "fk_organization_memberships__deleted_by",
        ForeignKeyMissing,
        "deleted_by",
        _sql(
            "UPDATE core.organization_memberships SET deleted_by = %s"
            " WHERE organization_id = %s AND user_id = %s",
            (_new(), "b.org_id", "b.user_id"),
        ),
    ),
    Case(
        "uq_organization_memberships__org_user",
        Conflict,
        "organization_id, user_id",
        _sql(INS_MEMBERSHIP, ("b.org_id", "b.user_id", None, None)),
    ),
    Case(
        "nn:organization_memberships.organization_id",
        InvalidInput,
        "organization_id",
        _sql(INS_MEMBERSHIP, (None, "b.user2_id", None, None)),
    ),
    Case(
        "nn:organization_memberships.user_id",
        InvalidInput,
        "user_id",
        _sql(INS_MEMBERSHIP, ("b.org_id", None, None, None)),
    ),
    # ---- core.roles
    Case(
        "ck_roles__name_format",
        InvalidInput,
        "name",
        lambda c, b: core.ensure_roles(c, application=Application.MLOPS, names=["Bad Name"]),
    ),
    Case(
        "uq_roles__application_name",
        Conflict,
        "application, name",
        _sql("INSERT INTO core.roles (application, name) VALUES ('mlops', 'viewer')"),
    ),
    Case(
        "nn:roles.application",
        InvalidInput,
        "application",
        lambda c, b: core.ensure_roles(c, application=NULL, names=["fine_name"]),
    ),
    Case(
        "nn:roles.name",
        InvalidInput,
        "name",
        _sql("INSERT INTO core.roles (application, name) VALUES ('mlops', NULL)"),
    ),
    # ---- core.permissions (reference data: no generated insert)
    Case(
        "ck_permissions__code_format",
        InvalidInput,
        "code",
        _sql(INS_PERMISSION, ("mlops", "mlops:model")),
    ),
    Case(
        "ck_permissions__code_matches_application",
        InvalidInput,
        "code",
        _sql(INS_PERMISSION, ("mlops", "airlock:thing:do")),
    ),
    Case(
        "uq_permissions__code",
        Conflict,
        "code",
        _sql(INS_PERMISSION, ("mlops", "mlops:model:read")),
    ),
    Case(
        "nn:permissions.application",
        InvalidInput,
        "application",
        _sql(INS_PERMISSION, (None, "mlops:thing:do")),
    ),
    Case("nn:permissions.code", InvalidInput, "code", _sql(INS_PERMISSION, ("mlops", None))),
    # ---- core.role_permissions
    Case(
        "fk_role_permissions__role_id",
        ForeignKeyMissing,
        "role_id",
        _sql(INS_ROLE_PERMISSION, (_new(), "b.permission_id")),
    ),
    Case(
        "fk_role_permissions__permission_id",
        ForeignKeyMissing,
        "permission_id",
        _sql(INS_ROLE_PERMISSION, ("b.role_id", _new())),
    ),
    Case(
        "nn:role_permissions.role_id",
        InvalidInput,
        "role_id",
        _sql(INS_ROLE_PERMISSION, (None, "b.permission_id")),
    ),
    Case(
        "nn:role_permissions.permission_id",
        InvalidInput,
        "permission_id",
        _sql(INS_ROLE_PERMISSION, ("b.role_id", None)),
    ),
    # ---- core.user_roles (grant_role only inserts existing, live rows: FKs via plain SQL)
    Case(
        "fk_user_roles__user_id",
        ForeignKeyMissing,
        "user_id",
        _sql(INS_USER_ROLE, (_new(), "b.role_id", None, None)),
    ),
    Case(
        "fk_user_roles__role_id",
        ForeignKeyMissing,
        "role_id",
        _sql(INS_USER_ROLE, ("b.user2_id", _new(), None, None)),
    ),
    Case(
        "fk_user_roles__organization_id",
        ForeignKeyMissing,
        "organization_id",
        _sql(INS_USER_ROLE, ("b.user2_id", "b.role_id", _new(), None)),
    ),
    Case(
        "fk_user_roles__granted_by",
        ForeignKeyMissing,
        "granted_by",
        _sql(INS_USER_ROLE, ("b.user2_id", "b.role_id", None, _new())),
    ),
    # The baseline grant is global (organization_id NULL): NULLS NOT DISTINCT makes it conflict.
    Case(
        "uq_user_roles__user_role_org",
        Conflict,
        "user_id, role_id, organization_id",
        _sql(INS_USER_ROLE, ("b.user_id", "b.role_id", None, None)),
    ),
    Case(
        "nn:user_roles.user_id",
        InvalidInput,
        "user_id",
        _sql(INS_USER_ROLE, (None, "b.role_id", None, None)),
    ),
    Case(
        "nn:user_roles.role_id",
        InvalidInput,
        "role_id",
        _sql(INS_USER_ROLE, ("b.user2_id", None, None, None)),
    ),
    # ---- core.api_keys
    Case("ck_api_keys__name_length", InvalidInput, "name", _key(name="")),
    Case("ck_api_keys__key_prefix_length", InvalidInput, "key_prefix", _key(key_prefix="abc")),
    Case("ck_api_keys__key_hash_sha256_hex", InvalidInput, "key_hash", _key(key_hash="A" * 64)),
    Case(
        "ck_api_keys__permissions_object", InvalidInput, "permissions", _key(permissions=["read"])
    ),
    Case("ck_api_keys__scopes_no_nulls", InvalidInput, "scopes", _key(scopes=["a:b:c", None])),
    Case(
        "ck_api_keys__expires_after_created",
        InvalidInput,
        "expires_at",
        _key(expires_at=datetime.now(UTC) - timedelta(days=1)),
    ),
    Case("fk_api_keys__user_id", ForeignKeyMissing, "user_id", _key(user_id=_new())),
    Case(
        "fk_api_keys__organization_id",
        ForeignKeyMissing,
        "organization_id",
        _key(organization_id=_new()),
    ),
    Case("fk_api_keys__created_by", ForeignKeyMissing, "created_by", _key(created_by=_new())),
    Case(
        "fk_api_keys__revoked_by",
        ForeignKeyMissing,
        "revoked_by",
        lambda c, b: core.revoke_api_key(c, id=b.key_id, revoked_by=_new()),
    ),
    Case("uq_api_keys__key_hash", Conflict, "key_hash", _key(key_hash="b.key_hash")),
    Case("nn:api_keys.application", InvalidInput, "application", _key(application=NULL)),
    Case("nn:api_keys.name", InvalidInput, "name", _key(name=NULL)),
    Case("nn:api_keys.key_prefix", InvalidInput, "key_prefix", _key(key_prefix=NULL)),
    Case("nn:api_keys.key_hash", InvalidInput, "key_hash", _key(key_hash=NULL)),
    # ---- core.auth_tokens
    Case("ck_auth_tokens__jti_length", InvalidInput, "jti", _token(jti="")),
    Case(
        "ck_auth_tokens__token_hash_sha256_hex",
        InvalidInput,
        "token_hash",
        _token(token_hash="not-a-digest"),
    ),
    Case(
        "ck_auth_tokens__expires_after_issued",
        InvalidInput,
        "expires_at",
        _token(expires_at=datetime.now(UTC) - timedelta(hours=1)),
    ),
    Case("ck_auth_tokens__max_uses_positive", InvalidInput, "max_uses", _token(max_uses=0)),
    Case(
        "ck_auth_tokens__usage_count_non_negative",
        InvalidInput,
        "usage_count",
        _sql("UPDATE core.auth_tokens SET usage_count = -1 WHERE jti = %s", ("b.jti",)),
    ),
    Case("fk_auth_tokens__user_id", ForeignKeyMissing, "user_id", _token(user_id=_new())),
    Case("uq_auth_tokens__jti", Conflict, "jti", _token(jti="b.jti")),
    Case("uq_auth_tokens__token_hash", Conflict, "token_hash", _token(token_hash="b.token_hash")),
    Case("nn:auth_tokens.user_id", InvalidInput, "user_id", _token(user_id=NULL)),
    Case("nn:auth_tokens.application", InvalidInput, "application", _token(application=NULL)),
    Case("nn:auth_tokens.jti", InvalidInput, "jti", _token(jti=NULL)),
    Case("nn:auth_tokens.expires_at", InvalidInput, "expires_at", _token(expires_at=NULL)),
    # ---- core.audit_log
    Case(
        "ck_audit_log__entity_type_not_empty", InvalidInput, "entity_type", _audit(entity_type="")
    ),
    Case("ck_audit_log__details_object", InvalidInput, "details", _audit(details=[1])),
    Case(
        "ck_audit_log__changed_fields_no_nulls",
        InvalidInput,
        "changed_fields",
        _audit(changed_fields=["email", None]),
    ),
    Case(
        "ck_audit_log__old_values_object", InvalidInput, "old_values", _audit(old_values="a string")
    ),
    Case("ck_audit_log__new_values_object", InvalidInput, "new_values", _audit(new_values=[1])),
    Case("nn:audit_log.application", InvalidInput, "application", _audit(application=NULL)),
    Case("nn:audit_log.action", InvalidInput, "action", _audit(action=NULL)),
    Case("nn:audit_log.entity_type", InvalidInput, "entity_type", _audit(entity_type=NULL)),
    # ---- core.partitioned_tables (maintenance registry; no generated function)
    Case(
        "ck_partitioned_tables__interval_positive",
        InvalidInput,
        "partition_interval",
        _sql(INS_PARTITIONED, ("core.users", "-1 day", 3, None)),
    ),
    Case(
        "ck_partitioned_tables__premake_range",
        InvalidInput,
        "premake",
        _sql(INS_PARTITIONED, ("core.users", "1 month", 500, None)),
    ),
    Case(
        "ck_partitioned_tables__retention_positive",
        InvalidInput,
        "retention",
        _sql(INS_PARTITIONED, ("core.users", "1 month", 3, "-1 day")),
    ),
    Case(
        "ck_partitioned_tables__audit_retention_floor",
        InvalidInput,
        "retention",
        _sql(
            "UPDATE core.partitioned_tables SET retention = '1 microsecond'"
            " WHERE parent = 'core.audit_log'::regclass"
        ),
    ),
    Case(
        "nn:partitioned_tables.parent",
        InvalidInput,
        "parent",
        _sql(INS_PARTITIONED, (None, "1 month", 3, None)),
    ),
    Case(
        "nn:partitioned_tables.partition_interval",
        InvalidInput,
        "partition_interval",
        _sql(INS_PARTITIONED, ("core.users", None, 3, None)),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_constraint_violation_is_translated_and_writes_nothing(
    case: Case, sconn: Conn, base: Base
) -> None:
    before = snapshot(sconn)
    with pytest.raises(RegistrySqlError) as info, transaction(sconn):
        case.violate(sconn, base)
    err = info.value
    assert type(err) is case.error, f"{type(err).__name__}: {err}"
    message = str(err)
    if case.constraint is not None:
        assert err.constraint == case.constraint
        assert case.constraint in message
    else:
        column = case.id.split(".", 1)[1]
        assert err.sqlstate == "23502"
        assert column in message and "NOT NULL" in message
    assert err.field == case.field, message
    # The message names the field (for composite keys, each column).
    for column in (case.field or "").split(", "):
        assert column in message
    assert sconn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert snapshot(sconn) == before, "a refused write left rows behind"


def test_duplicate_username_leaves_no_second_row(sconn: Conn, base: Base) -> None:
    """Done-when: a case-insensitive duplicate username is a Conflict naming the field and the
    index, and the database holds no second row."""
    with pytest.raises(Conflict) as info:
        core.create_user(
            sconn, username=base.username.upper(), email="other@example.com", hashed_password=PW
        )
    assert info.value.constraint == "uq_users__username_lower"
    assert info.value.field == "username"
    assert "username" in str(info.value) and "uq_users__username_lower" in str(info.value)
    row = sconn.execute(
        "SELECT count(*) FROM core.users WHERE lower(username) = lower(%s)", (base.username,)
    ).fetchone()
    assert row == (1,)
    assert core.get_user_by_username(sconn, username=base.username.upper()).id == base.user_id


# --------------------------------------------------------------------------- meta-tests

def test_every_constraint_has_a_case(conn: Conn) -> None:
    names = named_constraints(conn, "core")
    assert len(names) > 50  # sanity: the query sees the schema
    covered = {c.id for c in CASES}
    missing = sorted(names - covered)
    assert not missing, f"constraints of schema core without a violation case: {missing}"
    stale = sorted(c for c in covered if not c.startswith("nn:") and c not in names)
    assert not stale, f"cases for constraints that no longer exist: {stale}"


def test_every_not_null_column_without_default_has_a_case(conn: Conn) -> None:
    columns = required_columns(conn, "core")
    assert "users.username" in columns
    covered = {c.id[3:] for c in CASES if c.id.startswith("nn:")}
    missing = sorted(columns - covered)
    assert not missing, f"NOT NULL columns without default and without a case: {missing}"
    stale = sorted(covered - columns)
    assert not stale, f"NOT NULL cases for columns that are nullable or have a default: {stale}"


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
