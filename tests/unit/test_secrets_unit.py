"""Secrets never travel (issue 19, findings 6-8), without a database: the masking helpers, the
generated code's secret handling, ``redact_url`` and ``registry-sql url``."""

from __future__ import annotations

import logging
import traceback

import pytest

from registry_sql import cli
from registry_sql.core import UserLoginRow
from registry_sql.db import _log
from registry_sql.errors import Conflict, InvalidInput, RegistrySqlError
from registry_sql.secrets import Secret, is_masked, mask_error, secret_columns, secret_param
from registry_sql.settings import redact_url

HASH = "2d1b095e" + "a" * 56
BCRYPT = "$2b$12$" + "a" * 53


def test_the_generated_models_register_the_secret_columns_from_the_schema_marker() -> None:
    assert secret_columns("core.users") == {"hashed_password"}
    assert secret_columns("core.api_keys") == {"key_hash"}
    assert secret_columns("core.auth_tokens") == {"token_hash"}
    assert secret_columns("core.organizations") == frozenset()


def test_secret_param_refuses_a_plaintext_without_showing_it() -> None:
    with pytest.raises(InvalidInput) as info:
        secret_param(
            "Plaintext-Pa55word!",
            query="core.create_user",
            name="hashed_password",
            formats=(r"^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$",),
            max_length=512,
        )
    e = info.value
    assert "Plaintext-Pa55word!" not in str(e)
    assert "Plaintext-Pa55word!" not in repr(e)
    assert e.field == "hashed_password" and e.sqlstate is None
    assert "not sent" in str(e)
    # a trailing newline would satisfy Python's `$` but not PostgreSQL's
    with pytest.raises(InvalidInput):
        secret_param(HASH + "\n", query="q", name="key_hash", formats=("^[0-9a-f]{64}$",))
    with pytest.raises(InvalidInput, match="at most 4"):
        secret_param("abcde", query="q", name="x", formats=(), max_length=4)


def test_secret_param_wraps_a_valid_hash_so_its_repr_is_masked() -> None:
    value = secret_param(HASH, query="q", name="key_hash", formats=("^[0-9a-f]{64}$",))
    assert isinstance(value, Secret) and value == HASH
    assert HASH not in repr({"key_hash": value})
    assert secret_param(None, query="q", name="key_hash") is None


def test_echo_log_masks_secret_parameters(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="registry_sql.sql")
    _log("SELECT 1", {"key_hash": Secret(HASH), "name": "visible"})
    text = caplog.text
    assert HASH not in text
    assert "'***'" in text and "visible" in text


def test_repr_of_a_row_hides_the_password_hash() -> None:
    row = UserLoginRow.model_validate(
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "username": "ann",
            "email": "a@b.c",
            "full_name": None,
            "auth_provider": "local",
            "hashed_password": BCRYPT,
        }
    )
    assert row.hashed_password == BCRYPT
    assert BCRYPT not in repr(row) and BCRYPT not in str(row)
    assert "ann" in repr(row)


def test_mask_error_masks_keys_and_failing_rows_of_tables_with_secrets() -> None:
    e = mask_error(
        Conflict(
            f"core.create_api_key: core.api_keys: key_hash '{HASH}' is already taken "
            "(uq_api_keys__key_hash); choose another key_hash",
            table="core.api_keys",
            detail=f"Key (key_hash)=({HASH}) already exists.",
        )
    )
    assert HASH not in str(e) and HASH not in (e.detail or "")
    assert "key_hash '***'" in str(e) and is_masked(e)

    row = mask_error(
        InvalidInput(
            "core.create_user: hashed_password is not a hash",
            table="core.users",
            detail="Failing row contains (1, ann, Plaintext-Pa55word!, local).",
        )
    )
    assert "Plaintext" not in (row.detail or "") and is_masked(row)

    other = RegistrySqlError("x", table="core.organizations", detail="Key (slug)=(acme) exists")
    assert mask_error(other).detail == "Key (slug)=(acme) exists" and not is_masked(other)
    assert not any(HASH in line for line in traceback.format_exception(e))


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgresql://app:s3cret@db:5432/registry", "s3cret"),
        ("postgresql://app:pa?x=y@db:5432/registry", "pa?x=y"),
        ("postgresql://app:p?a=b&c=d@db/registry", "p?a=b&c=d"),
        ("postgresql://app@db/registry?password=hunter2&sslmode=require", "hunter2"),
        ("postgresql://app:pw?sslmode=x@db/registry?password=two", "pw?sslmode=x"),
    ],
)
def test_redact_url_never_shows_the_password(url: str, password: str) -> None:
    out = redact_url(url)
    assert password not in out
    assert "***" in out
    assert "db" in out and "registry" in out


def test_redact_url_keeps_query_at_signs_that_are_not_passwords() -> None:
    assert redact_url("postgresql:///registry?user=a@b&host=/tmp") == (
        "postgresql:///registry?user=a@b&host=/tmp"
    )


def test_cli_url_masks_the_password_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://app:Sup3r?s=cret@db.example:5432/registry"
    assert cli.main(["url", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "Sup3r" not in out and "***" in out and "db.example" in out
    assert cli.main(["url", "--database-url", url, "--show-password"]) == 0
    assert "Sup3r" in capsys.readouterr().out
