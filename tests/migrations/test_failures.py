"""What happens when a migration fails, waits for a lock, or runs twice at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from migration_support import MIGRATION_IDS, applied_ids, use_migrations_copy

from registry_sql import migrate
from registry_sql.errors import MigrationError

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

HANG_LIMIT = 60.0  # seconds: only to turn a hang into a failure, not a performance bound


@pytest.fixture
def migrations_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from use_migrations_copy(tmp_path, monkeypatch)


def run_in_thread(fn: Callable[[], object]) -> BaseException | None:
    """Run ``fn`` in a thread; its exception (None if it returned). Fails on a hang."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_LIMIT)
    if thread.is_alive():
        pytest.fail(f"still running after {HANG_LIMIT:g}s: a lock wait did not time out")
    return outcome[0]


def regclass(url: str, name: str) -> str | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass(%s)::text", (name,)).fetchone()
    return None if row is None else row[0]


def test_failed_migration_is_rolled_back_and_named(empty_url: str, migrations_copy: Path) -> None:
    broken = migrations_copy / "9999_core_broken.sql"
    broken.write_text(
        "-- 9999_core_broken: a test migration whose second statement fails.\n"
        "CREATE TABLE core.half_applied (id int PRIMARY KEY);\n"
        "SELECT 1 / 0;\n",
        encoding="utf-8",
    )
    (migrations_copy / "9999_core_broken.rollback.sql").write_text(
        "-- Rollback of 9999_core_broken.\nDROP TABLE core.half_applied;\n", encoding="utf-8"
    )

    with pytest.raises(MigrationError) as info:
        migrate.apply(empty_url)
    message = str(info.value)
    assert str(broken) in message
    assert "SQLSTATE 22012" in message
    assert "division by zero" in message
    assert isinstance(info.value.__cause__, psycopg.errors.DivisionByZero)

    assert regclass(empty_url, "core.half_applied") is None, "the failed migration left a table"
    assert applied_ids(empty_url) == MIGRATION_IDS  # the ones before it stay applied

    broken.write_text(
        "-- 9999_core_broken: fixed.\nCREATE TABLE core.half_applied (id int PRIMARY KEY);\n",
        encoding="utf-8",
    )
    assert migrate.apply(empty_url) == ["9999_core_broken"]
    assert regclass(empty_url, "core.half_applied") == "core.half_applied"
    assert applied_ids(empty_url) == [*MIGRATION_IDS, "9999_core_broken"]
    assert migrate.checksum_problems(empty_url) == []


def test_lock_timeout_fails_fast_and_applies_nothing(
    migrated_url: str, migrations_copy: Path
) -> None:
    probe = migrations_copy / "9999_core_lock_probe.sql"
    probe.write_text(
        "-- 9999_core_lock_probe: needs ACCESS EXCLUSIVE on core.users (lock_timeout from the\n"
        "-- caller, not set here).\n"
        "ALTER TABLE core.users ADD COLUMN lock_probe text;\n",
        encoding="utf-8",
    )
    (migrations_copy / "9999_core_lock_probe.rollback.sql").write_text(
        "-- Rollback of 9999_core_lock_probe.\nALTER TABLE core.users DROP COLUMN lock_probe;\n",
        encoding="utf-8",
    )

    with psycopg.connect(migrated_url) as blocker:  # a transaction stays open until rollback
        blocker.execute("LOCK TABLE core.users IN ACCESS EXCLUSIVE MODE")
        try:
            error = run_in_thread(lambda: migrate.apply(migrated_url, lock_timeout="1s"))
        finally:
            blocker.rollback()

    assert isinstance(error, MigrationError), repr(error)
    message = str(error)
    assert "SQLSTATE 55P03" in message
    assert "lock" in message.lower()
    assert str(probe) in message

    assert "9999_core_lock_probe" not in applied_ids(migrated_url)
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        column = conn.execute(
            "SELECT 1 FROM pg_catalog.pg_attribute"
            " WHERE attrelid = 'core.users'::regclass AND attname = 'lock_probe'"
        ).fetchone()
    assert column is None

    # nothing stuck behind: once the lock is gone the same migration applies
    assert migrate.apply(migrated_url, lock_timeout="1s") == ["9999_core_lock_probe"]


def test_concurrent_apply_applies_each_migration_once(empty_url: str) -> None:
    results: dict[int, list[str] | BaseException] = {}
    start = threading.Barrier(2)

    def worker(n: int) -> None:
        start.wait()
        try:
            results[n] = migrate.apply(empty_url)
        except BaseException as exc:
            results[n] = exc

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_LIMIT)
    assert not any(t.is_alive() for t in threads), "a concurrent migrate.apply hung"

    outcomes = list(results.values())
    errors = [r for r in outcomes if isinstance(r, BaseException)]
    for err in errors:
        assert isinstance(err, MigrationError), repr(err)
        assert "another migration is running" in str(err)
    successes = [r for r in outcomes if not isinstance(r, BaseException)]
    assert successes, f"neither run succeeded: {errors}"
    # together they applied every migration, none twice
    applied_by_runs = sorted(mid for r in successes for mid in r)
    assert applied_by_runs == sorted(MIGRATION_IDS)

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
                (MIGRATION_IDS,),
            ).fetchall()
        )
    assert per_id == dict.fromkeys(MIGRATION_IDS, 1)
    assert applies == dict.fromkeys(MIGRATION_IDS, 1)
    assert migrate.checksum_problems(empty_url) == []


def test_a_held_migration_lock_gives_a_clear_error(migrated_url: str) -> None:
    """Another run holds yoyo's lock (or died holding it): `wait` bounds the wait."""
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute("INSERT INTO public.yoyo_lock (locked, ctime, pid) VALUES (1, now(), 424242)")
        error = run_in_thread(lambda: migrate.apply(migrated_url, wait=1))
        assert isinstance(error, MigrationError), repr(error)
        assert "another migration is running" in str(error)
        assert "424242" in str(error)
        assert "yoyo break-lock" in str(error)
        conn.execute("DELETE FROM public.yoyo_lock")
    assert migrate.apply(migrated_url, wait=1) == []


def test_failed_rollback_is_undone_and_named(empty_url: str, migrations_copy: Path) -> None:
    (migrations_copy / "9999_core_bad_rollback.sql").write_text(
        "-- 9999_core_bad_rollback: a test migration whose rollback fails half-way.\n"
        "CREATE TABLE core.kept (id int PRIMARY KEY);\n",
        encoding="utf-8",
    )
    bad = migrations_copy / "9999_core_bad_rollback.rollback.sql"
    bad.write_text(
        "-- Rollback of 9999_core_bad_rollback: the second statement fails.\n"
        "DROP TABLE core.kept;\n"
        "SELECT 1 / 0;\n",
        encoding="utf-8",
    )
    assert migrate.apply(empty_url)[-1] == "9999_core_bad_rollback"

    with pytest.raises(MigrationError) as info:
        migrate.rollback(empty_url, count=1)
    assert str(bad) in str(info.value)
    assert "SQLSTATE 22012" in str(info.value)
    assert regclass(empty_url, "core.kept") == "core.kept", "the failed rollback was not undone"
    assert applied_ids(empty_url)[-1] == "9999_core_bad_rollback"


def test_checksums_are_recorded_even_when_a_later_migration_fails(
    empty_url: str, migrations_copy: Path
) -> None:
    """A failed run still records the checksums of what it applied, and so does an idle run."""
    broken = migrations_copy / "9999_core_broken.sql"
    broken.write_text("-- 9999_core_broken: fails.\nSELECT 1 / 0;\n", encoding="utf-8")
    (migrations_copy / "9999_core_broken.rollback.sql").write_text(
        "-- Rollback of 9999_core_broken.\nSELECT 1;\n", encoding="utf-8"
    )
    with pytest.raises(MigrationError, match="9999_core_broken"):
        migrate.apply(empty_url)
    assert migrate.checksum_problems(empty_url) == []
    # The broken migration is dropped instead of fixed: nothing is pending, all is consistent.
    broken.unlink()
    (migrations_copy / "9999_core_broken.rollback.sql").unlink()
    assert migrate.apply(empty_url) == []
    assert migrate.checksum_problems(empty_url) == []
    assert applied_ids(empty_url) == MIGRATION_IDS
