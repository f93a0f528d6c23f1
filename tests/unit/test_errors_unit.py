"""Error translation and credential checks that need no server.

Server errors are built the way psycopg builds them, from the diagnostic fields PostgreSQL sends
(``info={DiagnosticField: bytes}``); tests/integration/test_runtime.py provokes the real ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import psycopg_pool
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import errors as pge
from psycopg import pq

from registry_sql.auth import (
    API_KEY_PREFIX,
    check_api_key,
    check_token,
    generate_api_key,
    hash_secret,
    secrets_match,
)
from registry_sql.errors import (
    ConfigError,
    Conflict,
    CredentialRejected,
    Forbidden,
    ForeignKeyMissing,
    ImmutableRecord,
    InvalidInput,
    LockTimeout,
    MigrationError,
    NotFound,
    PoolTimeout,
    QueryTimeout,
    RegistrySqlError,
    SerializationFailure,
    Unavailable,
    check_message,
    not_found,
    parse_constraint_name,
    register_check_messages,
    register_enum_labels,
    registered_check_messages,
    translate_error,
)

F = pq.DiagnosticField


def server_error(
    cls: type[psycopg.Error],
    sqlstate: str,
    message: str,
    *,
    detail: str | None = None,
    hint: str | None = None,
    constraint: str | None = None,
    schema: str | None = None,
    table: str | None = None,
    column: str | None = None,
    datatype: str | None = None,
) -> psycopg.Error:
    fields = {
        F.SQLSTATE: sqlstate,
        F.MESSAGE_PRIMARY: message,
        F.MESSAGE_DETAIL: detail,
        F.MESSAGE_HINT: hint,
        F.CONSTRAINT_NAME: constraint,
        F.SCHEMA_NAME: schema,
        F.TABLE_NAME: table,
        F.COLUMN_NAME: column,
        F.DATATYPE_NAME: datatype,
    }
    info: dict[int, bytes | None] = {
        int(k): (v.encode() if v is not None else None) for k, v in fields.items()
    }
    return cls(message, info=info)


# ------------------------------------------------------------------ constraint names


def test_parse_constraint_name() -> None:
    assert parse_constraint_name("uq_users__username_lower") == ("uq", "users", "username_lower")
    assert parse_constraint_name("fk_api_keys__user_id") == ("fk", "api_keys", "user_id")
    assert parse_constraint_name("ck_user_roles__x_y") == ("ck", "user_roles", "x_y")
    assert parse_constraint_name("users_pkey") is None
    assert parse_constraint_name("uq_nodoubleunderscore") is None


# ------------------------------------------------------------------ class 23


def test_unique_violation_names_field_value_and_constraint() -> None:
    exc = server_error(
        pge.UniqueViolation,
        "23505",
        'duplicate key value violates unique constraint "uq_users__username_lower"',
        detail="Key (lower(username))=(alice) already exists.",
        constraint="uq_users__username_lower",
        schema="core",
        table="users",
    )
    err = translate_error(exc)
    assert isinstance(err, Conflict)
    assert str(err) == (
        "core.users: username 'alice' is already taken (uq_users__username_lower); "
        "choose another username"
    )
    assert (err.field, err.constraint, err.sqlstate, err.table) == (
        "username",
        "uq_users__username_lower",
        "23505",
        "core.users",
    )
    assert not err.retryable


def test_unique_violation_multi_column_and_casts() -> None:
    exc = server_error(
        pge.UniqueViolation,
        "23505",
        "duplicate key",
        detail=(
            "Key (provider, issuer, lower(subject::text))=(oidc, https://x, bob) already exists."
        ),
        constraint="uq_user_identities__provider_issuer_subject",
        schema="core",
        table="user_identities",
    )
    err = translate_error(exc, query="create_identity")
    assert isinstance(err, Conflict)
    assert err.field == "provider, issuer, subject"
    assert str(err).startswith("create_identity: core.user_identities: provider='oidc', ")
    assert "(uq_user_identities__provider_issuer_subject)" in str(err)


def test_unique_violation_without_detail_uses_constraint_name() -> None:
    exc = server_error(
        pge.UniqueViolation,
        "23505",
        "duplicate key",
        constraint="uq_organizations__slug",
        schema="core",
        table="organizations",
    )
    err = translate_error(exc)
    assert err.field == "slug"
    assert "choose another slug" in str(err)


def test_foreign_key_missing_parent() -> None:
    exc = server_error(
        pge.ForeignKeyViolation,
        "23503",
        'insert or update on table "api_keys" violates foreign key constraint '
        '"fk_api_keys__user_id"',
        detail='Key (user_id)=(0f0e...) is not present in table "users".',
        constraint="fk_api_keys__user_id",
        schema="core",
        table="api_keys",
    )
    err = translate_error(exc)
    assert isinstance(err, ForeignKeyMissing)
    assert err.field == "user_id"
    assert "core.users row that does not exist (fk_api_keys__user_id)" in str(err)
    assert "create that row first" in str(err)


def test_foreign_key_still_referenced_on_delete() -> None:
    exc = server_error(
        pge.ForeignKeyViolation,
        "23503",
        'update or delete on table "users" violates foreign key constraint '
        '"fk_api_keys__user_id" on table "api_keys"',
        detail='Key (id)=(42) is still referenced from table "api_keys".',
        constraint="fk_api_keys__user_id",
        schema="core",
        table="api_keys",
    )
    err = translate_error(exc)
    assert isinstance(err, ForeignKeyMissing)
    assert err.table == "core.users"
    assert "rows in core.api_keys still reference it" in str(err)
    assert "delete or reassign those rows first" in str(err)


def test_not_null_violation() -> None:
    exc = server_error(
        pge.NotNullViolation,
        "23502",
        'null value in column "email" of relation "users" violates not-null constraint',
        detail="Failing row contains (secret-ish, null).",
        schema="core",
        table="users",
        column="email",
    )
    err = translate_error(exc, query="create_user")
    assert isinstance(err, InvalidInput)
    assert str(err) == "create_user: core.users.email is required (NOT NULL); pass a value"
    assert err.field == "email"
    assert "Failing row" not in str(err)  # row contents may hold secrets


def test_check_violation_known_constraint() -> None:
    import registry_sql.core  # noqa: F401  (registers the core schema's constraint sentences)

    exc = server_error(
        pge.CheckViolation,
        "23514",
        'new row for relation "api_keys" violates check constraint '
        '"ck_api_keys__key_hash_sha256_hex"',
        detail="Failing row contains (...).",
        constraint="ck_api_keys__key_hash_sha256_hex",
        schema="core",
        table="api_keys",
    )
    err = translate_error(exc)
    assert isinstance(err, InvalidInput)
    assert err.field == "key_hash"
    assert "never the key itself" in str(err)
    assert "(ck_api_keys__key_hash_sha256_hex)" in str(err)


@pytest.mark.parametrize(
    ("constraint", "field", "words"),
    [
        # Tables no schema has: no registered sentence may stand in for the generic one.
        ("ck_gadgets__quantity_positive", "quantity", "greater than zero"),
        ("ck_gadgets__size_nonneg", "size", "zero or more"),
        ("ck_gadgets__part_number_nonempty", "part_number", "must not be empty"),
        ("ck_gadgets__specifications_object", "specifications", "JSON object"),
        ("ck_gadgets__period_order", None, "period order"),
        ("weird_name", None, "weird_name"),
    ],
)
def test_check_violation_generic_sentence(constraint: str, field: str | None, words: str) -> None:
    exc = server_error(
        pge.CheckViolation, "23514", "check", constraint=constraint, schema="s", table="t"
    )
    err = translate_error(exc)
    assert isinstance(err, InvalidInput)
    assert err.field == field
    assert words in str(err)
    assert f"({constraint})" in str(err)


def test_check_messages_use_convention_names() -> None:
    import registry_sql.core
    import registry_sql.mlops
    import registry_sql.model_registry  # noqa: F401  (each registers its sentences)

    registered = registered_check_messages()
    assert {schema for schema, _ in registered} >= {"core", "model_registry", "mlops"}
    for schema, name in registered:
        parsed = parse_constraint_name(name)
        assert parsed is not None and parsed[0] == "ck", (schema, name)


def test_registered_sentence_is_per_schema() -> None:
    register_check_messages("s1", {"ck_t__rule": ("a", "a must be blue")})
    register_check_messages("s2", {"ck_t__rule": ("b", "b must be red")})
    assert check_message("s1", "ck_t__rule") == ("a", "a must be blue")
    assert check_message("s2", "ck_t__rule") == ("b", "b must be red")
    assert check_message(None, "ck_t__rule") is None  # ambiguous without the schema
    exc = server_error(
        pge.CheckViolation, "23514", "check", constraint="ck_t__rule", schema="s2", table="t"
    )
    err = translate_error(exc)
    assert str(err) == "s2.t: b must be red (ck_t__rule)" and err.field == "b"


# ------------------------------------------------------------------ data exceptions


def test_invalid_enum_label_lists_registered_labels() -> None:
    register_enum_labels("core.org_role", ["owner", "admin", "member", "viewer"])
    exc = server_error(
        pge.InvalidTextRepresentation,
        "22P02",
        'invalid input value for enum core.org_role: "boss"',
    )
    err = translate_error(exc, query="add_member")
    assert isinstance(err, InvalidInput)
    assert str(err) == (
        "add_member: 'boss' is not a valid core.org_role value; "
        "use one of: owner, admin, member, viewer"
    )


def test_invalid_enum_label_unregistered_type() -> None:
    exc = server_error(
        pge.InvalidTextRepresentation, "22P02", 'invalid input value for enum x.unknown: "q"'
    )
    assert "use one of the labels of x.unknown" in str(translate_error(exc))


def test_invalid_uuid_syntax() -> None:
    exc = server_error(
        pge.InvalidTextRepresentation, "22P02", 'invalid input syntax for type uuid: "nope"'
    )
    err = translate_error(exc)
    assert isinstance(err, InvalidInput)
    assert "'nope' is not a valid uuid" in str(err)


@pytest.mark.parametrize(
    "sqlstate", ["22001", "22003", "22007", "22008", "22021", "22023", "22P05", "2201X", "22012"]
)
def test_data_exceptions_are_invalid_input(sqlstate: str) -> None:
    cls = pge.lookup(sqlstate)
    err = translate_error(server_error(cls, sqlstate, "bad value"))
    assert isinstance(err, InvalidInput)
    assert err.sqlstate == sqlstate
    assert "bad value" in str(err)


def test_client_side_data_error_is_invalid_input() -> None:
    # what psycopg raises for a str holding NUL, before anything reaches the server
    exc = psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    err = translate_error(exc, query="create_user")
    assert isinstance(err, InvalidInput)
    assert err.sqlstate is None
    assert str(err).startswith("create_user: invalid parameter value: PostgreSQL text fields")


# ------------------------------------------------------------------ other classes


@pytest.mark.parametrize(
    ("sqlstate", "expected", "retryable"),
    [
        ("40001", SerializationFailure, True),
        ("40P01", SerializationFailure, True),
        ("55P03", LockTimeout, True),
        ("57014", QueryTimeout, False),
        ("08006", Unavailable, True),
        ("57P01", Unavailable, True),
        ("57P03", Unavailable, True),
        ("42P01", MigrationError, False),
        ("42883", MigrationError, False),
        ("3F000", MigrationError, False),
        ("42501", Forbidden, False),
    ],
)
def test_sqlstate_mapping(sqlstate: str, expected: type[RegistrySqlError], retryable: bool) -> None:
    err = translate_error(server_error(pge.lookup(sqlstate), sqlstate, "server says no"))
    assert type(err) is expected
    assert err.retryable is retryable
    assert "server says no" in str(err)


def test_migration_error_says_what_to_run() -> None:
    exc = server_error(pge.UndefinedTable, "42P01", 'relation "core.users" does not exist')
    assert "run `registry-sql migrate`" in str(translate_error(exc))


def test_rls_violation_is_forbidden_with_tenant_advice() -> None:
    exc = server_error(
        pge.InsufficientPrivilege,
        "42501",
        'new row violates row-level security policy for table "projects"',
    )
    err = translate_error(exc)
    assert isinstance(err, Forbidden)
    assert err.table == "projects"
    assert "tenant(conn, org_id)" in str(err)


def test_our_trigger_sqlstate_is_immutable_record() -> None:
    exc = server_error(
        psycopg.errors.RaiseException,
        "RS001",
        "append-only table core.audit_log: UPDATE is not allowed",
        schema="core",
        table="audit_log",
    )
    err = translate_error(exc)
    assert isinstance(err, ImmutableRecord)
    assert err.table == "core.audit_log"
    assert "write a new record" in str(err)


def test_pool_timeout() -> None:
    err = translate_error(psycopg_pool.PoolTimeout("couldn't get a connection after 30.00 sec"))
    assert isinstance(err, PoolTimeout)
    assert "DB_POOL_MAX_SIZE" in str(err)


def test_operational_error_without_sqlstate_is_unavailable() -> None:
    err = translate_error(psycopg.OperationalError("connection is bad: no route to host"))
    assert isinstance(err, Unavailable)
    assert err.retryable


def test_bad_credentials_are_config_error() -> None:
    exc = psycopg.OperationalError(
        'connection failed: FATAL:  password authentication failed for user "app"'
    )
    err = translate_error(exc)
    assert isinstance(err, ConfigError)
    assert "DATABASE_URL" in str(err)


def test_unknown_sqlstate_keeps_message_and_state() -> None:
    exc = server_error(pge.lookup("XX000"), "XX000", "internal error", hint="call someone")
    err = translate_error(exc, query="q")
    assert type(err) is RegistrySqlError
    assert err.sqlstate == "XX000"
    assert str(err) == "q: internal error (SQLSTATE XX000); hint: call someone"


def test_cause_is_kept_when_raised_from() -> None:
    exc = server_error(pge.UndefinedTable, "42P01", "relation missing")
    with pytest.raises(MigrationError) as info:
        try:
            raise exc
        except psycopg.Error as e:
            raise translate_error(e) from e
    assert info.value.__cause__ is exc


def test_not_found_message() -> None:
    key = uuid.UUID(int=1)
    err = not_found("get_user_by_id", id=key)
    assert isinstance(err, NotFound)
    assert str(err) == f"get_user_by_id: no row for id={key}"
    assert err.query == "get_user_by_id"


@given(st.text())
def test_translate_never_fails_on_odd_messages(message: str) -> None:
    message = message.replace("\x00", "")
    for state in ("23505", "23503", "23514", "22P02", "42501"):
        err = translate_error(server_error(pge.lookup(state), state, message, detail=message))
        assert isinstance(err, RegistrySqlError)


# ------------------------------------------------------------------ API keys and tokens


@dataclass(frozen=True)
class KeyRow:
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class TokenRow:
    expires_at: datetime | None
    revoked_at: datetime | None = None
    usage_count: int = 0
    max_uses: int | None = None


NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_generate_api_key() -> None:
    key = generate_api_key()
    assert key.secret.startswith(API_KEY_PREFIX)
    assert len(key.secret) >= 40
    assert key.key_prefix == key.secret[:8]
    assert key.key_hash == hash_secret(key.secret)
    assert len(key.key_hash) == 64 and key.key_hash == key.key_hash.lower()
    assert key.secret not in repr(key)
    assert generate_api_key().secret != key.secret
    assert secrets_match(key.secret, key.key_hash)
    assert not secrets_match(key.secret + "x", key.key_hash)
    assert len(generate_api_key(prefix_len=12).key_prefix) == 12


def test_generate_api_key_rejects_bad_prefix_len() -> None:
    with pytest.raises(InvalidInput, match="prefix_len=2"):
        generate_api_key(prefix_len=2)


def test_hash_secret_is_sha256_hex() -> None:
    assert hash_secret("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_valid_key_passes() -> None:
    check_api_key(KeyRow(), now=NOW)
    check_api_key(KeyRow(expires_at=NOW + timedelta(days=1)), now=NOW)
    check_api_key(KeyRow(expires_at=datetime(2030, 1, 1)))  # naive is taken as UTC


def test_revoked_key_is_rejected_with_when() -> None:
    with pytest.raises(CredentialRejected) as info:
        check_api_key(KeyRow(revoked_at=NOW - timedelta(hours=1)), now=NOW)
    assert "API key was revoked at 2024-05-01T11:00:00+00:00" in str(info.value)
    assert "issue a new API key" in str(info.value)
    assert isinstance(info.value, Forbidden)
    assert info.value.field == "revoked_at"


def test_expired_key_is_rejected_with_when() -> None:
    with pytest.raises(CredentialRejected, match="expired at 2024-04-30T12:00:00"):
        check_api_key(KeyRow(expires_at=NOW - timedelta(days=1)), now=NOW)


def test_token_checks() -> None:
    check_token(TokenRow(expires_at=NOW + timedelta(minutes=5)), now=NOW)
    with pytest.raises(CredentialRejected, match="token expired"):
        check_token(TokenRow(expires_at=NOW), now=NOW)
    with pytest.raises(CredentialRejected, match="token was revoked"):
        check_token(TokenRow(expires_at=NOW + timedelta(1), revoked_at=NOW), now=NOW)
    with pytest.raises(CredentialRejected, match="used 3 times, its limit is 3"):
        check_token(TokenRow(expires_at=NOW + timedelta(1), usage_count=3, max_uses=3), now=NOW)
