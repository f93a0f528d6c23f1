"""Secrets never travel (issue 19, findings 3, 6, 7), against a real server.

A plaintext password, a raw API secret or a raw token passed where a hash belongs is refused
before it is sent; when a secret does reach the server and is refused there, the translated error
masks it and does not chain the driver error (which carries it) as its cause.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from registry_sql import core, db
from registry_sql.core import Application
from registry_sql.core.users import CREATE_USER as _CREATE_USER
from registry_sql.errors import Conflict, InvalidInput, RegistrySqlError
from registry_sql.execute import fetch_one
from registry_sql.settings import Settings

Conn = psycopg.Connection[Any]

PLAINTEXT = "Plaintext-Pa55word!"
RAW_SECRET = "rsk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
HASH = "2d1b095e" + "c" * 56


def _everywhere(e: BaseException) -> str:
    """Everything a log or a debugger shows of an exception and its chain."""
    parts = [str(e), repr(e), "".join(traceback.format_exception(e))]
    if isinstance(e, RegistrySqlError):
        parts += [str(e.detail), str(e.hint)]
    cause = e.__cause__
    while cause is not None:
        parts += [str(cause), repr(cause)]
        cause = cause.__cause__
    return "\n".join(parts)


def _statements(conn: Conn) -> list[str]:
    rows = conn.execute(
        "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
    ).fetchall()
    return [str(r[0]) for r in rows]


def test_3_plaintext_password_is_refused_before_it_is_sent(conn: Conn, app_conn: Conn) -> None:
    with pytest.raises(InvalidInput) as info:
        core.create_user(
            app_conn, username="ann", email="ann@example.com", hashed_password=PLAINTEXT
        )
    e = info.value
    assert e.sqlstate is None  # refused client-side: the server never saw it
    assert e.field == "hashed_password" and "not sent" in str(e)
    assert PLAINTEXT not in _everywhere(e)
    assert e.__cause__ is None
    assert not any(PLAINTEXT in q for q in _statements(conn))
    with pytest.raises(InvalidInput) as info:
        core.update_user_password(
            app_conn,
            id=core.create_user(
                app_conn,
                username="sso",
                email="sso@example.com",
                auth_provider=core.AuthProvider.OIDC,
            ).id,
            hashed_password=PLAINTEXT,
        )
    assert PLAINTEXT not in _everywhere(info.value)


@pytest.mark.parametrize(
    "query", ["create_api_key", "find_api_key_by_hash", "issue_token", "find_active_token_by_hash"]
)
def test_3_raw_secrets_passed_as_hashes_are_refused_before_they_are_sent(
    app_conn: Conn, query: str
) -> None:
    user = core.create_user(
        app_conn,
        username=f"u-{query}",
        email=f"{query}@example.com",
        auth_provider=core.AuthProvider.OIDC,
    )
    calls: dict[str, Callable[[], object]] = {
        "create_api_key": lambda: core.create_api_key(
            app_conn, application=Application.CORE, name="k", key_prefix="rsk_", key_hash=RAW_SECRET
        ),
        "find_api_key_by_hash": lambda: core.find_api_key_by_hash(app_conn, key_hash=RAW_SECRET),
        "issue_token": lambda: core.issue_token(
            app_conn,
            user_id=user.id,
            application=Application.CORE,
            jti="j",
            token_hash=RAW_SECRET,
            expires_at=user.created_at.replace(year=2100),
        ),
        "find_active_token_by_hash": lambda: core.find_active_token_by_hash(
            app_conn, token_hash=RAW_SECRET
        ),
    }
    with pytest.raises(InvalidInput) as info:
        calls[query]()
    assert info.value.sqlstate is None
    assert RAW_SECRET not in _everywhere(info.value)


def test_3_a_secret_refused_by_the_server_is_masked_and_not_chained(app_conn: Conn) -> None:
    """Bypassing the generated check (raw execute with the same SQL), the server's CHECK refuses
    the plaintext; its DETAIL (Failing row contains ...) is withheld, no driver error chained."""
    params = {
        "username": "bob",
        "email": "bob@example.com",
        "full_name": None,
        "hashed_password": PLAINTEXT,
        "auth_provider": None,
        "is_active": None,
        "created_by": None,
    }
    with pytest.raises(InvalidInput) as info:
        fetch_one(app_conn, _CREATE_USER, params, core.UserRow, "core.create_user")
    e = info.value
    assert e.constraint == "ck_users__hashed_password_is_hash" and e.sqlstate == "23514"
    assert PLAINTEXT not in _everywhere(e)
    # the cause is a stand-in of the driver error's class, without its DETAIL
    assert isinstance(e.__cause__, psycopg.errors.CheckViolation)
    assert "withheld" in (e.detail or "")


def test_6_conflict_on_a_key_hash_does_not_show_the_hash(app_conn: Conn) -> None:
    core.create_api_key(
        app_conn, application=Application.CORE, name="a", key_prefix="abcd", key_hash=HASH
    )
    with pytest.raises(Conflict) as info:
        core.create_api_key(
            app_conn, application=Application.CORE, name="b", key_prefix="abcd", key_hash=HASH
        )
    e = info.value
    assert e.field == "key_hash" and e.constraint == "uq_api_keys__key_hash"
    assert "key_hash '***' is already taken" in str(e)
    assert HASH not in _everywhere(e)
    # other tables keep showing their (non-secret) values
    core.create_organization(app_conn, name="Acme", slug="acme")
    with pytest.raises(Conflict, match="acme"):
        core.create_organization(app_conn, name="Acme 2", slug="acme")


def test_7_row_repr_and_echo_log_hide_hashes(
    migrated_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    bcrypt = "$2b$12$" + "x" * 53
    caplog.set_level(logging.DEBUG, logger="registry_sql.sql")
    with db.connect(Settings(database_url=migrated_url, echo=True), autocommit=True) as c:
        core.create_user(c, username="carol", email="carol@example.com", hashed_password=bcrypt)
        login = core.find_user_for_login(c, email="carol@example.com")
        core.create_api_key(
            c, application=Application.CORE, name="k", key_prefix="abcd", key_hash=HASH
        )
        assert core.find_api_key_by_hash(c, key_hash=HASH) is not None
    assert login is not None and login.hashed_password == bcrypt
    assert bcrypt not in repr(login)
    assert "parameters:" in caplog.text  # the echo log is on
    assert bcrypt not in caplog.text and HASH not in caplog.text
