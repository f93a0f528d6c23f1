"""`registry-sql migrate --trace`: the locks each pending migration takes, for DBAs.

The target database is not changed. A scratch database is created on the target's server, the
migrations the target has applied are replayed into it, and then each pending migration runs in
a transaction of its own, one statement at a time. After every statement the locks this session
holds on relations that existed before the migration are read from ``pg_locks``; at the end the
relations' ``relfilenode`` are compared with those before (a new file means the table or index
was rewritten) and the transaction is rolled back. The migration is then applied for real in the
scratch database, so the next one runs on the schema it expects, and the scratch database is
dropped at the end.

A lock is held from the statement that took it to the end of the migration's transaction: the
"held" column is that time on the scratch database (small tables, no concurrent sessions), an
order of magnitude, not a promise; what matters is the lock mode and what it blocks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlparse
from psycopg import sql as pgsql

from registry_sql import db, migrate
from registry_sql.errors import MigrationError, RegistrySqlError
from registry_sql.settings import normalize_url

#: What each relation lock mode makes other sessions wait for (PostgreSQL's conflict table).
BLOCKS: dict[str, str] = {
    "AccessShareLock": "only ACCESS EXCLUSIVE (DROP, most ALTER TABLE)",
    "RowShareLock": "EXCLUSIVE, ACCESS EXCLUSIVE",
    "RowExclusiveLock": "CREATE INDEX (not CONCURRENTLY) and stronger",
    "ShareUpdateExclusiveLock": "VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY, ALTER",
    "ShareLock": "writes (INSERT, UPDATE, DELETE)",
    "ShareRowExclusiveLock": "writes (INSERT, UPDATE, DELETE)",
    "ExclusiveLock": "writes and SELECT FOR UPDATE (reads go on)",
    "AccessExclusiveLock": "everything: reads and writes",
}

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@dataclass
class LockTaken:
    relation: str
    kind: str  # "table", "index", "view", ...
    mode: str
    statement: int  # 1-based statement number in the migration
    line: int  # line of that statement in the file
    held_ms: float = 0.0
    rewritten: bool = False

    @property
    def blocks(self) -> str:
        return BLOCKS.get(self.mode, "?")


@dataclass
class MigrationTrace:
    id: str
    path: Path
    statements: int = 0
    duration_ms: float = 0.0
    locks: list[LockTaken] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    note: str = ""

    def table(self) -> str:
        """The report of this migration as text (what ``migrate --trace`` prints)."""
        head = f"{self.id}: {self.statements} statement(s), {self.duration_ms:.1f} ms, rolled back"
        if self.note:
            return f"{self.id}: {self.note}"
        if not self.locks:
            return f"{head}\n  no lock on an existing relation"
        rows = [("relation", "kind", "lock", "from", "held", "rewritten", "blocks")]
        for lock in self.locks:
            rows.append(
                (
                    lock.relation,
                    lock.kind,
                    lock.mode,
                    f"stmt {lock.statement} (line {lock.line})",
                    f"{lock.held_ms:.1f} ms",
                    "yes" if lock.rewritten else "no",
                    lock.blocks,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        lines = [head]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  " + "  ".join([*cells, row[-1]]).rstrip())
        return "\n".join(lines)


_KINDS = {
    "r": "table",
    "p": "table",
    "i": "index",
    "I": "index",
    "v": "view",
    "m": "matview",
    "S": "sequence",
    "f": "foreign table",
}


def _relations(conn: psycopg.Connection[Any]) -> dict[int, tuple[str, str, int]]:
    """oid → (schema.name, kind, relfilenode) of every user relation."""
    rows = conn.execute(
        "SELECT c.oid::int, n.nspname || '.' || c.relname, c.relkind::text, c.relfilenode::int"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname <> ALL(%s) AND n.nspname NOT LIKE 'pg_temp%%'",
        (list(_SYSTEM_SCHEMAS),),
    ).fetchall()
    return {oid: (name, _KINDS.get(kind, kind), node) for oid, name, kind, node in rows}


def _held(conn: psycopg.Connection[Any]) -> set[tuple[int, str]]:
    rows = conn.execute(
        "SELECT relation::int, mode FROM pg_locks WHERE pid = pg_backend_pid()"
        " AND locktype = 'relation' AND granted"
    ).fetchall()
    return {(rel, mode) for rel, mode in rows}


def _statements(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each statement of a migration file, split as yoyo splits it."""
    text = path.read_text(encoding="utf-8")
    out: list[tuple[int, str]] = []
    pos = 0
    for statement in sqlparse.split(text):
        stripped = sqlparse.format(statement, strip_comments=True).strip()
        if not stripped:
            continue
        start = text.find(statement, pos)
        start = pos if start < 0 else start
        pos = start + len(statement)
        # The line of the statement's first non-comment text.
        first = statement.find(stripped.split()[0])
        out.append((text[: start + max(first, 0)].count("\n") + 1, statement))
    return out


def trace_one(url: str, migration: Any, lock_timeout: str) -> MigrationTrace:
    """Run one migration in a transaction on ``url``, record its locks, roll it back."""
    path = Path(migration.path)
    result = MigrationTrace(id=migration.id, path=path)
    statements = _statements(path)
    result.statements = len(statements)
    with db.connect(url) as conn:
        conn.execute(pgsql.SQL("SET lock_timeout = {}").format(pgsql.Literal(lock_timeout)))
        conn.commit()
        before = _relations(conn)
        first_seen: dict[tuple[int, str], tuple[int, int, float]] = {}
        started = time.monotonic()
        try:
            for number, (line, statement) in enumerate(statements, start=1):
                at = time.monotonic()
                conn.execute(statement.encode("utf-8"))
                for key in _held(conn):
                    if key[0] in before and key not in first_seen:
                        first_seen[key] = (number, line, at)
            ended = time.monotonic()
            after = _relations(conn)
        except psycopg.Error as exc:
            conn.rollback()
            raise MigrationError(
                f"{path}: migration failed while tracing (rolled back): "
                f"{migrate._describe_db_error(exc)}"
            ) from exc
        conn.rollback()
    result.duration_ms = (ended - started) * 1000
    rewritten = {
        oid for oid, (_, _, node) in before.items() if oid in after and after[oid][2] != node
    }
    result.rewritten = sorted(before[oid][0] for oid in rewritten)
    for (oid, mode), (number, line, at) in sorted(
        first_seen.items(), key=lambda item: (item[1][0], before[item[0][0]][0], item[0][1])
    ):
        name, kind, _ = before[oid]
        result.locks.append(
            LockTaken(
                relation=name,
                kind=kind,
                mode=mode,
                statement=number,
                line=line,
                held_ms=(ended - at) * 1000,
                rewritten=oid in rewritten,
            )
        )
    return result


def _seed(url: str, size: int) -> None:
    """Load the sample data into the scratch database, at the schema of the applied migrations
    (the schemas that do not exist yet there get none)."""
    from registry_sql.seeds import seed_all

    try:
        with db.connect(url, autocommit=True) as conn:
            present = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}
            seed_all(conn, size=size, schemas=present)
    except (psycopg.Error, RegistrySqlError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise MigrationError(
            f"--seed: the sample data does not load at the schema before the pending migrations "
            f"({message}); trace without --seed"
        ) from exc


def trace(
    url: str,
    *,
    lock_timeout: str = migrate.DEFAULT_LOCK_TIMEOUT,
    seed_size: int | None = None,
) -> list[MigrationTrace]:
    """A lock report for every migration pending on ``url``; ``url`` itself is not changed.

    ``seed_size``: load the sample data (that many generated rows per kind) into the scratch
    database before the pending migrations, so backfills have rows to touch.
    """
    applied = {state.id for state in migrate.status(url) if state.applied}
    migrations = list(migrate._migrations())
    if not [m for m in migrations if m.id not in applied]:
        return []
    reports: list[MigrationTrace] = []
    seeded = seed_size is None
    with (
        migrate.scratch_database(normalize_url(url), prefix="registry_sql_trace") as scratch,
        migrate._backend(scratch, None) as backend,
    ):
        for migration in migrations:
            if migration.id in applied:
                migrate.apply_in_scratch(backend, migration)
                continue
            if not seeded and seed_size is not None:
                _seed(scratch, seed_size)
                seeded = True
            migration.load()
            if not migration.use_transactions:
                reports.append(
                    MigrationTrace(
                        id=migration.id,
                        path=Path(migration.path),
                        note="not traced: it runs outside a transaction (`-- transactional: "
                        "false`, e.g. CREATE INDEX CONCURRENTLY, which takes "
                        "ShareUpdateExclusiveLock: reads and writes go on)",
                    )
                )
            else:
                reports.append(trace_one(scratch, migration, lock_timeout))
            # Applied for real in the scratch database: the next one finds the schema it expects.
            migrate.apply_in_scratch(backend, migration)
    return reports
