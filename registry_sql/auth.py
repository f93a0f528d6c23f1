"""API keys and tokens: generate, hash, and check a found row. Pure Python, no database.

Secrets are never stored: ``core.api_keys.key_hash`` and ``core.auth_tokens.token_hash`` hold the
SHA-256 hex digest (64 lowercase hex characters, CHECKed by the schema). A fast hash is fine for
high-entropy random secrets; passwords need a slow hash (bcrypt/argon2) and are not handled here.

Typical use::

    new = generate_api_key()
    create_api_key(conn, key_prefix=new.key_prefix, key_hash=new.key_hash, ...)
    show_once_to_user(new.secret)

    row = find_api_key_by_hash(conn, key_hash=hash_secret(presented))
    if row is None: reject
    check_api_key(row)          # raises CredentialRejected if revoked or expired
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from registry_sql.errors import CredentialRejected, InvalidInput

__all__ = [
    "API_KEY_PREFIX",
    "NewApiKey",
    "RevocableCredential",
    "check_api_key",
    "check_token",
    "generate_api_key",
    "hash_secret",
    "secrets_match",
]

#: Every generated key starts with this marker, so leaked keys are easy to spot (secret scanners).
API_KEY_PREFIX = "rsk_"
_MIN_PREFIX, _MAX_PREFIX = 4, 16  # ck on core.api_keys.key_prefix: length 4-16


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly generated key. Show ``secret`` to its owner once; store only the rest."""

    secret: str = field(repr=False)
    key_prefix: str
    key_hash: str


class RevocableCredential(Protocol):
    """What the checks read from a found key or token row (the generated row models fit)."""

    @property
    def expires_at(self) -> datetime | None: ...

    @property
    def revoked_at(self) -> datetime | None: ...


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret as 64 lowercase hex characters (what ``key_hash`` stores)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secrets_match(secret: str, key_hash: str) -> bool:
    """Whether ``secret`` hashes to ``key_hash``, compared in constant time."""
    return hmac.compare_digest(hash_secret(secret), key_hash.lower())


def generate_api_key(prefix_len: int = 8) -> NewApiKey:
    """A new random API key: ``rsk_`` + 43 URL-safe characters (256 bits of entropy).

    ``key_prefix`` is the first ``prefix_len`` characters of the secret (shown in UIs, indexed
    for lookup logging); it must be 4 to 16 characters, as ``core.api_keys`` checks.
    """
    if not _MIN_PREFIX <= prefix_len <= _MAX_PREFIX:
        raise InvalidInput(
            f"generate_api_key: prefix_len={prefix_len} must be {_MIN_PREFIX} to {_MAX_PREFIX} "
            "(core.api_keys.key_prefix holds 4-16 characters)",
            field="prefix_len",
        )
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return NewApiKey(secret=secret, key_prefix=secret[:prefix_len], key_hash=hash_secret(secret))


def _aware(value: datetime) -> datetime:
    # timestamptz comes back aware; a naive datetime is taken as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _check(row: RevocableCredential, kind: str, now: datetime | None) -> None:
    moment = _aware(now) if now is not None else datetime.now(UTC)
    revoked_at = row.revoked_at
    if revoked_at is not None:  # any revocation counts, even one a clock puts in the future
        raise CredentialRejected(
            f"the {kind} was revoked at {_aware(revoked_at).isoformat()}; it can no longer be "
            f"used: issue a new {kind}",
            field="revoked_at",
        )
    expires_at = row.expires_at
    if expires_at is not None and _aware(expires_at) <= moment:
        raise CredentialRejected(
            f"the {kind} expired at {_aware(expires_at).isoformat()}; issue a new {kind} "
            "(or renew it before it expires)",
            field="expires_at",
        )


def check_api_key(row: RevocableCredential, *, now: datetime | None = None) -> None:
    """Raise :class:`~registry_sql.errors.CredentialRejected` if the key is revoked or expired.

    ``row`` is a found ``core.api_keys`` row (anything with ``expires_at`` and ``revoked_at``).
    A revocation takes precedence over an expiry in the message. ``now`` defaults to the
    current UTC time.
    """
    _check(row, "API key", now)


def check_token(row: RevocableCredential, *, now: datetime | None = None) -> None:
    """The same check for a ``core.auth_tokens`` row.

    If the row also has ``max_uses`` and ``usage_count`` (as ``core.auth_tokens`` does), a token
    that has been used ``max_uses`` times is rejected too.
    """
    _check(row, "token", now)
    max_uses = getattr(row, "max_uses", None)
    usage_count = getattr(row, "usage_count", None)
    if isinstance(max_uses, int) and isinstance(usage_count, int) and usage_count >= max_uses:
        raise CredentialRejected(
            f"the token has been used {usage_count} times, its limit is {max_uses}; "
            "issue a new token",
            field="usage_count",
        )
