"""Through a real PgBouncer in transaction pooling mode: the tenant is never swapped.

PgBouncer (transaction mode) hands each transaction to whichever server connection is free, so
the prepared statements psycopg made on one server connection (``_pg3_0``, ``_pg3_1``, ...) are
met by other clients, whose own ``_pg3_0`` is a different statement. A per-call literal such as
``SET LOCAL app.org_id = '<tenant>'``, once prepared, would then run as ANOTHER client's tenant,
silently (issue 20: 147 of 300 transactions per tenant). registry-sql never prepares those
statements, and ``DB_PGBOUNCER=true`` turns preparing off altogether.

Each case starts its own pgbouncer (skipped, with the reason, when it is not installed) in front
of the test server and logs in as ``registry_app_login`` (RLS applies). Several threads per
tenant run transactions through ``db.transaction(pool, org_id=...)``; in each one the tenant
read back, the rows a row-level-security query returns and the audit event written
(``core.create_audit_event``, whose organization defaults to the tenant) must all be the
thread's own tenant.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from pgbouncer_harness import PgBouncer, running_pgbouncer
from reliability_plugin import TALLY

from registry_sql import core, db, mlops
from registry_sql.core import Application, AuditAction
from registry_sql.errors import ConfigError, QueryTimeout, RegistrySqlError
from registry_sql.execute import fetch_value
from registry_sql.settings import Settings

pytest_plugins = ["reliability_plugin"]
# A long suite: `make test-long` (and CI) runs it, `make test` does not (docs/testing.md).
pytestmark = pytest.mark.long

Conn = psycopg.Connection[Any]
APP_LOGIN = "registry_app_login"

ENTITY_TYPE = "pgbouncer_tenant_check"
JOIN_TIMEOUT = 300.0  # a safety net against a wedged protocol, not a performance limit

_VISIBLE_ORGS = "SELECT DISTINCT organization_id FROM mlops.projects"


TENANTS = 2
THREADS_PER_TENANT = 3
TRANSACTIONS = 100  # per thread
CLIENTS = TENANTS * THREADS_PER_TENANT


def _bouncer(pg_server: Any, pool_size: int) -> Any:
    return running_pgbouncer(
        server_host=pg_server.host,
        server_port=pg_server.port,
        users=("postgres", APP_LOGIN),
        pool_size=pool_size,
    )


@pytest.fixture
def bouncer(pg_server: Any, app_url: str) -> Iterator[PgBouncer]:
    """A PgBouncer (transaction mode) with as many server connections as the load has clients:
    which client gets which one is PgBouncer's choice, per transaction."""
    with _bouncer(pg_server, CLIENTS) as b:
        yield b


@pytest.fixture
def bouncer2(pg_server: Any, app_url: str) -> Iterator[PgBouncer]:
    """A PgBouncer with 2 server connections per database and user."""
    with _bouncer(pg_server, 2) as b:
        yield b


def _seed_tenants(conn: Conn, count: int) -> list[uuid.UUID]:
    """``count`` organizations with one project each (as the superuser)."""
    orgs = []
    for i in range(count):
        tag = uuid.uuid4().hex[:8]
        with db.transaction(conn):
            org = core.create_organization(conn, name=f"tenant {i}", slug=f"t{i}-{tag}").id
        with db.transaction(conn, org_id=org):
            mlops.create_project(conn, organization_id=org, name=f"p{i}", slug=f"p{i}-{tag}")
        orgs.append(org)
    return orgs


@dataclass
class Outcome:
    """What the threads saw; counts are per transaction."""

    committed: int = 0
    wrong_tenant: int = 0  # current_tenant() was not the thread's tenant
    foreign_rows: int = 0  # an RLS query returned another tenant's rows
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> str:
        return (
            f"committed {self.committed}, wrong tenant {self.wrong_tenant}, "
            f"other tenant's rows {self.foreign_rows}, errors {dict(self.errors)}; "
            f"samples: {self.samples}"
        )


def _run_load(
    settings: Settings,
    orgs: list[uuid.UUID],
    *,
    threads_per_tenant: int,
    transactions: int,
    lockstep: int = 6,
) -> Outcome:
    """``threads_per_tenant`` threads per tenant, ``transactions`` transactions each, all
    each thread through its own pool of one connection: each thread stands for one replica of
    a service (several replicas share one PgBouncer in production), so every client connection
    runs the same statements in the same order, but with its own tenant.

    The first ``lockstep`` transactions run in step: every thread waits inside its transaction
    until all are inside theirs, so each holds its own server connection, as in a burst of
    requests right after PgBouncer opened its connections (psycopg prepares a statement at its
    5th execution by default: in this phase). After that the threads run freely and PgBouncer
    hands each transaction to whichever server connection is free."""
    out = Outcome()
    step = threading.Barrier(len(orgs) * threads_per_tenant)

    def in_step(i: int) -> None:
        if i < lockstep:
            with contextlib.suppress(threading.BrokenBarrierError):
                step.wait(timeout=30)

    def work(org: uuid.UUID, pool: Any) -> None:
        in_step(0)
        for i in range(transactions):
            try:
                with db.transaction(pool, org_id=org) as c:
                    in_step(i)
                    seen = db.current_tenant(c)
                    visible = {row[0] for row in c.execute(_VISIBLE_ORGS).fetchall()}
                    core.create_audit_event(
                        c,
                        application=Application.CORE,
                        action=AuditAction.READ,
                        entity_type=ENTITY_TYPE,
                        entity_id=str(org),  # the tenant this thread meant
                    )
            except RegistrySqlError as e:
                kind = f"{type(e).__name__}/{e.sqlstate}"
                with out.lock:
                    out.errors[kind] += 1
                    out.samples.setdefault(kind, str(e)[:300])
                continue
            with out.lock:
                out.committed += 1
                out.wrong_tenant += seen != org
                out.foreign_rows += bool(visible - {org})

    with contextlib.ExitStack() as stack:
        plan = [
            (org, stack.enter_context(db.create_pool(settings)))
            for _ in range(threads_per_tenant)
            for org in orgs
        ]
        for _, pool in plan:
            pool.wait()
        threads = [
            threading.Thread(target=work, args=job, name=f"client-{n}", daemon=True)
            for n, job in enumerate(plan)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + JOIN_TIMEOUT
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        hung = [t.name for t in threads if t.is_alive()]
        assert not hung, f"threads still running after {JOIN_TIMEOUT} s: {hung}; {out.summary()}"
    return out


def _audit_events(conn: Conn) -> tuple[int, int]:
    """(events written by the load, events stored under another organization than meant)."""
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE organization_id IS DISTINCT FROM"
        " entity_id::uuid) FROM core.audit_log WHERE entity_type = %s",
        (ENTITY_TYPE,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _assert_all_committed_under_their_tenant(conn: Conn, out: Outcome, label: str) -> None:
    """Every transaction of the load committed, each under its own tenant (the setting, the
    rows RLS showed, the audit row written)."""
    events, misfiled = _audit_events(conn)
    _report(label, out, events, misfiled)
    assert out.errors == Counter(), out.summary()
    assert out.committed == CLIENTS * TRANSACTIONS
    assert (out.wrong_tenant, out.foreign_rows, misfiled) == (0, 0, 0), out.summary()
    assert events == out.committed


def _settings(url: str, clients: int, **kw: Any) -> Settings:
    return Settings(database_url=url, min_size=clients, max_size=clients, timeout=60, **kw)


def _report(label: str, out: Outcome, events: int, misfiled: int) -> None:
    print(f"{label}: {out.summary()}; audit events {events}, under another organization {misfiled}")


def test_tenants_never_swap_behind_pgbouncer_with_prepared_statements(
    bouncer: PgBouncer, app_url: str, conn: Conn
) -> None:
    """Issue 20's reproduction: psycopg's default prepare threshold (5) and DB_PGBOUNCER NOT
    set; TENANTS x THREADS_PER_TENANT threads, TRANSACTIONS each. Prepared queries may fail
    now and then (that is what DB_PGBOUNCER is for), but no transaction may run under another
    tenant."""
    orgs = _seed_tenants(conn, TENANTS)
    settings = _settings(bouncer.url(app_url), clients=1)
    out = _run_load(
        settings, orgs, threads_per_tenant=THREADS_PER_TENANT, transactions=TRANSACTIONS
    )
    events, misfiled = _audit_events(conn)
    _report("prepare threshold 5, no DB_PGBOUNCER", out, events, misfiled)
    assert out.committed > 0, out.summary()
    for kind in out.errors:  # prepared-statement clashes say what to set
        if kind.endswith(("/42P05", "/26000")):
            assert kind.startswith("ConfigError/"), out.summary()
            assert "DB_PGBOUNCER=true" in out.samples[kind]
    assert (out.wrong_tenant, out.foreign_rows, misfiled) == (0, 0, 0), out.summary()
    assert events == out.committed, out.summary()


def test_a_prepared_name_never_carries_another_clients_tenant(
    bouncer2: PgBouncer, app_url: str, conn: Conn
) -> None:
    """The swap, step by step, with the server connections pinned so that nothing is left to
    chance: tenant A's client uses server connection S2, tenant B's client uses S1 and then S2,
    where A's statements are prepared under the same names as B's (prepare_threshold=0: every
    statement is prepared on first use)."""
    a, b = _seed_tenants(conn, 2)
    url = bouncer2.url(app_url)
    settings = _settings(url, clients=1, prepare_threshold=0)
    with (
        db.create_pool(settings) as pool_a,
        db.create_pool(settings) as pool_b,
        psycopg.connect(url) as pin1,  # each pin holds one of PgBouncer's two server connections
        psycopg.connect(url) as pin2,
    ):
        pin1.execute("SELECT 1")  # a transaction stays open: the pin holds S1
        with db.transaction(pool_a, org_id=a) as c:  # A gets S2
            assert db.current_tenant(c) == a
        pin2.execute("SELECT 1")  # pin2 holds S2
        pin1.commit()  # S1 is free
        with db.transaction(pool_b, org_id=b) as c:  # B gets S1
            assert db.current_tenant(c) == b
        pin1.execute("SELECT 1")  # pin1 holds S1 again
        pin2.commit()  # S2 (where A prepared its statements) is the only free one
        with db.transaction(pool_b, org_id=b) as c:  # B gets S2
            seen = db.current_tenant(c)
            visible = {row[0] for row in c.execute(_VISIBLE_ORGS).fetchall()}
            core.create_audit_event(
                c,
                application=Application.CORE,
                action=AuditAction.READ,
                entity_type=ENTITY_TYPE,
                entity_id=str(b),
            )
        pin1.commit()
    assert seen == b, f"B's transaction ran as tenant {seen} (A is {a})"
    assert visible == {b}
    assert _audit_events(conn) == (1, 0)


def test_with_db_pgbouncer_every_transaction_commits_under_its_tenant(
    bouncer: PgBouncer, app_url: str, conn: Conn
) -> None:
    """DB_PGBOUNCER=true (the documented setting): nothing is prepared, so there are no
    prepared-statement errors either: every transaction commits, every row and audit event
    under its own tenant."""
    orgs = _seed_tenants(conn, TENANTS)
    settings = Settings.from_env(
        {
            "DATABASE_URL": bouncer.url(app_url),
            "DB_PGBOUNCER": "true",
            "DB_POOL_SIZE": "1",
            "DB_MAX_OVERFLOW": "0",
            "DB_STATEMENT_TIMEOUT": "30s",
        }
    )
    assert settings.prepare_threshold is None
    out = _run_load(
        settings, orgs, threads_per_tenant=THREADS_PER_TENANT, transactions=TRANSACTIONS
    )
    _assert_all_committed_under_their_tenant(conn, out, "DB_PGBOUNCER=true")


def test_with_db_pgbouncer_every_batch_commits_under_its_tenant(
    bouncer: PgBouncer, app_url: str, conn: Conn
) -> None:
    """batch(pool, org_id=...) behind PgBouncer: the whole transaction travels in one pipeline
    and nothing is prepared (DB_PGBOUNCER=true), so each batch's tenant, its RLS read and its
    audit row are its own, whichever server connection PgBouncer picks."""
    orgs = _seed_tenants(conn, TENANTS)
    settings = Settings.from_env(
        {"DATABASE_URL": bouncer.url(app_url), "DB_PGBOUNCER": "true", "DB_POOL_SIZE": "1"}
    )
    assert settings.prepare_threshold is None
    out = Outcome()

    def work(org: uuid.UUID) -> None:
        with db.create_pool(settings) as pool:
            for _ in range(TRANSACTIONS):
                try:
                    with db.batch(pool, org_id=org) as b:
                        seen = b.add(_tenant_setting)
                        visible = b.add(_visible_orgs)
                        b.add(
                            core.create_audit_event,
                            application=Application.CORE,
                            action=AuditAction.READ,
                            entity_type=ENTITY_TYPE,
                            entity_id=str(org),
                        )
                except RegistrySqlError as e:
                    with out.lock:
                        out.errors[f"{type(e).__name__}/{e.sqlstate}"] += 1
                    continue
                with out.lock:
                    out.committed += 1
                    out.wrong_tenant += seen.result != str(org)
                    out.foreign_rows += bool(set(visible.result) - {org})

    threads = [
        threading.Thread(target=work, args=(org,), daemon=True)
        for _ in range(THREADS_PER_TENANT)
        for org in orgs
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), out.summary()
    _assert_all_committed_under_their_tenant(conn, out, "batch(pool), DB_PGBOUNCER=true")


def _tenant_setting(conn: Any) -> Any:
    """Batchable (one helper call, returned as is): the tenant the transaction runs as."""
    return fetch_value(conn, _TENANT_SETTING, {}, "test.tenant_setting")


def _visible_orgs(conn: Any) -> Any:
    """Batchable: the organizations whose projects row-level security lets this tenant see."""
    return fetch_value(conn, _VISIBLE_ORG_LIST, {}, "test.visible_orgs")


_TENANT_SETTING = "SELECT current_setting('app.org_id', true)"
_VISIBLE_ORG_LIST = "SELECT coalesce(array_agg(DISTINCT organization_id), '{}') FROM mlops.projects"


def test_timeouts_behind_pgbouncer_are_set_in_each_transaction(
    bouncer: PgBouncer, app_url: str
) -> None:
    """PgBouncer refuses the startup parameter ``options``: without DB_PGBOUNCER the timeouts
    make connecting fail with an error that says what to set; with it they are set inside each
    transaction and still stop a long statement."""
    url = bouncer.url(app_url)
    plain = Settings.from_env({"DATABASE_URL": url, "DB_STATEMENT_TIMEOUT": "200ms"})
    with pytest.raises(ConfigError, match="DB_PGBOUNCER=true") as refused:
        db.connect(plain).close()
    assert "options" in str(refused.value)

    env = {
        "DATABASE_URL": url,
        "DB_PGBOUNCER": "true",
        "DB_STATEMENT_TIMEOUT": "200ms",
        "DB_LOCK_TIMEOUT": "2s",
        "DB_POOL_SIZE": "1",
    }
    settings = Settings.from_env(env)
    assert "options" not in settings.conninfo
    with db.create_pool(settings) as pool:
        with db.transaction(pool) as c:
            assert c.execute("SHOW statement_timeout").fetchone() == ("200ms",)
            assert c.execute("SHOW lock_timeout").fetchone() == ("2s",)
        with pytest.raises(QueryTimeout), db.transaction(pool) as c:
            c.execute("SELECT pg_sleep(5)")
        with db.transaction(pool) as c:  # the connection is usable again
            assert c.execute("SELECT 1").fetchone() == (1,)
    with db.connect(settings) as c, db.transaction(c):
        assert c.execute("SHOW statement_timeout").fetchone() == ("200ms",)


def test_server_connections_killed_behind_pgbouncer_are_survived(
    bouncer2: PgBouncer, app_url: str, conn: Conn
) -> None:
    """A fault case through PgBouncer: every server connection it holds is terminated. Calls
    that meet a dead one fail with a translated, retryable error at most; PgBouncer reconnects
    and every later transaction runs, under its own tenant."""
    (org,) = _seed_tenants(conn, 1)
    env = {"DATABASE_URL": bouncer2.url(app_url), "DB_PGBOUNCER": "true", "DB_POOL_SIZE": "2"}
    settings = Settings.from_env(env)
    failed: Counter[str] = Counter()
    with db.create_pool(settings) as pool:
        pool.wait()
        for _ in range(2):
            with db.transaction(pool, org_id=org) as c:
                assert db.current_tenant(c) == org
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND usename = %s",
            (APP_LOGIN,),
        ).fetchall()
        assert killed and all(ok for (ok,) in killed)
        done = 0
        for _ in range(10):
            try:
                with db.transaction(pool, org_id=org) as c:
                    assert db.current_tenant(c) == org
                    assert {r[0] for r in c.execute(_VISIBLE_ORGS).fetchall()} == {org}
                done += 1
            except RegistrySqlError as e:
                assert e.retryable, f"not retryable: {type(e).__name__}: {e}"
                failed[type(e).__name__] += 1
    assert done >= 10 - len(killed), (done, failed)
    for name, n in failed.items():
        TALLY.failed(name, n)
    TALLY.fault("server connections killed behind PgBouncer", survived=True)


async def test_async_pool_behind_pgbouncer_sets_tenant_and_timeouts(
    bouncer: PgBouncer, app_url: str, conn: Conn
) -> None:
    """The async twins do the same: timeouts in each transaction, the tenant unprepared."""
    (org,) = _seed_tenants(conn, 1)
    env = {
        "DATABASE_URL": bouncer.url(app_url),
        "DB_PGBOUNCER": "true",
        "DB_STATEMENT_TIMEOUT": "250ms",
        "DB_POOL_SIZE": "2",
    }
    async with db.create_async_pool(Settings.from_env(env)) as pool:
        for _ in range(8):
            async with db.atransaction(pool, org_id=org) as c:
                assert await db.acurrent_tenant(c) == org
                cur = await c.execute("SHOW statement_timeout")
                assert await cur.fetchone() == ("250ms",)
        with pytest.raises(QueryTimeout):
            async with db.atransaction(pool) as c:
                await c.execute("SELECT pg_sleep(5)")


def test_a_prepared_statement_clash_says_to_set_db_pgbouncer(
    pg_server: Any, app_url: str, conn: Conn
) -> None:
    """Without DB_PGBOUNCER, two clients that prepare on PgBouncer's one server connection
    clash on the name ``_pg3_0``: a ConfigError that says what to set, not a bare 42P05."""
    (org,) = _seed_tenants(conn, 1)
    with _bouncer(pg_server, 1) as bouncer:
        settings = _settings(bouncer.url(app_url), clients=1, prepare_threshold=0)
        # plain connections: a pool's checkout check would prepare (and discard) first
        with db.connect(settings) as client_a, db.connect(settings) as client_b:
            with db.transaction(client_a, org_id=org):
                assert db.current_tenant(client_a) == org  # prepared as _pg3_0
            with pytest.raises(ConfigError) as clash, db.transaction(client_b, org_id=org):
                db.current_tenant(client_b)  # its own _pg3_0, on the same server connection
    assert clash.value.sqlstate == "42P05"
    assert '"_pg3_0" already exists' in str(clash.value)
    assert "set DB_PGBOUNCER=true" in str(clash.value)
