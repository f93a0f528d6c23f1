"""`registry-sql demo`: migrate, load sample data, and take a short tour of the typed functions.

Every database call below goes through the generated functions in ``registry_sql.core``; each step
prints the call and what came back. Bad input is shown too: each refused write prints the
translated error and proves nothing was written.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql
from pydantic import BaseModel

from registry_sql import auth, migrate
from registry_sql.db import transaction
from registry_sql.errors import RegistrySqlError
from registry_sql.settings import redact_url

T = TypeVar("T")

DEMO_DB = "registry_sql_demo"

BOLD = "\033[1m" if os.isatty(1) else ""
DIM = "\033[2m" if os.isatty(1) else ""
RESET = "\033[0m" if os.isatty(1) else ""


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A scrypt hash in the ``$scrypt$ln=..,r=..,p=..$salt$hash`` form (demo data only)."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    salt_text = b64(salt).decode().rstrip("=")
    digest_text = b64(digest).decode().rstrip("=")
    return f"$scrypt$ln=14,r=8,p=1${salt_text}${digest_text}"


def _section(title: str) -> None:
    print(f"\n{BOLD}== {title} =={RESET}", flush=True)


def _value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Enum):
        return repr(value.value)
    return repr(value)


def _fmt(result: object) -> str:
    """A row model as ``UserRow(field=value, ...)`` over a few lines, None fields left out."""
    if isinstance(result, BaseModel):
        fields = [
            f"{name}={_value(value)}"
            for name, value in result.__dict__.items()
            if value is not None
        ]
        lines, line = [], f"{type(result).__name__}("
        for item in fields:
            if len(line) + len(item) > 96:
                lines.append(line)
                line = "    "
            line += item + ", "
        lines.append(line.rstrip(", ") + ")")
        lines = [ln.rstrip() for ln in lines]
        return "\n".join(lines)
    return str(result)


def _show(call: str, result: object) -> None:
    print(f"{DIM}>>> {call}{RESET}\n{_fmt(result)}", flush=True)


def _expect_error(call: str, fn: Callable[[], object]) -> RegistrySqlError:
    try:
        fn()
    except RegistrySqlError as exc:
        print(f"{DIM}>>> {call}{RESET}\n{type(exc).__name__}: {exc}", flush=True)
        return exc
    raise AssertionError(f"{call} was expected to fail")


def _demo_database(url: str) -> str:
    """On the embedded server the demo uses its own database, created on first use."""
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DEMO_DB,)
        ).fetchone()
        if not exists:
            admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(DEMO_DB)))
    query = dict(parse_qsl(parts.query))
    query.pop("dbname", None)
    return urlunsplit(parts._replace(path=f"/{DEMO_DB}", query=urlencode(query)))


def run_demo(url: str, *, reset: bool = False, own_database: bool = False) -> int:
    """The tour. ``own_database``: ``url`` is a server (the embedded one): use a demo database."""
    from registry_sql import core  # generated; imported late so `registry-sql --help` stays fast
    from registry_sql.core import Application, AuditAction

    if own_database:
        url = _demo_database(url)
    print(f"{BOLD}registry-sql demo{RESET} on {redact_url(url)}")

    _section("1. Migrations (yoyo, locked, checksummed)")
    if reset:
        undone = migrate.rollback(url, count=None)
        print(f"rolled back {len(undone)} migration(s) (--reset)")
    applied = migrate.apply(url)
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else
                                                     " (already up to date)"))
    problems = migrate.checksum_problems(url)
    print(f"applied-migration checksums: {'OK' if not problems else problems}")

    with psycopg.connect(url, autocommit=True) as conn:
        _section("2. Sample data, through the typed functions")
        with transaction(conn):
            alice = core.find_user_for_login(conn, email="alice@example.com")
            if alice is None:
                created = core.create_user(
                    conn,
                    username="alice",
                    email="alice@example.com",
                    full_name="Alice Example",
                    hashed_password=hash_password("alice-demo-password"),
                )
                _show('core.create_user(conn, username="alice", email="alice@example.com", ...)',
                      created)
                for name, email, full in (
                    ("admin", "admin@acme-ml.com", "Acme Admin"),
                    ("scientist", "scientist@acme-ml.com", "Dana Scientist"),
                    ("engineer", "engineer@acme-ml.com", "Eli Engineer"),
                ):
                    core.create_user(conn, username=name, email=email, full_name=full,
                                     hashed_password=hash_password(f"{name}123"))
                acme = core.create_organization(conn, name="Acme ML Corp", slug="acme-ml")
                _show('core.create_organization(conn, name="Acme ML Corp", slug="acme-ml")', acme)
                for uname, role in (("admin", "admin"), ("scientist", "member"),
                                    ("engineer", "member")):
                    user = core.get_user_by_username(conn, username=uname)
                    core.add_organization_member(conn, organization_id=acme.id, user_id=user.id,
                                                 role=core.OrgRole(role))
                admin = core.get_user_by_username(conn, username="admin")
                core.grant_role_by_name(conn, user_id=admin.id, application=Application.MLOPS,
                                        role_name="admin", organization_id=acme.id)
                alice_row = core.get_user_by_username(conn, username="alice")
                core.grant_role_by_name(conn, user_id=alice_row.id,
                                        application=Application.MODEL_REGISTRY,
                                        role_name="uploader")
                print("loaded: 4 users, 1 organization, 3 memberships, 2 role grants")
            else:
                print("sample data already present (run `registry-sql demo --reset` to start over)")

        _section("3. Reads: typed rows, NotFound, search")
        alice_row = core.get_user_by_username(conn, username="ALICE")
        _show('core.get_user_by_username(conn, username="ALICE")  # case-insensitive', alice_row)
        _show("type(row).__name__, row.id, row.created_at.tzinfo",
              (type(alice_row).__name__, alice_row.id, alice_row.created_at.tzinfo))
        _expect_error('core.get_user_by_username(conn, username="nobody")',
                      lambda: core.get_user_by_username(conn, username="nobody"))
        hits = core.search_users(conn, q="acme", limit=10)
        _show('core.search_users(conn, q="acme", limit=10)  # trigram, keyset-paginated',
              "\n".join(f"  {u.username:10} {u.email}" for u in hits))

        _section("4. Permissions through roles")
        acme = core.get_organization_by_slug(conn, slug="acme-ml")
        for who, code in (("alice", "model_registry:package:upload"),
                          ("alice", "model_registry:package:download")):
            user = core.get_user_by_username(conn, username=who)
            allowed = core.user_has_permission(conn, user_id=user.id, code=code)
            _show(f'core.user_has_permission(conn, user_id=<{who}>, code="{code}")', allowed)
        grants = core.list_user_grants(conn, user_id=core.get_user_by_username(
            conn, username="admin").id)
        _show("core.list_user_grants(conn, user_id=<admin>)  # LEFT JOIN: org columns nullable",
              "\n".join(_fmt(g) for g in grants))

        _section("5. API keys: only the SHA-256 is stored")
        new_key = auth.generate_api_key()
        with transaction(conn):
            key = core.create_api_key(
                conn, application=Application.MLOPS, name="demo key",
                key_prefix=new_key.key_prefix, key_hash=new_key.key_hash,
                user_id=alice_row.id, organization_id=acme.id, scopes=["mlops:model:write"],
            )
        print(f"secret shown once to the user: {new_key.secret[:12]}... ; stored: "
              f"key_prefix={key.key_prefix!r}, key_hash={new_key.key_hash[:16]}...")
        found = core.find_api_key_by_hash(conn, key_hash=auth.hash_secret(new_key.secret))
        assert found is not None
        auth.check_api_key(found)
        print("verify(secret): found by hash, not revoked, not expired -> accepted")
        core.revoke_api_key(conn, id=key.id, revoked_by=alice_row.id)
        revoked = core.find_api_key_by_hash(conn, key_hash=new_key.key_hash)
        assert revoked is not None
        _expect_error("auth.check_api_key(<revoked key>)", lambda: auth.check_api_key(revoked))
        _expect_error(
            'core.create_api_key(conn, ..., key_hash="my-plaintext-secret")',
            lambda: core.create_api_key(
                conn, application=Application.MLOPS, name="bad", key_prefix="abcd1234",
                key_hash="my-plaintext-secret",
            ),
        )

        _section("6. Bad input is refused, named, and leaves nothing behind")
        before = core.count_users(conn)
        _expect_error(
            'core.create_user(conn, username="Alice", email="other@example.com", ...)',
            lambda: _in_tx(conn, lambda: core.create_user(
                conn, username="Alice", email="other@example.com",
                hashed_password=hash_password("x"))),
        )
        _expect_error(
            'core.create_user(conn, username="bob", email="bob@example.com", '
            'hashed_password="hunter2")',
            lambda: _in_tx(conn, lambda: core.create_user(
                conn, username="bob", email="bob@example.com", hashed_password="hunter2")),
        )
        print(f"users before: {before}, after: {core.count_users(conn)}")

        _section("7. The audit log is append-only")
        with transaction(conn):
            event = core.create_audit_event(
                conn, application=Application.CORE, actor_user_id=alice_row.id,
                actor_username="alice", action=AuditAction.LOGIN, entity_type="user",
                entity_id=str(alice_row.id), details={"demo": True},
            )
        _show("core.create_audit_event(conn, application=CORE, action=LOGIN, ...)", event)
        _expect_error(
            "UPDATE core.audit_log SET reason = 'tampered'  (through transaction())",
            lambda: _in_tx(conn, lambda: conn.execute(
                "UPDATE core.audit_log SET reason = 'tampered' WHERE id = %s", (event.id,))),
        )
        recent = core.list_recent_audit_events(conn, application=Application.CORE, limit=3)
        _show("core.list_recent_audit_events(conn, application=CORE, limit=3)",
              "\n".join(f"  {e.occurred_at:%Y-%m-%d %H:%M:%S} {e.action} {e.entity_type} "
                        f"{e.entity_id}" for e in recent))

    print(f"\n{BOLD}Tour complete.{RESET} Next: `from registry_sql.core import get_user_by_id`; "
          "see README.md.")
    return 0


def _in_tx(conn: psycopg.Connection[Any], fn: Callable[[], T]) -> T:
    with transaction(conn):
        return fn()
