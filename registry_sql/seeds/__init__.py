"""Sample data: `registry-sql seed`, the demo, the benchmarks.

``registry_sql.seeds.<schema>`` modules define
``seed(conn, *, size: int, progress: Progress | None) -> dict[str, int]`` (what they created, by
kind). Seeding is idempotent: a schema whose sample is already there is left as it is. Everything
goes through the generated typed functions (and their COPY ingests for large sizes).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Collection
from typing import Any

import psycopg

from registry_sql.tours import modules

Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``: called as large seeds advance."""

DEFAULT_SIZE = 1_000


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A scrypt hash in the ``$scrypt$ln=..,r=..,p=..$salt$hash`` form, for sample users.

    Services hash with their own library (bcrypt, argon2); the database only checks that the
    value looks like a hash (``ck_users__hashed_password_is_hash``).
    """
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    salt_text = base64.b64encode(salt).decode().rstrip("=")
    digest_text = base64.b64encode(digest).decode().rstrip("=")
    return f"$scrypt$ln=14,r=8,p=1${salt_text}${digest_text}"


def seed_all(
    conn: psycopg.Connection[Any],
    *,
    size: int = DEFAULT_SIZE,
    progress: Progress | None = None,
    schemas: Collection[str] | None = None,
) -> dict[str, dict[str, int]]:
    """Seed every schema that has a seed module, in schema order; return the counts per schema.

    ``schemas``: only these (e.g. the ones a partly migrated database has); default all.
    """
    counts: dict[str, dict[str, int]] = {}
    for module in modules("seeds"):
        schema = module.__name__.rsplit(".", 1)[1]
        if schemas is None or schema in schemas:
            counts[schema] = module.seed(conn, size=size, progress=progress)
    return counts
