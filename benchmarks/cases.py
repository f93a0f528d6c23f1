"""The operations, and how each stack performs them.

Every case gets the same inputs (ids, names, rows) from :class:`Inputs`, runs the same SQL text
(:mod:`benchmarks.peers.sql`), and leaves the data set as it found it (writes run in a transaction
that is rolled back). A case function returns how many units it did (calls, rows, operations).
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosql
import asyncpg
import psycopg
from sqlalchemy import Engine, create_engine, func, insert, literal_column, select, tuple_
from sqlalchemy.orm import Session, load_only

from benchmarks import seed
from benchmarks.peers import sql
from benchmarks.peers.sqlalchemy_models import (
    DownloadHistory,
    Package,
    PackageLineage,
    PackageScore,
)
from registry_sql import db
from registry_sql import model_registry as mr
from registry_sql.model_registry import aio as mra
from registry_sql.model_registry import models
from registry_sql.model_registry.models import DownloadIn, PackageType

# ------------------------------------------------------------------------------------ stacks

RS = "registry-sql"
RS_ASYNC = "registry-sql async"
PG = "psycopg raw"
PG_ASYNC = "psycopg raw async"
AIOSQL = "aiosql"
ORM = "SQLAlchemy ORM"
ASYNCPG = "asyncpg raw"
SA_CORE = "SQLAlchemy Core"
PG_EXECUTEMANY = "psycopg executemany"
PGBENCH = "pgbench -S"

STACK_NOTES: dict[str, str] = {
    RS: "generated sync functions (`registry_sql.model_registry`), frozen Pydantic rows",
    RS_ASYNC: "generated async twins (`registry_sql.model_registry.aio`)",
    PG: "psycopg 3, one reused cursor, `prepare=True`, tuple rows, positional params: the floor",
    PG_ASYNC: "the same on `psycopg.AsyncConnection`: the async floor",
    AIOSQL: "aiosql 15 alone, psycopg adapter, `record_class` = the same Pydantic models",
    ORM: "SQLAlchemy 2 ORM (psycopg driver), models in `benchmarks/peers/sqlalchemy_models.py`",
    ASYNCPG: "asyncpg, statement cache (prepared), Records: the fastest Python driver",
    SA_CORE: "SQLAlchemy 2 Core `insert()` with a list of dicts (insertmanyvalues)",
    PG_EXECUTEMANY: "psycopg 3 `executemany` (pipeline mode)",
    PGBENCH: "`pgbench -S -M prepared` (C client, same server): the machine's limit",
    "psycopg raw txn": "psycopg 3 pool, the same statements in `conn.transaction()` (`BEGIN` … "
    "`COMMIT`, `SET LOCAL` for the tenant): the floor of the pooled operations",
    "psycopg raw txn async": "the same on `AsyncConnectionPool`",
    "registry-sql batch": "registry-sql, the operation as one `db.batch(pool)`: `BEGIN` (and "
    "`SET LOCAL` for the tenant), the call(s), `COMMIT` and `RESET ALL` in one pipeline (one "
    "round trip; a batch of one call for the lookups)",
    "registry-sql async batch": "the same with `db.abatch(pool)`",
    "psycopg raw pipeline": "psycopg 3, `BEGIN`, the request's three statements and `COMMIT` in "
    "one `conn.pipeline()` (one round trip): what pipeline mode itself reaches",
    "psycopg raw pipeline async": "the same on `AsyncConnectionPool`",
    "registry-sql (baseline db.py)": "registry-sql through another `db.py` (development aid, "
    "`REGISTRY_SQL_BENCH_BASELINE_DB`)",
    "registry-sql async (baseline db.py)": "the same, async",
}

# ------------------------------------------------------------------------------------ ops


@dataclass(frozen=True)
class Op:
    key: str
    title: str
    display: str  # "us" per unit, "ms" per run, "rows/s", "ops/s"
    floor: str  # stack the ratio is taken against
    async_floor: str | None = PG_ASYNC


OPS: tuple[Op, ...] = (
    Op("pk_lookup", "single-row lookup by primary key", "us", PG),
    Op("unique_lookup", "get by unique key (name, version)", "us", PG),
    Op("list_10k", "list 10,000 rows as models", "ms", PG),
    Op("search", "search with filters, keyset pages of 50", "us", PG),
    Op("insert", "insert one row with RETURNING", "us", PG),
    Op("bulk_ingest", "bulk ingest of download events", "rows/s", PG),
    Op("lineage", "lineage traversal, depth 5", "us", PG),
    Op("throughput", "8 concurrent workers through a pool (PK lookups)", "ops/s", PG),
    # The service path (benchmarks/service.py): pooled transactions, 8 workers.
    Op("pool_pk", "pooled PK lookup in a transaction", "ops/s", "psycopg raw txn",
       "psycopg raw txn async"),
    Op("pool_tenant", "pooled tenant-scoped lookup under RLS", "ops/s", "psycopg raw txn",
       "psycopg raw txn async"),
    Op("pool_request", "pooled request: read + insert + audit", "ops/s", "psycopg raw txn",
       "psycopg raw txn async"),
)
OP_BY_KEY = {op.key: op for op in OPS}


@dataclass
class Params:
    size: int
    lookups: int = 2_000
    list_rows: int = 10_000
    search_pages: int = 10
    inserts: int = 500
    ingest_rows: int = 50_000
    lineage_calls: int = 200
    throughput_seconds: float = 2.0
    workers: int = 8
    service_seconds: float = 1.0  # each pooled service case (benchmarks/service.py)


@dataclass
class Inputs:
    ids: list[uuid.UUID]
    names: list[tuple[str, str]]
    roots: list[uuid.UUID]
    downloads: list[DownloadIn]


def make_inputs(p: Params) -> Inputs:
    n = p.size
    picks = [(k * 7919) % n for k in range(p.lookups)]
    roots = [seed.package_id(i) for i in range(n) if i % 4 != 3 and i + 8 < n][: p.lineage_calls]
    now = datetime.now(UTC).replace(microsecond=0)
    users = [seed.user_id(u) for u in range(seed.USERS)]
    pkgs = [seed.package_id(i) for i in range(min(n, 1000))]
    downloads = [
        DownloadIn(
            package_id=pkgs[k % len(pkgs)],
            user_id=users[k % len(users)],
            downloaded_at=now - timedelta(seconds=k),
            access_granted=k % 10 != 0,
            access_check_output=None if k % 10 else "denied: not on the allow list",
            ip_address=ipaddress.IPv4Address(0x0A000000 + k % 65536),
            user_agent="registry-sql bench ingest",
        )
        for k in range(p.ingest_rows)
    ]
    return Inputs(
        ids=[seed.package_id(i) for i in picks],
        names=[seed.package_name_version(i) for i in picks],
        roots=roots,
        downloads=downloads,
    )


# ------------------------------------------------------------------------------------ context


def sqlalchemy_url(url: str) -> str:
    """``postgresql+psycopg://`` for SQLAlchemy (libpq query parameters such as host= pass on)."""
    rest = url.split("://", 1)[1]
    return f"postgresql+psycopg://{rest}"


@dataclass
class Context:
    url: str
    p: Params
    inp: Inputs
    loop: asyncio.AbstractEventLoop
    conn_rs: psycopg.Connection[Any] = field(init=False)
    conn_pg: psycopg.Connection[Any] = field(init=False)
    conn_aiosql: psycopg.Connection[Any] = field(init=False)
    aconn_rs: psycopg.AsyncConnection[Any] = field(init=False)
    aconn_pg: psycopg.AsyncConnection[Any] = field(init=False)
    apg: asyncpg.Connection = field(init=False)
    engine: Engine = field(init=False)
    queries: Any = field(init=False)
    counter: int = 0
    only: set[str] = field(default_factory=set)

    def open(self) -> None:
        # registry-sql's own connect(): prepare_threshold from Settings (psycopg's default 5).
        self.conn_rs = db.connect(self.url, autocommit=True)
        self.conn_pg = psycopg.connect(self.url, autocommit=True)
        self.conn_aiosql = psycopg.connect(self.url, autocommit=True)
        self.aconn_rs = self.loop.run_until_complete(db.aconnect(self.url, autocommit=True))
        self.aconn_pg = self.loop.run_until_complete(
            psycopg.AsyncConnection.connect(self.url, autocommit=True)
        )
        self.apg = self.loop.run_until_complete(asyncpg.connect(self.url))
        self.engine = create_engine(
            sqlalchemy_url(self.url), pool_size=self.p.workers, max_overflow=0
        )
        self.queries = aiosql.from_str(
            sql.aiosql_text(),
            "psycopg",
            record_classes={
                name: getattr(models, name)
                for name in ("PackageRow", "PackageSearchRow", "LineageNodeRow")
            },
        )

    def close(self) -> None:
        self.conn_rs.close()
        self.conn_pg.close()
        self.conn_aiosql.close()
        self.loop.run_until_complete(self.aconn_rs.close())
        self.loop.run_until_complete(self.aconn_pg.close())
        self.loop.run_until_complete(self.apg.close())
        self.engine.dispose()

    def next_tag(self) -> str:
        self.counter += 1
        return f"{self.counter}-{uuid.uuid4().hex[:8]}"


CaseFn = Callable[[], int] | Callable[[], Awaitable[int]]


@dataclass(frozen=True)
class Case:
    op: str
    stack: str
    fn: CaseFn
    is_async: bool = False


# ------------------------------------------------------------------------------------ params

_LIST = {"package_type": None, "uploaded_by": None, "after_created_at": None, "after_id": None}
_SEARCH: dict[str, Any] = {
    "q": "bert",
    "package_type": PackageType.MODEL,
    "tags": None,
    "is_sensitive": None,
    "min_net_score": 0.4,
}


def _create_params(name: str) -> dict[str, Any]:
    return {
        "name": name, "version": "1.0.0", "package_type": None,
        "description": "inserted by the benchmark", "tags": ["bench"],
        "s3_key": f"packages/{name}.zip", "s3_bucket": "ml-registry",
        "file_size_bytes": 12345, "checksum_sha256": None, "uploaded_by": None,
        "is_sensitive": None, "access_control_script": None, "source_url": None,
    }


# ------------------------------------------------------------------------------------ cases


def build_cases(ctx: Context) -> list[Case]:
    p, inp = ctx.p, ctx.inp
    cases: list[Case] = []

    def add(op: str, stack: str, fn: CaseFn, is_async: bool = False) -> None:
        cases.append(Case(op, stack, fn, is_async))

    # -- pk_lookup -----------------------------------------------------------------------
    def rs_pk() -> int:
        for pk in inp.ids:
            mr.get_package_by_id(ctx.conn_rs, id=pk)
        return len(inp.ids)

    async def rsa_pk() -> int:
        for pk in inp.ids:
            await mra.get_package_by_id(ctx.aconn_rs, id=pk)
        return len(inp.ids)

    def pg_pk() -> int:
        q = sql.GET_PACKAGE_BY_ID.positional
        with ctx.conn_pg.cursor() as cur:
            for pk in inp.ids:
                cur.execute(q, (pk,), prepare=True)
                cur.fetchone()
        return len(inp.ids)

    async def pga_pk() -> int:
        q = sql.GET_PACKAGE_BY_ID.positional
        async with ctx.aconn_pg.cursor() as cur:
            for pk in inp.ids:
                await cur.execute(q, (pk,), prepare=True)
                await cur.fetchone()
        return len(inp.ids)

    def aiosql_pk() -> int:
        for pk in inp.ids:
            ctx.queries.get_package_by_id(ctx.conn_aiosql, id=pk)
        return len(inp.ids)

    def orm_pk() -> int:
        with Session(ctx.engine) as s:
            for pk in inp.ids:
                s.execute(
                    select(Package).where(Package.id == pk)
                    .execution_options(populate_existing=True)
                ).scalar_one()
        return len(inp.ids)

    async def apg_pk() -> int:
        q = sql.GET_PACKAGE_BY_ID.dollar
        for pk in inp.ids:
            await ctx.apg.fetchrow(q, pk)
        return len(inp.ids)

    add("pk_lookup", RS, rs_pk)
    add("pk_lookup", RS_ASYNC, rsa_pk, True)
    add("pk_lookup", PG, pg_pk)
    add("pk_lookup", PG_ASYNC, pga_pk, True)
    add("pk_lookup", AIOSQL, aiosql_pk)
    add("pk_lookup", ORM, orm_pk)
    add("pk_lookup", ASYNCPG, apg_pk, True)

    # -- unique_lookup -------------------------------------------------------------------
    def rs_uq() -> int:
        for name, version in inp.names:
            mr.get_package_by_name_version(ctx.conn_rs, name=name, version=version)
        return len(inp.names)

    async def rsa_uq() -> int:
        for name, version in inp.names:
            await mra.get_package_by_name_version(ctx.aconn_rs, name=name, version=version)
        return len(inp.names)

    def pg_uq() -> int:
        q = sql.GET_PACKAGE_BY_NAME_VERSION.positional
        with ctx.conn_pg.cursor() as cur:
            for nv in inp.names:
                cur.execute(q, nv, prepare=True)
                cur.fetchone()
        return len(inp.names)

    async def pga_uq() -> int:
        q = sql.GET_PACKAGE_BY_NAME_VERSION.positional
        async with ctx.aconn_pg.cursor() as cur:
            for nv in inp.names:
                await cur.execute(q, nv, prepare=True)
                await cur.fetchone()
        return len(inp.names)

    def aiosql_uq() -> int:
        for name, version in inp.names:
            ctx.queries.get_package_by_name_version(ctx.conn_aiosql, name=name, version=version)
        return len(inp.names)

    def orm_uq() -> int:
        with Session(ctx.engine) as s:
            for name, version in inp.names:
                s.execute(
                    select(Package).where(Package.name == name, Package.version == version)
                    .execution_options(populate_existing=True)
                ).scalar_one()
        return len(inp.names)

    async def apg_uq() -> int:
        q = sql.GET_PACKAGE_BY_NAME_VERSION.dollar
        for name, version in inp.names:
            await ctx.apg.fetchrow(q, name, version)
        return len(inp.names)

    add("unique_lookup", RS, rs_uq)
    add("unique_lookup", RS_ASYNC, rsa_uq, True)
    add("unique_lookup", PG, pg_uq)
    add("unique_lookup", PG_ASYNC, pga_uq, True)
    add("unique_lookup", AIOSQL, aiosql_uq)
    add("unique_lookup", ORM, orm_uq)
    add("unique_lookup", ASYNCPG, apg_uq, True)

    # -- list_10k --------------------------------------------------------------------------
    n_list = p.list_rows
    list_params = _LIST | {"limit": n_list}

    def rs_list() -> int:
        mr.list_packages(ctx.conn_rs, limit=n_list)
        return 1

    async def rsa_list() -> int:
        await mra.list_packages(ctx.aconn_rs, limit=n_list)
        return 1

    def pg_list() -> int:
        with ctx.conn_pg.cursor() as cur:
            cur.execute(sql.LIST_PACKAGES.positional, sql.LIST_PACKAGES.args(list_params),
                        prepare=True)
            cur.fetchall()
        return 1

    async def pga_list() -> int:
        async with ctx.aconn_pg.cursor() as cur:
            await cur.execute(sql.LIST_PACKAGES.positional,
                              sql.LIST_PACKAGES.args(list_params), prepare=True)
            await cur.fetchall()
        return 1

    def aiosql_list() -> int:
        list(ctx.queries.list_packages(ctx.conn_aiosql, **list_params))  # a generator
        return 1

    listing = (Package.id, Package.name, Package.version, Package.package_type,
               Package.description, Package.tags, Package.file_size_bytes,
               Package.uploaded_by, Package.is_sensitive, Package.created_at)

    def orm_list() -> int:
        with Session(ctx.engine) as s:
            s.execute(
                select(Package, PackageScore.net_score)
                .options(load_only(*listing))
                .outerjoin(PackageScore, PackageScore.package_id == Package.id)
                .order_by(Package.created_at.desc(), Package.id.desc())
                .limit(n_list)
                .execution_options(populate_existing=True)
            ).all()
        return 1

    async def apg_list() -> int:
        await ctx.apg.fetch(sql.LIST_PACKAGES.dollar, *sql.LIST_PACKAGES.dollar_args(list_params))
        return 1

    add("list_10k", RS, rs_list)
    add("list_10k", RS_ASYNC, rsa_list, True)
    add("list_10k", PG, pg_list)
    add("list_10k", PG_ASYNC, pga_list, True)
    add("list_10k", AIOSQL, aiosql_list)
    add("list_10k", ORM, orm_list)
    add("list_10k", ASYNCPG, apg_list, True)

    # -- search: walk `search_pages` keyset pages ------------------------------------------
    pages, page = p.search_pages, 50

    def rs_search() -> int:
        after_ts, after_id, n = None, None, 0
        for _ in range(pages):
            rows = mr.search_packages(ctx.conn_rs, **_SEARCH, after_created_at=after_ts,
                                      after_id=after_id, limit=page)
            n += 1
            if len(rows) < page:
                break
            after_ts, after_id = rows[-1].created_at, rows[-1].id
        return n

    async def rsa_search() -> int:
        after_ts, after_id, n = None, None, 0
        for _ in range(pages):
            rows = await mra.search_packages(ctx.aconn_rs, **_SEARCH, after_created_at=after_ts,
                                             after_id=after_id, limit=page)
            n += 1
            if len(rows) < page:
                break
            after_ts, after_id = rows[-1].created_at, rows[-1].id
        return n

    s_stmt = sql.SEARCH_PACKAGES
    i_created, i_id = 9, 0  # created_at and id in the search row

    def pg_search() -> int:
        after_ts, after_id, n = None, None, 0
        with ctx.conn_pg.cursor() as cur:
            for _ in range(pages):
                cur.execute(s_stmt.positional, s_stmt.args(
                    _SEARCH | {"after_created_at": after_ts, "after_id": after_id,
                               "limit": page}), prepare=True)
                rows = cur.fetchall()
                n += 1
                if len(rows) < page:
                    break
                after_ts, after_id = rows[-1][i_created], rows[-1][i_id]
        return n

    async def pga_search() -> int:
        after_ts, after_id, n = None, None, 0
        async with ctx.aconn_pg.cursor() as cur:
            for _ in range(pages):
                await cur.execute(s_stmt.positional, s_stmt.args(
                    _SEARCH | {"after_created_at": after_ts, "after_id": after_id,
                               "limit": page}), prepare=True)
                rows = await cur.fetchall()
                n += 1
                if len(rows) < page:
                    break
                after_ts, after_id = rows[-1][i_created], rows[-1][i_id]
        return n

    def aiosql_search() -> int:
        after_ts, after_id, n = None, None, 0
        for _ in range(pages):
            rows = list(ctx.queries.search_packages(
                ctx.conn_aiosql, **_SEARCH, after_created_at=after_ts, after_id=after_id,
                limit=page))
            n += 1
            if len(rows) < page:
                break
            after_ts, after_id = rows[-1].created_at, rows[-1].id
        return n

    search_expr = (Package.name + literal_column("' '")
                   + func.coalesce(Package.description, literal_column("''")))

    def orm_search() -> int:
        after_ts: datetime | None = None
        after_id: uuid.UUID | None = None
        n = 0
        with Session(ctx.engine) as s:
            for _ in range(pages):
                q = (
                    select(Package, PackageScore.net_score)
                    .options(load_only(*listing))
                    .outerjoin(PackageScore, PackageScore.package_id == Package.id)
                    .where(search_expr.ilike(f"%{_SEARCH['q']}%"))
                    .where(Package.package_type == _SEARCH["package_type"])
                    .where(PackageScore.net_score >= _SEARCH["min_net_score"])
                    .order_by(Package.created_at.desc(), Package.id.desc())
                    .limit(page)
                    .execution_options(populate_existing=True)
                )
                if after_ts is not None:
                    q = q.where(tuple_(Package.created_at, Package.id) < tuple_(after_ts, after_id))
                rows = s.execute(q).all()
                n += 1
                if len(rows) < page:
                    break
                after_ts, after_id = rows[-1][0].created_at, rows[-1][0].id
        return n

    async def apg_search() -> int:
        after_ts, after_id, n = None, None, 0
        for _ in range(pages):
            rows = await ctx.apg.fetch(s_stmt.dollar, *s_stmt.dollar_args(
                _SEARCH | {"package_type": "model", "after_created_at": after_ts,
                           "after_id": after_id, "limit": page}))
            n += 1
            if len(rows) < page:
                break
            after_ts, after_id = rows[-1]["created_at"], rows[-1]["id"]
        return n

    add("search", RS, rs_search)
    add("search", RS_ASYNC, rsa_search, True)
    add("search", PG, pg_search)
    add("search", PG_ASYNC, pga_search, True)
    add("search", AIOSQL, aiosql_search)
    add("search", ORM, orm_search)
    add("search", ASYNCPG, apg_search, True)

    # -- insert: `inserts` single-row INSERT ... RETURNING, in one rolled-back transaction --
    n_ins = p.inserts
    c_stmt = sql.CREATE_PACKAGE

    def rs_insert() -> int:
        tag = ctx.next_tag()
        with ctx.conn_rs.transaction(force_rollback=True):
            for k in range(n_ins):
                mr.create_package(
                    ctx.conn_rs, name=f"bench-insert-{tag}-{k}", version="1.0.0",
                    description="inserted by the benchmark", tags=["bench"],
                    s3_key=f"packages/bench-insert-{tag}-{k}.zip", s3_bucket="ml-registry",
                    file_size_bytes=12345,
                )
        return n_ins

    async def rsa_insert() -> int:
        tag = ctx.next_tag()
        async with ctx.aconn_rs.transaction(force_rollback=True):
            for k in range(n_ins):
                await mra.create_package(
                    ctx.aconn_rs, name=f"bench-insert-{tag}-{k}", version="1.0.0",
                    description="inserted by the benchmark", tags=["bench"],
                    s3_key=f"packages/bench-insert-{tag}-{k}.zip", s3_bucket="ml-registry",
                    file_size_bytes=12345,
                )
        return n_ins

    def pg_insert() -> int:
        tag = ctx.next_tag()
        with ctx.conn_pg.transaction(force_rollback=True), ctx.conn_pg.cursor() as cur:
            for k in range(n_ins):
                cur.execute(c_stmt.positional,
                            c_stmt.args(_create_params(f"bench-insert-{tag}-{k}")), prepare=True)
                cur.fetchone()
        return n_ins

    async def pga_insert() -> int:
        tag = ctx.next_tag()
        async with ctx.aconn_pg.transaction(force_rollback=True), ctx.aconn_pg.cursor() as cur:
            for k in range(n_ins):
                await cur.execute(c_stmt.positional,
                                  c_stmt.args(_create_params(f"bench-insert-{tag}-{k}")),
                                  prepare=True)
                await cur.fetchone()
        return n_ins

    def aiosql_insert() -> int:
        tag = ctx.next_tag()
        with ctx.conn_aiosql.transaction(force_rollback=True):
            for k in range(n_ins):
                ctx.queries.create_package(ctx.conn_aiosql,
                                           **_create_params(f"bench-insert-{tag}-{k}"))
        return n_ins

    def orm_insert() -> int:
        tag = ctx.next_tag()
        with Session(ctx.engine) as s:
            for k in range(n_ins):
                name = f"bench-insert-{tag}-{k}"
                s.add(Package(
                    name=name, version="1.0.0", description="inserted by the benchmark",
                    tags=["bench"], s3_key=f"packages/{name}.zip", s3_bucket="ml-registry",
                    file_size_bytes=12345,
                ))
                s.flush()
            s.rollback()
        return n_ins

    async def apg_insert() -> int:
        tag = ctx.next_tag()
        tr = ctx.apg.transaction()
        await tr.start()
        try:
            for k in range(n_ins):
                await ctx.apg.fetchrow(c_stmt.dollar, *c_stmt.dollar_args(
                    _create_params(f"bench-insert-{tag}-{k}")))
        finally:
            await tr.rollback()
        return n_ins

    add("insert", RS, rs_insert)
    add("insert", RS_ASYNC, rsa_insert, True)
    add("insert", PG, pg_insert)
    add("insert", PG_ASYNC, pga_insert, True)
    add("insert", AIOSQL, aiosql_insert)
    add("insert", ORM, orm_insert)
    add("insert", ASYNCPG, apg_insert, True)

    # -- bulk_ingest: `ingest_rows` download events, rolled back ----------------------------
    rows = inp.downloads

    def rs_ingest() -> int:
        with ctx.conn_rs.transaction(force_rollback=True):
            return mr.copy_downloads(ctx.conn_rs, rows)

    async def rsa_ingest() -> int:
        async with ctx.aconn_rs.transaction(force_rollback=True):
            return await mra.copy_downloads(ctx.aconn_rs, rows)

    copy_types = ["uuid", "uuid", "timestamptz", "bool", "text", "inet", "text"]

    def pg_ingest() -> int:
        with ctx.conn_pg.transaction(force_rollback=True), ctx.conn_pg.cursor() as cur:
            with cur.copy(sql.COPY_DOWNLOADS_BINARY) as copy:
                copy.set_types(copy_types)
                for row in rows:
                    copy.write_row(row)
        return len(rows)

    async def pga_ingest() -> int:
        async with (ctx.aconn_pg.transaction(force_rollback=True), ctx.aconn_pg.cursor() as cur,
                    cur.copy(sql.COPY_DOWNLOADS_BINARY) as copy):
            copy.set_types(copy_types)
            for row in rows:
                await copy.write_row(row)
        return len(rows)

    def pg_executemany() -> int:
        with ctx.conn_pg.transaction(force_rollback=True), ctx.conn_pg.cursor() as cur:
            cur.executemany(sql.INSERT_DOWNLOAD, rows)
        return len(rows)

    def orm_ingest() -> int:
        with Session(ctx.engine) as s:
            s.add_all([
                DownloadHistory(
                    package_id=r.package_id, user_id=r.user_id, downloaded_at=r.downloaded_at,
                    access_granted=r.access_granted, access_check_output=r.access_check_output,
                    ip_address=r.ip_address, user_agent=r.user_agent,
                )
                for r in rows
            ])
            s.flush()
            s.rollback()
        return len(rows)

    def core_ingest() -> int:
        with ctx.engine.connect() as c:
            c.execute(insert(DownloadHistory), [r._asdict() for r in rows])
            c.rollback()
        return len(rows)

    async def apg_ingest() -> int:
        tr = ctx.apg.transaction()
        await tr.start()
        try:
            await ctx.apg.copy_records_to_table(
                "download_history", schema_name="model_registry", columns=sql.DOWNLOAD_COLUMNS,
                records=rows,
            )
        finally:
            await tr.rollback()
        return len(rows)

    add("bulk_ingest", RS, rs_ingest)
    add("bulk_ingest", RS_ASYNC, rsa_ingest, True)
    add("bulk_ingest", PG, pg_ingest)
    add("bulk_ingest", PG_ASYNC, pga_ingest, True)
    add("bulk_ingest", PG_EXECUTEMANY, pg_executemany)
    add("bulk_ingest", ORM, orm_ingest)
    add("bulk_ingest", SA_CORE, core_ingest)
    add("bulk_ingest", ASYNCPG, apg_ingest, True)

    # -- lineage: descendants to depth 5 of `lineage_calls` packages -----------------------
    l_stmt = sql.LIST_LINEAGE_DESCENDANTS

    def rs_lineage() -> int:
        for root in inp.roots:
            mr.list_lineage_descendants(ctx.conn_rs, package_id=root, max_depth=5)
        return len(inp.roots)

    async def rsa_lineage() -> int:
        for root in inp.roots:
            await mra.list_lineage_descendants(ctx.aconn_rs, package_id=root, max_depth=5)
        return len(inp.roots)

    def pg_lineage() -> int:
        with ctx.conn_pg.cursor() as cur:
            for root in inp.roots:
                cur.execute(l_stmt.positional,
                            l_stmt.args({"package_id": root, "max_depth": 5}), prepare=True)
                cur.fetchall()
        return len(inp.roots)

    async def pga_lineage() -> int:
        async with ctx.aconn_pg.cursor() as cur:
            for root in inp.roots:
                await cur.execute(l_stmt.positional,
                                  l_stmt.args({"package_id": root, "max_depth": 5}),
                                  prepare=True)
                await cur.fetchall()
        return len(inp.roots)

    def aiosql_lineage() -> int:
        for root in inp.roots:
            list(ctx.queries.list_lineage_descendants(ctx.conn_aiosql, package_id=root,
                                                      max_depth=5))
        return len(inp.roots)

    def orm_lineage_query(root: uuid.UUID) -> Any:
        lin = PackageLineage
        des = (select(lin.child_package_id.label("package_id"),
                      literal_column("1").label("depth"))
               .where(lin.parent_package_id == root)
               .cte("des", recursive=True))
        des = des.union_all(
            select(lin.child_package_id, des.c.depth + 1)
            .join(des, lin.parent_package_id == des.c.package_id)
            .where(des.c.depth < 5)
        )
        depth = func.min(des.c.depth).label("depth")
        return (
            select(Package, depth)
            .options(load_only(Package.id, Package.name, Package.version, Package.package_type))
            .join(des, Package.id == des.c.package_id)
            .where(des.c.package_id != root)
            .group_by(Package.id)
            .order_by(depth, Package.name, Package.version)
            .execution_options(populate_existing=True)
        )

    def orm_lineage() -> int:
        with Session(ctx.engine) as s:
            for root in inp.roots:
                s.execute(orm_lineage_query(root)).all()
        return len(inp.roots)

    async def apg_lineage() -> int:
        for root in inp.roots:
            await ctx.apg.fetch(l_stmt.dollar,
                                *l_stmt.dollar_args({"package_id": root, "max_depth": 5}))
        return len(inp.roots)

    add("lineage", RS, rs_lineage)
    add("lineage", RS_ASYNC, rsa_lineage, True)
    add("lineage", PG, pg_lineage)
    add("lineage", PG_ASYNC, pga_lineage, True)
    add("lineage", AIOSQL, aiosql_lineage)
    add("lineage", ORM, orm_lineage)
    add("lineage", ASYNCPG, apg_lineage, True)

    from benchmarks import service

    pools = service.open_pools(ctx)
    closers.append(lambda: pools.close(ctx.loop))
    cases += throughput_cases(ctx, pools)
    cases += service.service_cases(ctx, pools, Case, RS, RS_ASYNC, PG, PG_ASYNC, AIOSQL, ORM)
    return cases


# ------------------------------------------------------------------------------------ throughput


def _threads(workers: int, seconds: float, work: Callable[[int], None]) -> int:
    """Run ``work(k)`` in ``workers`` threads until ``seconds`` pass; total calls."""
    deadline = time.perf_counter() + seconds
    counts = [0] * workers

    def loop(w: int) -> None:
        k = w
        while time.perf_counter() < deadline:
            work(k)
            k += workers
            counts[w] += 1

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts)


async def _tasks(workers: int, seconds: float, work: Callable[[int], Awaitable[object]]) -> int:
    deadline = time.perf_counter() + seconds
    counts = [0] * workers

    async def loop(w: int) -> None:
        k = w
        while time.perf_counter() < deadline:
            await work(k)
            k += workers
            counts[w] += 1

    await asyncio.gather(*(loop(w) for w in range(workers)))
    return sum(counts)


def throughput_cases(ctx: Context, pools: Any) -> list[Case]:
    """PK lookups from ``workers`` threads (sync) or tasks (async), one pool checkout per call.

    The pools (``benchmarks.service.open_pools``) have ``workers`` connections each, as the bench
    login (a member of registry_app). registry-sql's pools are the ones ``registry_sql.db``
    creates, used here as ``pool.connection()`` without ``transaction()``; the raw pools are plain
    autocommit pools. asyncpg has its own pool (as the admin).
    """
    p, ids = ctx.p, ctx.inp.ids
    n, w = len(ids), p.workers
    rs_pool, pg_pool, rsa_pool, pga_pool = pools.rs, pools.auto, pools.rsa, pools.aauto

    async def open_async_pools() -> Any:
        return await asyncpg.create_pool(ctx.url, min_size=w, max_size=w)

    apg_pool = ctx.loop.run_until_complete(open_async_pools())
    apools_to_close.append(apg_pool)
    q_pos = sql.GET_PACKAGE_BY_ID.positional
    q_dollar = sql.GET_PACKAGE_BY_ID.dollar

    def rs_work(k: int) -> None:
        with rs_pool.connection() as c:
            mr.get_package_by_id(c, id=ids[k % n])

    async def rsa_work(k: int) -> None:
        async with rsa_pool.connection() as c:
            await mra.get_package_by_id(c, id=ids[k % n])

    def pg_work(k: int) -> None:
        with pg_pool.connection() as c, c.cursor() as cur:
            cur.execute(q_pos, (ids[k % n],), prepare=True)
            cur.fetchone()

    async def pga_work(k: int) -> None:
        async with pga_pool.connection() as c, c.cursor() as cur:
            await cur.execute(q_pos, (ids[k % n],), prepare=True)
            await cur.fetchone()

    def aiosql_work(k: int) -> None:
        with pg_pool.connection() as c:
            ctx.queries.get_package_by_id(c, id=ids[k % n])

    def orm_work(k: int) -> None:
        with Session(ctx.engine) as s:
            s.execute(select(Package).where(Package.id == ids[k % n])).scalar_one()

    async def apg_work(k: int) -> None:
        async with apg_pool.acquire() as c:
            await c.fetchrow(q_dollar, ids[k % n])

    def sync_case(work: Callable[[int], None]) -> Callable[[], int]:
        return lambda: _threads(w, p.throughput_seconds, work)  # read at run time (warm-up)

    def async_case(work: Callable[[int], Awaitable[object]]) -> Callable[[], Awaitable[int]]:
        return lambda: _tasks(w, p.throughput_seconds, work)

    return [
        Case("throughput", RS, sync_case(rs_work)),
        Case("throughput", RS_ASYNC, async_case(rsa_work), True),
        Case("throughput", PG, sync_case(pg_work)),
        Case("throughput", PG_ASYNC, async_case(pga_work), True),
        Case("throughput", AIOSQL, sync_case(aiosql_work)),
        Case("throughput", ORM, sync_case(orm_work)),
        Case("throughput", ASYNCPG, async_case(apg_work), True),
    ]


pools_to_close: list[Any] = []
apools_to_close: list[Any] = []


closers: list[Callable[[], None]] = []


def close_pools(loop: asyncio.AbstractEventLoop) -> None:
    for close in closers:
        close()
    closers.clear()
    for pool in pools_to_close:
        pool.close()
    for apool in apools_to_close:
        loop.run_until_complete(apool.close())
    pools_to_close.clear()
    apools_to_close.clear()
