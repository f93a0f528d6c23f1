"""Faults under load: the server restarts (cleanly and by crash) under a pool with writers
running, backends are terminated, statements exceed ``statement_timeout``, the pool runs dry.

What must hold: the pool recovers without being recreated, calls that fail get a translated,
retryable ``RegistrySqlError`` (never a raw psycopg error), every write that reported success is
there afterwards (count and checksum over its ids), nothing hangs.

The restart test runs on a DEDICATED throwaway server (same binaries as the leg under test), so
the session's shared server is never restarted under other tests. It sets
``synchronous_commit = on`` (the harness turns it off for speed): with it off, a crash may lose
the last commits by design, and "acknowledged means durable" is exactly what is tested here.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from registry_sql import core, db, migrate
from registry_sql.core import Application, AuditAction
from registry_sql.errors import PoolTimeout, QueryTimeout, RegistrySqlError
from registry_sql.server import LocalServer
from registry_sql.settings import Settings

pytest_plugins = ["reliability_plugin"]
# A long suite: `make test-long` (and CI) runs it, `make test` does not (docs/testing.md).
pytestmark = pytest.mark.long

from reliability_plugin import TALLY  # noqa: E402  (the plugin module, imported by name)

HANG_LIMIT = 90.0  # seconds: turns a hang into a failure; never a performance bound
WRITERS = 4
WRITES_PER_PHASE = 20
PASSWORD_HASH = "$scrypt$ln=10,r=8,p=1$cmVnaXN0cnktdGVzdHMhIQ$" + "A" * 43
MARKER = "reliability_write"


# --------------------------------------------------------------------------- dedicated server


@pytest.fixture
def fault_server(pg_server: Any) -> Iterator[LocalServer]:
    """A throwaway server from the leg's binaries, restarted by the test, deleted afterwards."""
    server = LocalServer(pg_server.local.bindir, settings={"synchronous_commit": "on"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fault_url(fault_server: LocalServer) -> str:
    with psycopg.connect(fault_server.url("postgres"), autocommit=True) as c:
        c.execute("CREATE DATABASE faults")
    url = fault_server.url("faults")
    migrate.apply(url)
    return url


# --------------------------------------------------------------------------- the workload


@dataclass
class Workload:
    """Writer threads inserting through the pool with generated functions; what they saw."""

    pool: ConnectionPool[Any]
    audit_ids: list[uuid.UUID] = field(default_factory=list)
    user_ids: list[uuid.UUID] = field(default_factory=list)
    errors: list[RegistrySqlError] = field(default_factory=list)
    raw_errors: list[BaseException] = field(default_factory=list)
    phase: int = 0
    ok_per_phase: Counter[int] = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(WRITERS):
            t = threading.Thread(target=self._run, args=(n,), daemon=True, name=f"writer-{n}")
            t.start()
            self.threads.append(t)

    def _write(self, writer: int, seq: int) -> tuple[str, uuid.UUID]:
        with db.transaction(self.pool) as conn:
            if writer % 2 == 0:
                event = core.create_audit_event(
                    conn,
                    application=Application.CORE,
                    action=AuditAction.CREATE,
                    entity_type=MARKER,
                    entity_id=f"{writer}-{seq}",
                    details={"writer": writer, "seq": seq},
                )
                return "audit", event.id
            name = f"w{writer}_{seq}_{uuid.uuid4().hex[:8]}"
            user = core.create_user(
                conn, username=name, email=f"{name}@example.com", hashed_password=PASSWORD_HASH
            )
            return "user", user.id

    def _run(self, writer: int) -> None:
        seq = 0
        while not self.stop.is_set():
            seq += 1
            try:
                kind, new_id = self._write(writer, seq)
            except RegistrySqlError as exc:
                with self.lock:
                    self.errors.append(exc)
                time.sleep(0.05)
                continue
            except BaseException as exc:  # a raw driver error (or anything else): a failure
                with self.lock:
                    self.raw_errors.append(exc)
                time.sleep(0.05)
                continue
            # acknowledged: the commit returned
            with self.lock:
                (self.audit_ids if kind == "audit" else self.user_ids).append(new_id)
                self.ok_per_phase[self.phase] += 1

    def wait_for_writes(self, count: int) -> None:
        deadline = time.monotonic() + HANG_LIMIT
        while time.monotonic() < deadline:
            with self.lock:
                if self.ok_per_phase[self.phase] >= count:
                    return
            time.sleep(0.05)
        pytest.fail(
            f"phase {self.phase}: fewer than {count} writes succeeded within {HANG_LIMIT:g}s: "
            f"the pool did not recover (errors: {self.errors[-3:]!r}, "
            f"raw: {self.raw_errors[-3:]!r})"
        )

    def next_phase(self) -> None:
        with self.lock:
            self.phase += 1

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(HANG_LIMIT)
        assert not any(t.is_alive() for t in self.threads), "a writer hung"


def _ids_checksum(ids: list[uuid.UUID]) -> str:
    return hashlib.md5(",".join(sorted(str(i) for i in ids)).encode()).hexdigest()


def _stored(url: str, table: str, ids: list[uuid.UUID]) -> tuple[int, str | None]:
    """How many of ``ids`` are in ``core.<table>``, and the md5 of them sorted (C order)."""
    query = sql.SQL(
        "SELECT count(*), md5(string_agg(id::text, ',' ORDER BY id::text COLLATE \"C\"))"
        " FROM {} WHERE id = ANY(%s)"
    ).format(sql.Identifier("core", table))
    with psycopg.connect(url, autocommit=True) as c:
        row = c.execute(query, (ids,)).fetchone()
    assert row is not None
    return int(row[0]), row[1]


# --------------------------------------------------------------------------- tests


def test_server_restarts_under_a_pool_with_writers(
    fault_server: LocalServer, fault_url: str
) -> None:
    settings = Settings(
        database_url=fault_url, min_size=2, max_size=WRITERS, timeout=2.0, max_idle=60
    )
    pool = db.create_pool(settings, open=False, allow_privileged_role=True)
    pool.open(wait=True, timeout=30)
    work = Workload(pool)
    try:
        work.start()
        work.wait_for_writes(WRITES_PER_PHASE)
        restarts = (("server restart (fast shutdown)", "fast", 1.0),
                    ("server crash + recovery (immediate shutdown)", "immediate", 0.5))
        for kind, mode, pause in restarts:
            work.next_phase()
            fault_server.restart(mode=mode, pause=pause)
            work.wait_for_writes(WRITES_PER_PHASE)  # the same pool serves again
            TALLY.fault(kind, survived=True)
        work.finish()
        db.health_check(pool)  # not recreated: the same pool object still works
    finally:
        work.stop.set()
        pool.close()

    assert not work.raw_errors, f"untranslated errors reached the caller: {work.raw_errors[:5]!r}"
    kinds = Counter(type(e).__name__ for e in work.errors)
    assert work.errors, "no call failed across two restarts: the fault was not exercised"
    not_retryable = [e for e in work.errors if not e.retryable]
    assert not not_retryable, f"failures must be retryable: {not_retryable[:5]!r} ({kinds})"
    for err in work.errors:
        assert isinstance(err.__cause__, psycopg.Error), repr(err)  # raised from the driver's
        assert str(err), "an error without a message"

    lost = 0
    for table, ids in (("audit_log", work.audit_ids), ("users", work.user_ids)):
        assert ids, f"no acknowledged write to core.{table}"
        count, checksum = _stored(fault_url, table, ids)
        lost += len(ids) - count
        assert count == len(ids), f"core.{table}: {len(ids) - count} acknowledged writes lost"
        assert checksum == _ids_checksum(ids), f"core.{table}: checksum over ids differs"
    with psycopg.connect(fault_url, autocommit=True) as c:
        row = c.execute(
            "SELECT count(*) FROM core.audit_log WHERE entity_type = %s", (MARKER,)
        ).fetchone()
    assert row is not None
    # a failed call may still have committed (the connection broke after COMMIT reached the
    # server): never more rows than acknowledged writes plus failures
    assert len(work.audit_ids) <= row[0] <= len(work.audit_ids) + len(work.errors)
    TALLY.writes(acknowledged=len(work.audit_ids) + len(work.user_ids), lost=lost)
    for name, n in kinds.items():
        TALLY.failed(name, n)


def test_terminated_backends_are_replaced_by_the_pool(migrated_url: str) -> None:
    settings = Settings(database_url=migrated_url, min_size=2, max_size=2, timeout=5.0)
    with db.create_pool(settings, open=False, allow_privileged_role=True) as pool:
        pool.open(wait=True, timeout=30)
        with db.transaction(pool) as c:
            before = c.info.backend_pid
        with psycopg.connect(migrated_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        assert len(killed) >= 2 and all(ok for (ok,) in killed)
        # the broken idle connections are discarded at checkout (check_connection); no error
        for _ in range(4):
            with db.transaction(pool) as c:
                assert core.health_check(c) == 1
                assert c.info.backend_pid != before
    TALLY.fault("pooled backends terminated", survived=True)


def test_statement_timeout_is_clear_and_the_connection_stays_usable(migrated_url: str) -> None:
    settings = Settings(
        database_url=migrated_url, min_size=1, max_size=1, timeout=5.0, statement_timeout_ms=300
    )
    with db.create_pool(settings, allow_privileged_role=True) as pool:
        with db.transaction(pool) as c:
            user = core.create_user(
                c, username=f"st_{uuid.uuid4().hex[:8]}", email=f"st{uuid.uuid4().hex[:8]}@x.io",
                hashed_password=PASSWORD_HASH,
            )
            pid = c.info.backend_pid
        with psycopg.connect(migrated_url) as blocker:  # holds the row lock until rollback
            blocker.execute("SELECT 1 FROM core.users WHERE id = %s FOR UPDATE", (user.id,))
            started = time.monotonic()
            with pytest.raises(QueryTimeout) as info:
                with db.transaction(pool) as c:
                    core.update_user(c, id=user.id, full_name="never")
            assert time.monotonic() - started < HANG_LIMIT
            blocker.rollback()
        err = info.value
        TALLY.failed("QueryTimeout")
        assert err.sqlstate == "57014"
        assert err.query == "core.update_user"
        assert "statement_timeout" in str(err)
        assert isinstance(err.__cause__, psycopg.errors.QueryCanceled)
        # the same (only) connection serves the next call
        with db.transaction(pool) as c:
            assert c.info.backend_pid == pid
            assert core.update_user(c, id=user.id, full_name="after").full_name == "after"
    TALLY.fault("statement_timeout exceeded", survived=True)


def test_pool_exhaustion_is_a_clear_timeout_not_a_hang(migrated_url: str) -> None:
    settings = Settings(database_url=migrated_url, min_size=1, max_size=2, timeout=0.5)
    outcomes: list[str] = []
    raw: list[BaseException] = []
    lock = threading.Lock()

    def hog() -> None:
        try:
            with db.transaction(pool) as c:
                c.execute("SELECT pg_sleep(1)")
            outcome = "ok"
        except PoolTimeout as exc:
            assert exc.retryable and "DB_POOL_MAX_SIZE" in str(exc)
            outcome = "PoolTimeout"
            TALLY.failed("PoolTimeout")
        except BaseException as exc:
            with lock:
                raw.append(exc)
            return
        with lock:
            outcomes.append(outcome)

    with db.create_pool(settings, allow_privileged_role=True) as pool:
        threads = [threading.Thread(target=hog, daemon=True) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANG_LIMIT)
        assert not any(t.is_alive() for t in threads), "a caller hung on an exhausted pool"
        assert not raw, repr(raw)
        assert outcomes.count("PoolTimeout") >= 1, outcomes
        assert outcomes.count("ok") >= 2, outcomes
        with db.transaction(pool) as c:  # and it serves again once connections come back
            assert core.health_check(c) == 1
    TALLY.fault("pool exhausted", survived=True)
