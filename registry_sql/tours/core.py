"""The ``core`` segment of the demo tour: users, search, roles, API keys, errors, the audit log."""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql import auth, core
from registry_sql.core import Application, AuditAction
from registry_sql.db import transaction
from registry_sql.seeds import hash_password
from registry_sql.tours import expect_error, fmt, in_tx, section, show


def tour(conn: psycopg.Connection[Any]) -> None:
    section("core: reads return typed rows; a missing row is NotFound")
    alice = core.get_user_by_username(conn, username="ALICE")
    show('core.get_user_by_username(conn, username="ALICE")  # case-insensitive', alice)
    show("type(row).__name__, row.created_at.tzinfo",
         (type(alice).__name__, alice.created_at.tzinfo))
    expect_error('core.get_user_by_username(conn, username="nobody")',
                 lambda: core.get_user_by_username(conn, username="nobody"))
    hits = core.search_users(conn, q="acme", limit=10)
    show('core.search_users(conn, q="acme", limit=10)  # trigram index, keyset pagination',
         "\n".join(f"  {u.username:10} {u.email}" for u in hits))

    section("core: permissions come from role grants")
    for code in ("model_registry:package:upload", "model_registry:package:download"):
        allowed = core.user_has_permission(conn, user_id=alice.id, code=code)
        show(f'core.user_has_permission(conn, user_id=<alice>, code="{code}")', allowed)
    admin = core.get_user_by_username(conn, username="admin")
    grants = core.list_user_grants(conn, user_id=admin.id)
    show("core.list_user_grants(conn, user_id=<admin>)  # LEFT JOIN: org columns are nullable",
         "\n".join(fmt(g) for g in grants))

    section("core: API keys are stored as SHA-256 only")
    acme = core.get_organization_by_slug(conn, slug="acme-ml")
    new_key = auth.generate_api_key()
    with transaction(conn):
        key = core.create_api_key(
            conn, application=Application.MLOPS, name="demo key",
            key_prefix=new_key.key_prefix, key_hash=new_key.key_hash,
            user_id=alice.id, organization_id=acme.id, scopes=["mlops:model:write"],
        )
    print(f"secret (shown to the user once): {new_key.secret[:12]}...  stored: "
          f"key_prefix={key.key_prefix!r}, key_hash={new_key.key_hash[:16]}...")
    found = core.find_api_key_by_hash(conn, key_hash=auth.hash_secret(new_key.secret))
    assert found is not None
    auth.check_api_key(found)
    print("verify: found by hash, not revoked, not expired -> accepted")
    core.revoke_api_key(conn, id=key.id, revoked_by=alice.id)
    revoked = core.find_api_key_by_hash(conn, key_hash=new_key.key_hash)
    assert revoked is not None
    expect_error("auth.check_api_key(<the revoked key>)", lambda: auth.check_api_key(revoked))
    expect_error(
        'core.create_api_key(conn, ..., key_hash="my-plaintext-secret")',
        lambda: core.create_api_key(
            conn, application=Application.MLOPS, name="bad", key_prefix="abcd1234",
            key_hash="my-plaintext-secret",
        ),
    )

    section("core: bad input is refused, named, and leaves nothing behind")
    before = core.count_users(conn)
    expect_error(
        'core.create_user(conn, username="Alice", email="other@example.com", ...)',
        lambda: in_tx(conn, lambda: core.create_user(
            conn, username="Alice", email="other@example.com",
            hashed_password=hash_password("x"))),
    )
    expect_error(
        'core.create_user(conn, username="bob", ..., hashed_password="hunter2")',
        lambda: in_tx(conn, lambda: core.create_user(
            conn, username="bob", email="bob@example.com", hashed_password="hunter2")),
    )
    print(f"users before: {before}, after: {core.count_users(conn)}")

    section("core: the audit log is append-only")
    with transaction(conn, correlation_id="demo-request-1"):
        event = core.create_audit_event(
            conn, application=Application.CORE, actor_user_id=alice.id,
            actor_username="alice", action=AuditAction.LOGIN, entity_type="user",
            entity_id=str(alice.id), details={"demo": True},
        )
    show("core.create_audit_event(conn, application=CORE, action=LOGIN, ...)", event)
    expect_error(
        "UPDATE core.audit_log SET reason = 'tampered' WHERE id = ...",
        lambda: in_tx(conn, lambda: conn.execute(
            "UPDATE core.audit_log SET reason = 'tampered' WHERE id = %s", (event.id,))),
    )
    recent = core.list_recent_audit_events(conn, application=Application.CORE, limit=3)
    show("core.list_recent_audit_events(conn, application=CORE, limit=3)",
         "\n".join(f"  {e.occurred_at:%Y-%m-%d %H:%M:%S} {e.action} {e.entity_type} "
                   f"{e.entity_id} correlation={e.correlation_id}" for e in recent))
