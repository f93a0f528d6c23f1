"""The service path: pooled, transaction-per-request calls (issue 11, point 4).

A service checks a connection out of a pool, opens a transaction (often with a tenant), runs one
to three statements, commits and gives the connection back. These cases measure exactly that,
with ``workers`` threads (sync) or tasks (async) for ``service_seconds`` each, in ops/s:

- ``pool_pk``: a primary-key lookup (``model_registry.get_package_by_id``) in a transaction;
- ``pool_tenant``: the same with a tenant, an mlops query under row-level security
  (``mlops.get_project_by_id`` after ``SET LOCAL app.org_id``);
- ``pool_request``: a read, an insert and its audit row in one transaction
  (``get_package_by_id``, ``record_download``, ``core.create_audit_event``).

Every stack runs the same SQL text (the generated constants) through its own pool of
``workers`` connections, as the same non-superuser login (a member of ``registry_app``, so RLS
applies). The bench role has ``synchronous_commit = off``: commits are measured without the disk
flush, for every stack alike. Raw psycopg runs twice: doing the same transaction (``BEGIN``, the
statements, ``COMMIT``: the floor of these operations) and through an autocommit pool (one round
trip per lookup, no transaction: the lowest possible floor).
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, LiteralString

import aiosql
import psycopg
import psycopg_pool
from psycopg import sql as pgsql
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from benchmarks.peers import sql as peer_sql
from benchmarks.peers.sqlalchemy_models import Package
from registry_sql import db
from registry_sql import mlops as ml
from registry_sql import model_registry as mr
from registry_sql.core import audit_log, create_audit_event
from registry_sql.core.aio import create_audit_event as acreate_audit_event
from registry_sql.core.models import Application, AuditAction
from registry_sql.mlops import aio as mla
from registry_sql.mlops import projects
from registry_sql.model_registry import aio as mra
from registry_sql.model_registry import downloads, packages
from registry_sql.settings import Settings

BENCH_ROLE = "registry_sql_bench_app"

# Stacks of the service cases (besides cases.RS, RS_ASYNC, PG, PG_ASYNC, AIOSQL, ORM).
PG_TXN = "psycopg raw txn"
PG_TXN_ASYNC = "psycopg raw txn async"
PG_PIPELINE = "psycopg raw pipeline"
PG_PIPELINE_ASYNC = "psycopg raw pipeline async"
RS_BATCH = "registry-sql batch"
RS_BATCH_ASYNC = "registry-sql async batch"

GET_PACKAGE = peer_sql._statement("get_package_by_id", packages.GET_PACKAGE_BY_ID)
RECORD_DOWNLOAD = peer_sql._statement("record_download", downloads.RECORD_DOWNLOAD)
AUDIT = peer_sql._statement("create_audit_event", audit_log.CREATE_AUDIT_EVENT)
GET_PROJECT = peer_sql._statement("get_project_by_id", projects.GET_PROJECT_BY_ID)
SET_ORG = "SET LOCAL app.org_id = {}"
_BEGIN: LiteralString = "BEGIN"
_COMMIT: LiteralString = "COMMIT"

_AUDIT_NULLS = dict.fromkeys(AUDIT.positional_names)


def _audit_params(package_id: uuid.UUID) -> dict[str, Any]:
    return _AUDIT_NULLS | {
        "application": "model_registry",
        "action": "read",
        "entity_type": "package",
        "entity_id": str(package_id),
    }


def _download_params(package_id: uuid.UUID) -> dict[str, Any]:
    return {
        "package_id": package_id,
        "user_id": None,
        "access_granted": True,
        "access_check_output": None,
        "ip_address": "10.0.0.7",
        "user_agent": "registry-sql bench service",
    }


def _aiosql_text() -> str:
    return "\n\n".join(
        f"-- name: {s.name}({', '.join(s.dollar_names)}){suffix}\n{s.colon}"
        for s, suffix in (
            (GET_PACKAGE, "^"),
            (RECORD_DOWNLOAD, "<!"),
            (AUDIT, "<!"),
            (GET_PROJECT, "^"),
        )
    )


@dataclass
class Tenant:
    org_id: uuid.UUID
    project_ids: list[uuid.UUID]


def prepare(admin_url: str, projects_per_org: int = 50) -> tuple[str, Tenant]:
    """The bench login's URL (created once) and an organization with projects (as admin)."""
    password = secrets.token_hex(16)
    with psycopg.connect(admin_url, autocommit=True) as c:
        exists = c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (BENCH_ROLE,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        c.execute(
            pgsql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS INHERIT PASSWORD {}").format(
                pgsql.Identifier(BENCH_ROLE), pgsql.Literal(password)
            )
        )
        c.execute(
            pgsql.SQL("GRANT registry_app TO {}").format(pgsql.Identifier(BENCH_ROLE))
        )
        c.execute(
            pgsql.SQL("ALTER ROLE {} SET synchronous_commit = off").format(
                pgsql.Identifier(BENCH_ROLE)
            )
        )
        row = c.execute(
            "SELECT id FROM core.organizations WHERE slug = 'bench-service'"
        ).fetchone()
        if row is None:
            row = c.execute(
                "INSERT INTO core.organizations (name, slug) VALUES ('bench', 'bench-service') "
                "RETURNING id"
            ).fetchone()
        assert row is not None
        org = row[0]
        have = [
            r[0]
            for r in c.execute(
                "SELECT id FROM mlops.projects WHERE organization_id = %s ORDER BY id", (org,)
            ).fetchall()
        ]
        for k in range(len(have), projects_per_org):
            have.append(
                c.execute(
                    "INSERT INTO mlops.projects (organization_id, name, slug) "
                    "VALUES (%s, %s, %s) RETURNING id",
                    (org, f"bench project {k}", f"bench-project-{k}"),
                ).fetchone()[0]  # type: ignore[index]
            )
    params = psycopg.conninfo.conninfo_to_dict(admin_url)
    params.update(user=BENCH_ROLE, password=password)
    return psycopg.conninfo.make_conninfo("", **params), Tenant(org, have)


@dataclass
class Pools:
    """The pools of the pooled cases, all as the bench login (a member of registry_app)."""

    url: str  # libpq conninfo of the bench login
    tenant: Tenant
    rs: psycopg_pool.ConnectionPool[Any]  # registry_sql.db.create_pool
    rsa: psycopg_pool.AsyncConnectionPool[Any]  # registry_sql.db.create_async_pool
    txn: psycopg_pool.ConnectionPool[Any]  # raw psycopg, transactions
    atxn: psycopg_pool.AsyncConnectionPool[Any]
    auto: psycopg_pool.ConnectionPool[Any]  # raw psycopg, autocommit
    aauto: psycopg_pool.AsyncConnectionPool[Any]
    engine: Engine
    extra: list[tuple[Any, Any]] = field(default_factory=list)  # (sync pool, async pool)

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        for pool, apool in self.extra:
            pool.close()
            loop.run_until_complete(apool.close())
        for pool in (self.rs, self.txn, self.auto):
            pool.close()
        self.engine.dispose()
        for apool in (self.rsa, self.atxn, self.aauto):
            loop.run_until_complete(apool.close())


def open_pools(ctx: Any) -> Pools:
    """Pools of ``workers`` connections each (also used by the ``throughput`` cases)."""
    from benchmarks.cases import sqlalchemy_url

    w = ctx.p.workers
    url, tenant = prepare(ctx.url)
    settings = Settings(database_url=_as_url(url), min_size=w, max_size=w)
    rs = db.create_pool(settings)
    txn = psycopg_pool.ConnectionPool(url, min_size=w, max_size=w, open=True)
    auto = psycopg_pool.ConnectionPool(
        url, min_size=w, max_size=w, kwargs={"autocommit": True}, open=True
    )
    for pool in (rs, txn, auto):
        pool.wait()
    engine = create_engine(sqlalchemy_url(_as_url(url)), pool_size=w, max_overflow=0)

    async def open_async() -> tuple[Any, Any, Any]:
        rsa = db.create_async_pool(settings)
        await rsa.open(wait=True)
        atxn: psycopg_pool.AsyncConnectionPool[Any] = psycopg_pool.AsyncConnectionPool(
            url, min_size=w, max_size=w, open=False
        )
        await atxn.open(wait=True)
        aauto: psycopg_pool.AsyncConnectionPool[Any] = psycopg_pool.AsyncConnectionPool(
            url, min_size=w, max_size=w, kwargs={"autocommit": True}, open=False
        )
        await aauto.open(wait=True)
        return rsa, atxn, aauto

    rsa, atxn, aauto = ctx.loop.run_until_complete(open_async())
    return Pools(url, tenant, rs, rsa, txn, atxn, auto, aauto, engine)


def service_cases(ctx: Any, pools: Pools, case_type: Any, rs: str, rs_async: str, pg: str,
                  pg_async: str, aiosql_stack: str, orm: str) -> list[Any]:
    """The pooled cases (``pool_pk``, ``pool_tenant``, ``pool_request``)."""
    from benchmarks.cases import _tasks, _threads

    p, ids = ctx.p, ctx.inp.ids
    n, w = len(ids), p.workers
    url, org, pids = pools.url, pools.tenant.org_id, pools.tenant.project_ids
    rs_pool, rsa_pool, engine = pools.rs, pools.rsa, pools.engine
    pg_txn, pga_txn, pg_auto, pga_auto = pools.txn, pools.atxn, pools.auto, pools.aauto
    queries = aiosql.from_str(_aiosql_text(), "psycopg")
    q_pk = GET_PACKAGE.positional
    q_proj = GET_PROJECT.positional
    set_org = pgsql.SQL(SET_ORG).format(pgsql.Literal(str(org)))
    with psycopg.connect(url) as conn:
        set_org_text = set_org.as_string(conn)

    # -- pool_pk ---------------------------------------------------------------------------
    rs_pk, rsa_pk, rs_tenant, rsa_tenant, rs_request, rsa_request = _registry_sql_work(
        db, rs_pool, rsa_pool, ids, org, pids
    )

    def txn_pk(k: int) -> None:
        with pg_txn.connection() as c, c.transaction(), c.cursor() as cur:
            cur.execute(q_pk, (ids[k % n],), prepare=True)
            cur.fetchone()

    async def atxn_pk(k: int) -> None:
        async with pga_txn.connection() as c, c.transaction(), c.cursor() as cur:
            await cur.execute(q_pk, (ids[k % n],), prepare=True)
            await cur.fetchone()

    def auto_pk(k: int) -> None:
        with pg_auto.connection() as c, c.cursor() as cur:
            cur.execute(q_pk, (ids[k % n],), prepare=True)
            cur.fetchone()

    async def aauto_pk(k: int) -> None:
        async with pga_auto.connection() as c, c.cursor() as cur:
            await cur.execute(q_pk, (ids[k % n],), prepare=True)
            await cur.fetchone()

    def aiosql_pk(k: int) -> None:
        with pg_txn.connection() as c, c.transaction():
            queries.get_package_by_id(c, id=ids[k % n])

    def orm_pk(k: int) -> None:
        with Session(engine) as s, s.begin():
            s.execute(select(Package).where(Package.id == ids[k % n])).scalar_one()

    # -- pool_tenant -------------------------------------------------------------------------
    def txn_tenant(k: int) -> None:
        with pg_txn.connection() as c, c.transaction(), c.cursor() as cur:
            cur.execute(set_org, prepare=False)
            cur.execute(q_proj, (org, pids[k % len(pids)]), prepare=True)
            cur.fetchone()

    async def atxn_tenant(k: int) -> None:
        async with pga_txn.connection() as c, c.transaction(), c.cursor() as cur:
            await cur.execute(set_org, prepare=False)
            await cur.execute(q_proj, (org, pids[k % len(pids)]), prepare=True)
            await cur.fetchone()

    def aiosql_tenant(k: int) -> None:
        with pg_txn.connection() as c, c.transaction():
            c.execute(set_org, prepare=False)
            queries.get_project_by_id(c, organization_id=org, id=pids[k % len(pids)])

    def orm_tenant(k: int) -> None:
        with Session(engine) as s, s.begin():
            c = s.connection()
            c.exec_driver_sql(set_org_text)
            c.exec_driver_sql(q_proj, (org, pids[k % len(pids)])).one()

    # -- pool_request: read, insert, audit ---------------------------------------------------
    def txn_request(k: int) -> None:
        pk = ids[k % n]
        with pg_txn.connection() as c, c.transaction(), c.cursor() as cur:
            cur.execute(q_pk, (pk,), prepare=True)
            cur.fetchone()
            cur.execute(RECORD_DOWNLOAD.positional,
                        RECORD_DOWNLOAD.args(_download_params(pk)), prepare=True)
            cur.fetchone()
            cur.execute(AUDIT.positional, AUDIT.args(_audit_params(pk)), prepare=True)
            cur.fetchone()

    async def atxn_request(k: int) -> None:
        pk = ids[k % n]
        async with pga_txn.connection() as c, c.transaction(), c.cursor() as cur:
            await cur.execute(q_pk, (pk,), prepare=True)
            await cur.fetchone()
            await cur.execute(RECORD_DOWNLOAD.positional,
                              RECORD_DOWNLOAD.args(_download_params(pk)), prepare=True)
            await cur.fetchone()
            await cur.execute(AUDIT.positional, AUDIT.args(_audit_params(pk)), prepare=True)
            await cur.fetchone()

    # The same three statements, BEGIN and COMMIT in ONE pipeline (one round trip): the best any
    # batch on psycopg can do, the evidence for the batch target (see benchmarks/notes.md).
    def pipe_request(k: int) -> None:
        pk = ids[k % n]
        with pg_auto.connection() as c, c.cursor() as cur:
            with c.pipeline():
                cur.execute(_BEGIN, prepare=False)
                cur.execute(q_pk, (pk,), prepare=True)
                cur.execute(RECORD_DOWNLOAD.positional,
                            RECORD_DOWNLOAD.args(_download_params(pk)), prepare=True)
                cur.execute(AUDIT.positional, AUDIT.args(_audit_params(pk)), prepare=True)
                cur.execute(_COMMIT, prepare=False)

    async def apipe_request(k: int) -> None:
        pk = ids[k % n]
        async with pga_auto.connection() as c, c.cursor() as cur:
            async with c.pipeline():
                await cur.execute(_BEGIN, prepare=False)
                await cur.execute(q_pk, (pk,), prepare=True)
                await cur.execute(RECORD_DOWNLOAD.positional,
                                  RECORD_DOWNLOAD.args(_download_params(pk)), prepare=True)
                await cur.execute(AUDIT.positional, AUDIT.args(_audit_params(pk)), prepare=True)
                await cur.execute(_COMMIT, prepare=False)

    def aiosql_request(k: int) -> None:
        pk = ids[k % n]
        with pg_txn.connection() as c, c.transaction():
            queries.get_package_by_id(c, id=pk)
            queries.record_download(c, **_download_params(pk))
            queries.create_audit_event(c, **_audit_params(pk))

    def orm_request(k: int) -> None:
        pk = ids[k % n]
        with Session(engine) as s, s.begin():
            s.execute(select(Package).where(Package.id == pk)).scalar_one()
            c = s.connection()
            c.exec_driver_sql(RECORD_DOWNLOAD.positional,
                              RECORD_DOWNLOAD.args(_download_params(pk))).one()
            c.exec_driver_sql(AUDIT.positional, AUDIT.args(_audit_params(pk))).one()

    def sync_case(work: Callable[[int], None]) -> Callable[[], int]:
        return lambda: _threads(w, p.service_seconds, work)  # read at run time (warm-up)

    def async_case(work: Callable[[int], Awaitable[object]]) -> Callable[[], Awaitable[int]]:
        return lambda: _tasks(w, p.service_seconds, work)

    cases = []
    fns: tuple[Any, ...]
    for op, fns in (
        ("pool_pk", (rs_pk, rsa_pk, txn_pk, atxn_pk, auto_pk, aauto_pk, aiosql_pk, orm_pk)),
        ("pool_tenant", (rs_tenant, rsa_tenant, txn_tenant, atxn_tenant, auto_pk, aauto_pk,
                         aiosql_tenant, orm_tenant)),
        ("pool_request", (rs_request, rsa_request, txn_request, atxn_request, None, None,
                          aiosql_request, orm_request)),
    ):
        stacks = (rs, rs_async, PG_TXN, PG_TXN_ASYNC, pg, pg_async, aiosql_stack, orm)
        for stack, fn in zip(stacks, fns, strict=True):
            if fn is None:
                continue
            is_async = asyncio.iscoroutinefunction(fn)
            runner = async_case(fn) if is_async else sync_case(fn)
            cases.append(case_type(op, stack, runner, is_async))

    cases.append(case_type("pool_request", PG_PIPELINE, sync_case(pipe_request), False))
    cases.append(case_type("pool_request", PG_PIPELINE_ASYNC, async_case(apipe_request), True))
    batches = _batch_work(rs_pool, rsa_pool, ids, org, pids)
    for op, sync_fn, async_fn in zip(("pool_pk", "pool_tenant", "pool_request"), batches[::2],
                                     batches[1::2], strict=True):
        cases.append(case_type(op, RS_BATCH, sync_case(sync_fn), False))
        cases.append(case_type(op, RS_BATCH_ASYNC, async_case(async_fn), True))

    baseline = _baseline(settings_of(pools), ctx.loop)
    if baseline is not None:
        dbm, pool, apool = baseline
        pools.extra.append((pool, apool))
        work = _registry_sql_work(dbm, pool, apool, ids, org, pids)
        for op, sync_fn, async_fn in (
            ("pool_pk", work[0], work[1]),
            ("pool_tenant", work[2], work[3]),
            ("pool_request", work[4], work[5]),
        ):
            cases.append(case_type(op, BASELINE, sync_case(sync_fn), False))
            cases.append(case_type(op, BASELINE_ASYNC, async_case(async_fn), True))
    return cases


def settings_of(pools: Pools) -> Settings:
    w = pools.rs.max_size
    return Settings(database_url=_as_url(pools.url), min_size=w, max_size=w)


#: A development aid: ``REGISTRY_SQL_BENCH_BASELINE_DB=/path/to/old/db.py`` adds the stacks
#: below, the same registry-sql cases through another version of ``registry_sql/db.py`` (e.g.
#: ``git show main:registry_sql/db.py > /tmp/db_main.py``), interleaved in the same run.
BASELINE = "registry-sql (baseline db.py)"
BASELINE_ASYNC = "registry-sql async (baseline db.py)"


def _baseline(settings: Settings, loop: asyncio.AbstractEventLoop) -> tuple[Any, Any, Any] | None:
    import importlib.util
    import os

    path = os.environ.get("REGISTRY_SQL_BENCH_BASELINE_DB")
    if not path:
        return None
    spec = importlib.util.spec_from_file_location("registry_sql_baseline_db", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    pool = module.create_pool(settings)
    pool.wait()

    async def open_async() -> Any:
        apool = module.create_async_pool(settings)
        await apool.open(wait=True)
        return apool

    return module, pool, loop.run_until_complete(open_async())


def _registry_sql_work(
    dbm: Any, rs_pool: Any, rsa_pool: Any, ids: list[uuid.UUID], org: uuid.UUID,
    pids: list[uuid.UUID],
) -> tuple[Any, ...]:
    """registry-sql's cases through ``dbm`` (``registry_sql.db``, or a baseline version)."""
    n = len(ids)

    def rs_pk(k: int) -> None:
        with dbm.transaction(rs_pool) as c:
            mr.get_package_by_id(c, id=ids[k % n])

    async def rsa_pk(k: int) -> None:
        async with dbm.atransaction(rsa_pool) as c:
            await mra.get_package_by_id(c, id=ids[k % n])

    def rs_tenant(k: int) -> None:
        with dbm.transaction(rs_pool, org_id=org) as c:
            ml.get_project_by_id(c, organization_id=org, id=pids[k % len(pids)])

    async def rsa_tenant(k: int) -> None:
        async with dbm.atransaction(rsa_pool, org_id=org) as c:
            await mla.get_project_by_id(c, organization_id=org, id=pids[k % len(pids)])

    def rs_request(k: int) -> None:
        pk = ids[k % n]
        with dbm.transaction(rs_pool) as c:
            mr.get_package_by_id(c, id=pk)
            mr.record_download(c, package_id=pk, access_granted=True, ip_address="10.0.0.7",
                               user_agent="registry-sql bench service")
            create_audit_event(c, application=Application.MODEL_REGISTRY,
                               action=AuditAction.READ, entity_type="package",
                               entity_id=str(pk))

    async def rsa_request(k: int) -> None:
        pk = ids[k % n]
        async with dbm.atransaction(rsa_pool) as c:
            await mra.get_package_by_id(c, id=pk)
            await mra.record_download(c, package_id=pk, access_granted=True,
                                      ip_address="10.0.0.7",
                                      user_agent="registry-sql bench service")
            await acreate_audit_event(c, application=Application.MODEL_REGISTRY,
                                      action=AuditAction.READ, entity_type="package",
                                      entity_id=str(pk))

    return rs_pk, rsa_pk, rs_tenant, rsa_tenant, rs_request, rsa_request


def _batch_work(rs_pool: Any, rsa_pool: Any, ids: list[uuid.UUID], org: uuid.UUID,
                pids: list[uuid.UUID]) -> tuple[Any, ...]:
    """The service cases with the batch API: ``batch(pool)``, the transaction and its calls in
    one round trip (for pool_pk and pool_tenant, a batch of one call)."""
    n = len(ids)

    def rs_pk_batch(k: int) -> None:
        with db.batch(rs_pool) as b:
            b.add(mr.get_package_by_id, id=ids[k % n])

    async def rsa_pk_batch(k: int) -> None:
        async with db.abatch(rsa_pool) as b:
            b.add(mra.get_package_by_id, id=ids[k % n])

    def rs_tenant_batch(k: int) -> None:
        with db.batch(rs_pool, org_id=org) as b:
            b.add(ml.get_project_by_id, organization_id=org, id=pids[k % len(pids)])

    async def rsa_tenant_batch(k: int) -> None:
        async with db.abatch(rsa_pool, org_id=org) as b:
            b.add(mla.get_project_by_id, organization_id=org, id=pids[k % len(pids)])

    def rs_request_batch(k: int) -> None:
        pk = ids[k % n]
        with db.batch(rs_pool) as b:
            b.add(mr.get_package_by_id, id=pk)
            b.add(mr.record_download, package_id=pk, access_granted=True, ip_address="10.0.0.7",
                  user_agent="registry-sql bench service")
            b.add(create_audit_event, application=Application.MODEL_REGISTRY,
                  action=AuditAction.READ, entity_type="package", entity_id=str(pk))

    async def rsa_request_batch(k: int) -> None:
        pk = ids[k % n]
        async with db.abatch(rsa_pool) as b:
            b.add(mra.get_package_by_id, id=pk)
            b.add(mra.record_download, package_id=pk, access_granted=True,
                  ip_address="10.0.0.7", user_agent="registry-sql bench service")
            b.add(acreate_audit_event, application=Application.MODEL_REGISTRY,
                  action=AuditAction.READ, entity_type="package", entity_id=str(pk))

    return (rs_pk_batch, rsa_pk_batch, rs_tenant_batch, rsa_tenant_batch, rs_request_batch,
            rsa_request_batch)


def _as_url(conninfo: str) -> str:
    """A ``postgresql://`` URL for a libpq conninfo string (Settings and SQLAlchemy want one)."""
    from urllib.parse import quote

    d = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = quote(str(d.pop("user")), safe="")
    password = quote(str(d.pop("password")), safe="")
    host = str(d.pop("host", "localhost"))
    port = str(d.pop("port", "5432"))
    dbname = quote(str(d.pop("dbname", "postgres")), safe="")
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in d.items())
    netloc_host = "" if host.startswith("/") else host
    if host.startswith("/"):
        query = "&".join(filter(None, [f"host={quote(host, safe='')}", query]))
    url = f"postgresql://{user}:{password}@{netloc_host}:{port}/{dbname}"
    return url + (f"?{query}" if query else "")
