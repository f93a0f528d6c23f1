"""Migrations: yoyo underneath, with a lock timeout, batch mode, clear errors and content checksums.

`registry-sql migrate | rollback | status` call these functions; deploy pipelines may equally run
`yoyo apply --batch` with `yoyo.ini` (the same migrations, the same post-apply checksum hook, the
same backend: :mod:`registry_sql.yoyo_backend`). Every connection is opened by
:func:`registry_sql.db.connect`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql
from yoyo import exceptions as yoyo_exceptions
from yoyo import read_migrations

from registry_sql import db
from registry_sql.errors import MigrationError, translate_error
from registry_sql.paths import migrations_dir
from registry_sql.settings import normalize_url, redact_url

log = logging.getLogger("registry_sql.migrate")

DEFAULT_LOCK_TIMEOUT = "5s"
"""How long a migration statement waits for a table lock before failing (PostgreSQL syntax)."""

DEFAULT_WAIT = 60.0
"""How long (seconds) a second `migrate` waits for the one already running before giving up."""


@dataclass(frozen=True)
class MigrationState:
    id: str
    path: Path
    applied: bool
    applied_at_utc: datetime | None
    checksum_recorded: str | None
    checksum_current: str | None

    @property
    def edited_after_apply(self) -> bool:
        return (
            self.applied
            and self.checksum_recorded is not None
            and self.checksum_recorded != self.checksum_current
        )


@dataclass(frozen=True)
class ChecksumProblem:
    migration_id: str
    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@cache
def _hook_module() -> Any:
    """The post-apply hook file (``migrations/post-apply.py``) holds the checksum function."""
    path = migrations_dir() / "post-apply.py"
    spec = importlib.util.spec_from_file_location("registry_sql_post_apply", path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the package
        raise MigrationError(f"cannot load the checksum hook {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def migration_checksum(migration_id: str, directory: Path | None = None) -> str | None:
    fn: Callable[..., str | None] = _hook_module().migration_checksum
    return fn(migration_id, directory or migrations_dir())


@contextmanager
def _backend(url: str, lock_timeout: str | None = DEFAULT_LOCK_TIMEOUT) -> Iterator[Any]:
    from registry_sql.yoyo_backend import backend_for

    options = f"-c lock_timeout={lock_timeout}" if lock_timeout else None
    backend = backend_for(normalize_url(url), options=options)
    try:
        yield backend
    finally:
        backend.connection.close()


def _migrations() -> Any:
    return read_migrations(str(migrations_dir()))


def _describe_db_error(exc: psycopg.Error) -> str:
    diag = exc.diag
    parts = [
        f"SQLSTATE {exc.sqlstate}" if exc.sqlstate else "",
        diag.message_primary or str(exc),
    ]
    if diag.message_detail:
        parts.append(f"DETAIL: {diag.message_detail}")
    if diag.message_hint:
        parts.append(f"HINT: {diag.message_hint}")
    if exc.sqlstate == "55P03":
        parts.append(
            "a lock was held by another session longer than lock_timeout; "
            "find it in pg_stat_activity, let it finish, then run the migration again"
        )
    return " ".join(p for p in parts if p)


@contextmanager
def _locked(backend: Any, wait: float) -> Iterator[None]:
    try:
        with backend.lock(timeout=wait):
            yield
    except yoyo_exceptions.LockTimeout as exc:
        raise MigrationError(
            f"another migration is running on this database and did not finish within {wait:g}s "
            f"({exc}); wait for it, or if it died, run `yoyo break-lock`"
        ) from exc


def apply(
    url: str,
    *,
    lock_timeout: str | None = DEFAULT_LOCK_TIMEOUT,
    wait: float = DEFAULT_WAIT,
    allow_edited: bool = False,
    phase: str | None = None,
) -> list[str]:
    """Apply every pending migration in order; return the ids applied (empty when up to date).

    ``phase`` ("pre" / "post", see :mod:`registry_sql.phases`) applies only that deploy phase.

    Each migration runs in its own transaction: one that fails leaves the database as it was before
    it, and the error names the file, the SQLSTATE and PostgreSQL's message. An applied migration
    whose file was edited or removed since stops the run before anything is applied (a
    :class:`MigrationError` naming the files and what to do), unless ``allow_edited``.
    """
    applied: list[str] = []
    with _backend(url, lock_timeout) as backend, _locked(backend, wait):
        if not allow_edited:
            problems = checksum_problems(url, edits_only=True)
            if problems:
                raise MigrationError(
                    f"refusing to migrate {redact_url(normalize_url(url))}: "
                    + "; ".join(str(p) for p in problems)
                    + " (`registry-sql migrate --allow-edited` applies anyway)"
                )
        migrations = _migrations()
        pending = backend.to_apply(migrations)
        if phase is not None:
            from registry_sql.phases import select_phase

            pending = select_phase(pending, phase)
        failed = False
        try:
            for migration in pending:
                try:
                    backend.apply_one(migration)
                except psycopg.Error as exc:
                    raise MigrationError(
                        f"{migration.path}: migration failed and was rolled back: "
                        f"{_describe_db_error(exc)}"
                    ) from exc
                applied.append(migration.id)
                log.info("applied %s", migration.id)
        except BaseException:
            failed = True
            raise
        finally:
            # The checksum hook runs every time, also after a failed run and when nothing was
            # pending: it records what is applied and has no checksum yet (idempotent, cheap).
            try:
                backend.run_post_apply(migrations)
            except psycopg.Error as exc:
                if not failed:
                    raise MigrationError(
                        f"recording the migration checksums failed: {_describe_db_error(exc)}"
                    ) from exc
                log.exception("recording migration checksums failed after a failed migration")
    return applied


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.pop("dbname", None)
    return urlunsplit(parts._replace(path=f"/{dbname}", query=urlencode(query)))


@contextmanager
def scratch_database(server_url: str, *, prefix: str = "registry_sql_scratch") -> Iterator[str]:
    """A temporary empty database on the server of ``server_url``; dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with db.connect(server_url, autocommit=True) as admin:
        admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    try:
        yield _with_dbname(server_url, name)
    finally:
        with db.connect(server_url, autocommit=True) as admin:
            admin.execute(
                pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
            )


def apply_in_scratch(backend: Any, migration: Any) -> None:
    """Apply one migration with ``backend`` (a scratch database of a check or a trace); a failure
    is a :class:`MigrationError` naming the file."""
    try:
        backend.apply_one(migration)
    except psycopg.Error as exc:
        raise MigrationError(
            f"{migration.path}: migration failed in the scratch database: {_describe_db_error(exc)}"
        ) from exc


def rollback(
    url: str,
    *,
    count: int | None = 1,
    wait: float = DEFAULT_WAIT,
    lock_timeout: str | None = DEFAULT_LOCK_TIMEOUT,
) -> list[str]:
    """Roll back the ``count`` latest migrations (``None``: all); return the ids rolled back."""
    if count is not None and count < 1:
        raise MigrationError(f"rollback count must be at least 1 (got {count})")
    done: list[str] = []
    with _backend(url, lock_timeout) as backend, _locked(backend, wait):
        to_rollback = list(backend.to_rollback(_migrations()))
        if count is not None:
            to_rollback = to_rollback[:count]
        for migration in to_rollback:
            try:
                backend.rollback_one(migration)
            except psycopg.Error as exc:
                raise MigrationError(
                    f"{Path(migration.path).with_suffix('.rollback.sql')}: rollback failed and was "
                    f"undone: {_describe_db_error(exc)}"
                ) from exc
            done.append(migration.id)
    return done


def _recorded(url: str) -> tuple[dict[str, datetime], dict[str, str]]:
    """Applied migrations (id → applied_at) and recorded checksums (id → sha256)."""
    with db.connect(normalize_url(url), autocommit=True) as conn:
        applied: dict[str, datetime] = {}
        if conn.execute("SELECT to_regclass('public._yoyo_migration')").fetchone() != (None,):
            for mid, at in conn.execute(
                "SELECT migration_id, applied_at_utc FROM public._yoyo_migration"
            ):
                applied[mid] = at
        sums: dict[str, str] = {}
        exists = conn.execute(
            "SELECT to_regclass('public._registry_sql_migration_checksums')"
        ).fetchone()
        if exists != (None,):
            for mid, sha in conn.execute(
                "SELECT migration_id, sha256 FROM public._registry_sql_migration_checksums"
            ):
                sums[mid] = sha
    return applied, sums


def status(url: str) -> list[MigrationState]:
    """Every migration known to the files or to the database, in the order a fresh database
    applies them (file order, except a ``-- runs-before:`` migration, just before its target)."""
    try:
        applied, sums = _recorded(url)
    except psycopg.Error as exc:
        raise translate_error(
            exc, query=f"reading the migration state of {redact_url(normalize_url(url))}"
        ) from exc
    states: list[MigrationState] = []
    seen: set[str] = set()
    from registry_sql.yoyo_backend import ordered

    for migration in ordered(_migrations()):
        seen.add(migration.id)
        states.append(
            MigrationState(
                id=migration.id,
                path=Path(migration.path),
                applied=migration.id in applied,
                applied_at_utc=applied.get(migration.id),
                checksum_recorded=sums.get(migration.id),
                checksum_current=migration_checksum(migration.id),
            )
        )
    for mid in sorted(set(applied) - seen):
        states.append(
            MigrationState(
                id=mid,
                path=migrations_dir() / f"{mid}.sql",
                applied=True,
                applied_at_utc=applied[mid],
                checksum_recorded=sums.get(mid),
                checksum_current=None,
            )
        )
    return states


def _git_state(path: Path) -> str | None:
    """``"modified"`` when ``path`` differs from the committed version, ``"committed"`` when it
    matches it, ``"untracked"`` when it was never committed, None when that cannot be told (no
    git, not a checkout, an installed wheel)."""
    git = shutil.which("git")
    if git is None or not path.exists():
        return None
    try:
        proc = subprocess.run(
            [git, "status", "--porcelain", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    if proc.stdout.startswith("??"):
        return "untracked"
    return "modified" if proc.stdout.strip() else "committed"


def _edit_advice(path: Path) -> str:
    """What to do about an applied migration whose checksum differs, fitting the situation."""
    state = _git_state(path)
    if state == "modified":
        return (
            "the file has uncommitted changes: revert them (git checkout -- "
            f"{path.name}) and put the change in a new migration"
        )
    if state == "untracked":
        return (
            "the file is not committed yet and changed after this database applied it: on a "
            "development database, `registry-sql rollback` (while its rollback still fits) or "
            "`registry-sql reset --yes`, then migrate again"
        )
    if state == "committed":
        return (
            "the file matches the committed version, so this database was migrated from "
            "another version of it (an edit since reverted, or another branch): on a "
            "development database start over with `registry-sql reset --yes`; on a shared one, "
            "find which version was applied before going on"
        )
    return (
        "applied migrations never change: revert the file to the version that was applied and "
        "put the change in a new migration (on a development database, `registry-sql reset "
        "--yes` starts over)"
    )


def checksum_problems(url: str, *, edits_only: bool = False) -> list[ChecksumProblem]:
    """Applied migrations whose file was edited or removed after they were applied.

    ``edits_only``: leave out applied migrations without a recorded checksum (the post-apply hook
    records it on the next run).
    """
    problems: list[ChecksumProblem] = []
    for state in status(url):
        if not state.applied:
            continue
        if state.checksum_current is None:
            problems.append(
                ChecksumProblem(
                    state.id,
                    state.path,
                    "applied to the database, but the file is missing; restore it "
                    "(applied migrations never change or disappear)",
                )
            )
        elif state.checksum_recorded is None:
            if edits_only:
                continue
            problems.append(
                ChecksumProblem(
                    state.id,
                    state.path,
                    "applied without a recorded checksum; run `registry-sql migrate` once so "
                    "the post-apply hook records it",
                )
            )
        elif state.edited_after_apply:
            problems.append(
                ChecksumProblem(
                    state.id,
                    state.path,
                    "differs from the version applied to this database (content checksum "
                    f"recorded at apply time); {_edit_advice(state.path)}",
                )
            )
    return problems


_BOOKKEEPING_TABLES = (
    "_yoyo_migration",
    "_yoyo_log",
    "_yoyo_version",
    "yoyo_lock",
    "_registry_sql_migration_checksums",
)


def wipe(url: str) -> list[str]:
    """Drop every registry-sql schema (CASCADE) and the migration bookkeeping: DATA IS LOST.

    For `registry-sql reset` on development and test databases. One transaction: it happens
    entirely or not at all. Cluster-wide roles and extensions are kept.
    """
    from psycopg import sql as pgsql

    from registry_sql.paths import schema_names

    dropped: list[str] = []
    try:
        with db.connect(normalize_url(url), autocommit=True) as conn, conn.transaction():
            for schema in reversed(schema_names()):
                exists = conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
                ).fetchone()
                if exists:
                    conn.execute(
                        pgsql.SQL("DROP SCHEMA {} CASCADE").format(pgsql.Identifier(schema))
                    )
                    dropped.append(schema)
            for table in _BOOKKEEPING_TABLES:
                conn.execute(
                    pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier("public", table))
                )
    except psycopg.Error as exc:
        raise MigrationError(
            f"reset of {redact_url(normalize_url(url))} failed and changed nothing: "
            f"{_describe_db_error(exc)}"
        ) from exc
    return dropped
