"""The trg_<table>__set_updated_at triggers of schema core: each bumps updated_at on UPDATE, and
every table with an updated_at column has one. (The audit log's append-only triggers are tested
in test_core_audit.py.)"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from registry_sql import core
from registry_sql.auth import hash_secret
from registry_sql.core import Application, AuthProvider, OrgRole
from registry_sql.db import transaction

Conn = psycopg.Connection[Any]


def scrypt_hash(password: str, salt: bytes = b"registry-tests!!") -> str:
    """A real scrypt hash in the PHC-like form ck_users__hashed_password_is_hash accepts."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    salt_b64 = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${salt_b64}${base64.b64encode(digest).decode().rstrip('=')}"


PW = scrypt_hash("trigger-tests")


@dataclass(frozen=True)
class Touch:
    table: str
    create: Callable[[Conn], uuid.UUID]  # returns the id of a new row
    update: Callable[[Conn, uuid.UUID], object]  # changes it through a generated function


def _user(conn: Conn) -> uuid.UUID:
    return core.create_user(
        conn,
        username=f"u{uuid.uuid4().hex[:8]}",
        email=f"{uuid.uuid4().hex}@example.com",
        hashed_password=PW,
    ).id


def _org(conn: Conn) -> uuid.UUID:
    return core.create_organization(conn, name="Org", slug=f"o-{uuid.uuid4().hex[:8]}").id


def _identity(conn: Conn) -> uuid.UUID:
    return core.link_identity(
        conn,
        user_id=_user(conn),
        provider=AuthProvider.OAUTH,
        issuer="github",
        subject=uuid.uuid4().hex,
    ).id


def _membership(conn: Conn) -> uuid.UUID:
    return core.add_organization_member(conn, organization_id=_org(conn), user_id=_user(conn)).id


def _update_membership(conn: Conn, id: uuid.UUID) -> object:
    row = conn.execute(
        "SELECT organization_id, user_id FROM core.organization_memberships WHERE id = %s", (id,)
    ).fetchone()
    assert row is not None
    return core.update_membership_role(
        conn, organization_id=row[0], user_id=row[1], role=OrgRole.ADMIN
    )


def _role(conn: Conn) -> uuid.UUID:
    name = f"r_{uuid.uuid4().hex[:8]}"
    assert core.ensure_roles(conn, application=Application.AIRLOCK, names=[name]) == 1
    return core.get_role_by_name(conn, application=Application.AIRLOCK, name=name).id


def _update_role(conn: Conn, id: uuid.UUID) -> object:
    # No generated query updates roles (reference data): plain SQL.
    return conn.execute("UPDATE core.roles SET description = 'changed' WHERE id = %s", (id,))


def _key(conn: Conn) -> uuid.UUID:
    return core.create_api_key(
        conn,
        application=Application.CORE,
        name="k",
        key_prefix="rsk_trig",
        key_hash=hash_secret(uuid.uuid4().hex),
    ).id


TOUCHES = [
    Touch("users", _user, lambda c, i: core.update_user(c, id=i, full_name="Changed")),
    Touch("organizations", _org, lambda c, i: core.update_organization(c, id=i, name="Changed")),
    Touch("user_identities", _identity, lambda c, i: core.record_identity_login(c, id=i)),
    Touch("organization_memberships", _membership, _update_membership),
    Touch("roles", _role, _update_role),
    Touch("api_keys", _key, lambda c, i: core.update_api_key(c, id=i, name="changed")),
]


def _stamps(conn: Conn, table: str, id: uuid.UUID) -> tuple[datetime, datetime]:
    query = sql.SQL("SELECT created_at, updated_at FROM {} WHERE id = %s").format(
        sql.Identifier("core", table)
    )
    row = conn.execute(query, (id,)).fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize("touch", TOUCHES, ids=[t.table for t in TOUCHES])
def test_set_updated_at_trigger_bumps_updated_at(conn: Conn, touch: Touch) -> None:
    # Autocommit: create and update are two transactions, so now() differs.
    row_id = touch.create(conn)
    created_at, updated_at = _stamps(conn, touch.table, row_id)
    assert updated_at == created_at

    with transaction(conn):
        touch.update(conn, row_id)
        now = conn.execute("SELECT now(), statement_timestamp()").fetchone()
    assert now is not None
    created_after, updated_after = _stamps(conn, touch.table, row_id)
    assert created_after == created_at  # untouched
    assert updated_after > updated_at
    # The time of the updating statement (0020): after the transaction's start, before the
    # next statement of the same transaction.
    assert now[0] <= updated_after < now[1]

    # The database, not the caller, decides: an explicit value is overwritten.
    stmt = sql.SQL("UPDATE {} SET updated_at = '2000-01-01' WHERE id = %s").format(
        sql.Identifier("core", touch.table)
    )
    conn.execute(stmt, (row_id,))
    assert _stamps(conn, touch.table, row_id)[1] > updated_after


TABLES_WITH_UPDATED_AT = """
SELECT c.relname
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'core' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND a.attname = 'updated_at' AND NOT a.attisdropped
"""

SET_UPDATED_AT_TRIGGERS = """
SELECT c.relname, t.tgname
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'core'
   AND NOT t.tgisinternal
   AND t.tgfoid = 'core.set_updated_at()'::regprocedure
   AND t.tgenabled <> 'D'
   AND (t.tgtype & 1) = 1      -- FOR EACH ROW
   AND (t.tgtype & 2) = 2      -- BEFORE
   AND (t.tgtype & 16) = 16    -- UPDATE
"""


def test_every_table_with_updated_at_has_the_trigger(conn: Conn) -> None:
    tables = {r[0] for r in conn.execute(TABLES_WITH_UPDATED_AT)}
    assert "users" in tables
    triggers = {r[0]: r[1] for r in conn.execute(SET_UPDATED_AT_TRIGGERS)}
    missing = sorted(t for t in tables if triggers.get(t) != f"trg_{t}__set_updated_at")
    assert not missing, f"core tables with updated_at but no trg_<table>__set_updated_at: {missing}"
    untested = sorted(tables - {t.table for t in TOUCHES})
    assert not untested, f"add a Touch case for: {untested}"
