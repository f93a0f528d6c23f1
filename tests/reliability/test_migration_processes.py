"""`registry-sql migrate` as real processes: two at once, and one killed half-way.

tests/migrations covers the Python API (concurrent threads, failures, lock_timeout). Here the
command a deploy pipeline runs is started as a subprocess, so what is tested includes process
death: a ``kill -9`` of the client, or the server terminating its connection, in the middle of
a migration. Anchors: River's and pgmq's migration tests; PostgreSQL's transactional DDL.

A test migration sleeps between two statements; the sleep comes from a database setting
(``registry_tests.migration_sleep``) so that the file stays byte-identical between the killed
run and the run that applies it (its checksum is recorded then).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from yoyo import read_migrations

from registry_sql import migrate
from registry_sql.paths import migrations_dir
from registry_sql.settings import yoyo_url

pytest_plugins = ["reliability_plugin"]
# A long suite: `make test-long` (and CI) runs it, `make test` does not (docs/testing.md).
pytestmark = pytest.mark.long

from reliability_plugin import TALLY  # noqa: E402  (the plugin module, imported by name)

REPO_ROOT = Path(__file__).resolve().parents[2]
HANG_LIMIT = 90.0  # seconds: turns a hang into a failure; never a performance bound
SLEEP_SETTING = "registry_tests.migration_sleep"
_PG_ENV = re.compile(r"^PG[A-Z_]+$")

SLEEPY_SQL = """\
-- {mid}: a test migration that creates a table, sleeps, then creates another.
-- The sleep is {setting} seconds (a database setting; 0 when unset).

SET LOCAL lock_timeout = '5s';

CREATE TABLE core.{first} (id int PRIMARY KEY);

SELECT pg_sleep(coalesce(nullif(current_setting('{setting}', true), ''), '0')::float8);

CREATE TABLE core.{second} (id int PRIMARY KEY);
"""
SLEEPY_ROLLBACK = """\
-- Rollback of {mid}.
SET LOCAL lock_timeout = '5s';
DROP TABLE core.{second};
DROP TABLE core.{first};
"""


def project_migration_ids() -> list[str]:
    return [str(m.id) for m in read_migrations(str(migrations_dir()))]


def _tool(name: str) -> list[str] | None:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return [str(beside)]
    found = shutil.which(name)
    return [found] if found else None


def registry_sql_command() -> list[str]:
    """The installed `registry-sql` console script (else the same entry point via -m)."""
    return _tool("registry-sql") or [sys.executable, "-m", "registry_sql.cli"]


def _env(url: str, migrations: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _PG_ENV.match(k)}
    env["DATABASE_URL"] = url
    env.pop("REGISTRY_SQL_MIGRATIONS_DIR", None)
    if migrations is not None:
        env["REGISTRY_SQL_MIGRATIONS_DIR"] = str(migrations)
    return env


def start_migrate(url: str, migrations: Path | None, *args: str) -> subprocess.Popen[str]:
    TALLY.migration_processes += 1
    return subprocess.Popen(
        [*registry_sql_command(), "migrate", *args],
        cwd=REPO_ROOT,
        env=_env(url, migrations),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=HANG_LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"`registry-sql migrate` still running after {HANG_LIMIT:g}s")
    return proc.returncode, out, err


def applied_ids(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT migration_id FROM public._yoyo_migration ORDER BY applied_at_utc, migration_id"
        ).fetchall()
    return [str(r[0]) for r in rows]


def regclass(url: str, name: str) -> str | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass(%s)::text", (name,)).fetchone()
    return None if row is None else row[0]


def set_sleep(url: str, seconds: float | None) -> None:
    """``ALTER DATABASE <this one> SET registry_tests.migration_sleep`` (RESET with None)."""
    with psycopg.connect(url, autocommit=True) as conn:
        dbname = conn.info.dbname
        if seconds is None:
            conn.execute(
                sql.SQL("ALTER DATABASE {} RESET {}").format(
                    sql.Identifier(dbname), sql.SQL(SLEEP_SETTING)
                )
            )
        else:
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(dbname), sql.SQL(SLEEP_SETTING), sql.Literal(str(seconds))
                )
            )


def sleeping_backend(url: str) -> int | None:
    """The pid of the backend running the test migration's pg_sleep, if any."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE %s",
            (f"%{SLEEP_SETTING}%",),
        ).fetchone()
    return None if row is None else int(row[0])


def wait_until(predicate: object, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + HANG_LIMIT
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {HANG_LIMIT:g}s waiting for {what}")


@pytest.fixture
def migrations_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the migrations that this process and its subprocesses use."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("REGISTRY_SQL_MIGRATIONS_DIR", str(copy))
    migrate._hook_module.cache_clear()
    yield copy
    migrate._hook_module.cache_clear()


def add_sleepy_migration(directory: Path, mid: str, first: str, second: str) -> Path:
    last = project_migration_ids()[-1]
    path = directory / f"{mid}.sql"
    body = SLEEPY_SQL.format(mid=mid, setting=SLEEP_SETTING, first=first, second=second)
    # the directive goes in the leading comment block (yoyo reads it there)
    path.write_text(body.replace("\n\n", f"\n-- depends: {last}\n\n", 1), encoding="utf-8")
    (directory / f"{mid}.rollback.sql").write_text(
        SLEEPY_ROLLBACK.format(mid=mid, first=first, second=second), encoding="utf-8"
    )
    return path


# --------------------------------------------------------------------------- tests


def test_two_migrate_processes_at_once_apply_each_migration_once(
    empty_url: str, migrations_copy: Path
) -> None:
    """Both start on an empty database; the one that gets yoyo's lock applies everything (the
    last migration sleeps 2 s so the runs surely overlap); the other waits, then finds nothing
    to do (or, past --wait, fails naming the running one)."""
    add_sleepy_migration(migrations_copy, "9999_core_slow", "slow_first", "slow_second")
    expected = project_migration_ids()  # the copy's: the project's + 9999_core_slow
    assert expected[-1] == "9999_core_slow"
    set_sleep(empty_url, 2)

    procs = [start_migrate(empty_url, migrations_copy) for _ in range(2)]
    results = [finish(p) for p in procs]

    ok = [r for r in results if r[0] == 0]
    assert ok, f"neither run succeeded: {results}"
    for code, out, err in results:
        if code != 0:
            assert code == 1, (code, out, err)
            assert "another migration is running" in err, err
            assert "Traceback" not in err, err
    applied_by_runs = sorted(
        m for _, out, _ in ok for m in re.findall(r"^applied\s+(\S+)$", out, re.M)
    )
    assert applied_by_runs == sorted(expected), "\n".join(map(str, results))
    assert any("up to date" in out for _, out, _ in results) or len(ok) == 1, results

    with psycopg.connect(empty_url, autocommit=True) as conn:
        per_id: dict[str, int] = dict(
            conn.execute(
                "SELECT migration_id, count(*) FROM public._yoyo_migration GROUP BY 1"
            ).fetchall()
        )
        applies: dict[str, int] = dict(
            conn.execute(
                "SELECT migration_id, count(*) FROM public._yoyo_log"
                " WHERE operation = 'apply' AND migration_id = ANY(%s) GROUP BY 1",
                (expected,),  # the post-apply hook is logged by every run, by design
            ).fetchall()
        )
        locks = conn.execute("SELECT count(*) FROM public.yoyo_lock").fetchone()
    assert per_id == dict.fromkeys(expected, 1)
    assert applies == dict.fromkeys(expected, 1)
    assert locks == (0,), "yoyo's lock was left behind"
    assert migrate.checksum_problems(empty_url) == []


@pytest.mark.parametrize("how", ["kill -9 the client", "pg_terminate_backend"])
def test_a_migration_killed_half_way_leaves_nothing_and_applies_next_time(
    migrated_url: str, migrations_copy: Path, how: str
) -> None:
    mid = "9999_core_killed"
    path = add_sleepy_migration(migrations_copy, mid, "killed_first", "killed_second")
    before = applied_ids(migrated_url)
    set_sleep(migrated_url, 30)
    # a server notices a vanished client only when it next talks to it, or with this check
    # (PostgreSQL >= 14); without it, the orphaned backend sleeps on, then rolls back
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET client_connection_check_interval = '200ms'").format(
                sql.Identifier(conn.info.dbname)
            )
        )

    proc = start_migrate(migrated_url, migrations_copy)
    try:
        wait_until(
            lambda: sleeping_backend(migrated_url) is not None or proc.poll() is not None,
            "the migration to reach its pg_sleep",
        )
        backend = sleeping_backend(migrated_url)
        assert backend is not None, f"the migration did not start: {proc.communicate()}"
        # half-way: the first table exists in the migration's transaction, uncommitted
        assert regclass(migrated_url, "core.killed_first") is None
        if how == "kill -9 the client":
            proc.send_signal(signal.SIGKILL)
            code, out, err = finish(proc)
            assert code == -signal.SIGKILL
        else:
            with psycopg.connect(migrated_url, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (backend,))
            code, out, err = finish(proc)
            assert code == 1, (code, out, err)
            assert str(path) in err and "rolled back" in err, err
            assert "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    TALLY.migrations_killed += 1
    wait_until(lambda: sleeping_backend(migrated_url) is None, "the killed backend to go away")

    # the database is as before: no table, not marked applied
    assert regclass(migrated_url, "core.killed_first") is None
    assert regclass(migrated_url, "core.killed_second") is None
    assert applied_ids(migrated_url) == before
    assert mid not in applied_ids(migrated_url)

    with psycopg.connect(migrated_url, autocommit=True) as conn:
        lock_pids = [r[0] for r in conn.execute("SELECT pid FROM public.yoyo_lock").fetchall()]
    set_sleep(migrated_url, None)
    if how == "kill -9 the client":
        # yoyo's lock is a row in yoyo_lock, deleted by the process that took it: a killed
        # process leaves it behind. The next run says so, and `yoyo break-lock` removes it.
        assert lock_pids == [proc.pid], lock_pids
        code, out, err = finish(start_migrate(migrated_url, migrations_copy, "--wait", "1"))
        assert code == 1, (code, out, err)
        assert "another migration is running" in err, err
        assert str(proc.pid) in err and "yoyo break-lock" in err, err
        yoyo = _tool("yoyo")
        assert yoyo is not None, "the yoyo command is not installed"
        env = _env(yoyo_url(migrated_url), None)
        broke = subprocess.run(
            [*yoyo, "break-lock"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
            timeout=HANG_LIMIT, check=False, stdin=subprocess.DEVNULL,
        )
        assert broke.returncode == 0, broke.stdout + broke.stderr
    else:
        # the client survived its connection: it released the lock on its way out
        assert lock_pids == [], lock_pids

    code, out, err = finish(start_migrate(migrated_url, migrations_copy))
    assert code == 0, (code, out, err)
    assert re.search(rf"^applied\s+{mid}$", out, re.M), out
    assert regclass(migrated_url, "core.killed_first") == "core.killed_first"
    assert regclass(migrated_url, "core.killed_second") == "core.killed_second"
    assert applied_ids(migrated_url) == [*before, mid]
    assert migrate.checksum_problems(migrated_url) == []
    TALLY.fault(f"migration killed half-way ({how})", survived=True)
