"""yoyo post-apply hook: record a content checksum of every applied migration.

yoyo knows an applied migration only by a hash of its *name*, so a migration edited after it was
applied goes unnoticed. After every successful `yoyo apply` (and `registry-sql migrate`, which runs
this same hook), this step stores a SHA-256 of each applied migration's `.sql` and `.rollback.sql`
in `public._registry_sql_migration_checksums`. `registry-sql check` compares them with the files and
fails, naming the file, when one differs. A migration that was rolled back and applied again gets
its checksum recorded afresh.

Standard library only: this file is run by yoyo itself, from a checkout or an installed wheel.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from yoyo import step

MIGRATIONS_DIR = Path(__file__).resolve().parent
CHECKSUM_TABLE = "public._registry_sql_migration_checksums"


def migration_checksum(migration_id: str, directory: Path = MIGRATIONS_DIR) -> str | None:
    """SHA-256 over a migration's apply and rollback files; None when the migration file is gone."""
    apply_file = directory / f"{migration_id}.sql"
    if not apply_file.is_file():
        return None
    digest = hashlib.sha256(apply_file.read_bytes())
    rollback_file = directory / f"{migration_id}.rollback.sql"
    digest.update(b"\0rollback\0")
    if rollback_file.is_file():
        digest.update(rollback_file.read_bytes())
    return digest.hexdigest()


def record_checksums(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE IF NOT EXISTS public._registry_sql_migration_checksums ("
        " migration_id text PRIMARY KEY,"
        " sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
        " applied_at_utc timestamp NOT NULL,"
        " recorded_at timestamptz NOT NULL DEFAULT now())"
    )
    cur.execute("SELECT migration_id, applied_at_utc FROM public._yoyo_migration")
    for migration_id, applied_at in cur.fetchall():
        checksum = migration_checksum(migration_id)
        if checksum is None:
            continue
        # Keep the checksum taken when the migration was applied; refresh it only when yoyo
        # applied the migration again (after a rollback).
        cur.execute(
            "INSERT INTO public._registry_sql_migration_checksums"
            " (migration_id, sha256, applied_at_utc) VALUES (%s, %s, %s)"
            " ON CONFLICT (migration_id) DO UPDATE"
            " SET sha256 = EXCLUDED.sha256, applied_at_utc = EXCLUDED.applied_at_utc,"
            " recorded_at = now()"
            " WHERE _registry_sql_migration_checksums.applied_at_utc"
            " IS DISTINCT FROM EXCLUDED.applied_at_utc",
            (migration_id, checksum, applied_at),
        )


# registry_sql.migrate imports this file for `migration_checksum` under its own module name;
# only yoyo's loading registers the step.
if __name__ != "registry_sql_post_apply":
    step(record_checksums)
