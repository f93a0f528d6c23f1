"""batch(pool) / abatch(pool): a request's calls as one transaction in one round trip (issue 11).

BEGIN, the SET LOCALs of the options, the calls, COMMIT and RESET ALL go in one pipeline. All or
nothing; the tenant applies to every call (row-level security); a connection the server dropped
is replaced before anything is sent; the session is clean for the next checkout.
Committed data seen by several connections: a clone, as the application role (``app_url``).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from registry_sql import core
from registry_sql import mlops as ml
from registry_sql.db import (
    abatch,
    atransaction,
    batch,
    create_async_pool,
    create_pool,
    current_tenant,
    transaction,
)
from registry_sql.errors import Conflict, InvalidInput, NotFound, RegistrySqlError
from registry_sql.mlops import aio as mla
from registry_sql.settings import Settings


def _one(url: str) -> Settings:
    return Settings(database_url=url, min_size=1, max_size=1)


def _org(conn: psycopg.Connection[Any], slug: str) -> uuid.UUID:
    with transaction(conn):
        return core.create_organization(conn, name=slug, slug=slug).id


def _project_count(url: str, org: uuid.UUID) -> int:
    with psycopg.connect(url) as c, transaction(c, org_id=org):
        return ml.count_projects(c, organization_id=org)


def test_the_calls_commit_together_under_the_tenant(app_url: str) -> None:
    with psycopg.connect(app_url) as c:
        org = _org(c, "pb-one")
    with create_pool(_one(app_url)) as pool:
        with batch(pool, org_id=org) as b:
            made = b.add(ml.create_project, organization_id=org, name="p1", slug="p1")
            count = b.add(ml.count_projects, organization_id=org)
        assert made.result.organization_id == org
        assert count.result == 1  # the second call saw the first one's row, under RLS
        # Committed: another connection sees it.
        assert _project_count(app_url, org) == 1
        # The tenant was transaction-local: the next checkout has none.
        with transaction(pool) as conn:
            assert current_tenant(conn) is None
            with pytest.raises(NotFound):
                ml.get_project_by_id(conn, organization_id=org, id=made.result.id)


def test_a_failed_call_commits_nothing_and_is_named(app_url: str) -> None:
    with psycopg.connect(app_url) as c:
        org = _org(c, "pb-fail")
    with create_pool(_one(app_url)) as pool:
        with pytest.raises(Conflict, match="create_project") as info:
            with batch(pool, org_id=org) as b:
                first = b.add(ml.create_project, organization_id=org, name="a", slug="dup")
                dup = b.add(ml.create_project, organization_id=org, name="b", slug="dup")
                after = b.add(ml.count_projects, organization_id=org)
        assert info.value.constraint is not None
        assert first.ok  # it ran ...
        with pytest.raises(Conflict):
            _ = dup.result
        with pytest.raises(RegistrySqlError, match="did not run"):
            _ = after.result
        assert _project_count(app_url, org) == 0  # ... and was rolled back with the batch
        # The connection went back clean: the next batch works on it.
        with batch(pool, org_id=org) as b:
            again = b.add(ml.create_project, organization_id=org, name="a", slug="dup")
        assert again.ok
    assert _project_count(app_url, org) == 1


def test_a_bad_value_sends_nothing_and_leaves_the_connection_usable(app_url: str) -> None:
    with psycopg.connect(app_url) as c:
        org = _org(c, "pb-bad")
    with create_pool(_one(app_url)) as pool:
        with pytest.raises(InvalidInput, match="name"):
            with batch(pool, org_id=org) as b:
                b.add(ml.create_project, organization_id=org, name="ok", slug="ok")
                b.add(ml.create_project, organization_id=org, name="nul\x00", slug="nul")
        assert _project_count(app_url, org) == 0
        with transaction(pool, org_id=org) as conn:
            assert ml.count_projects(conn, organization_id=org) == 0


def _round_trips(pool: Any, work: Any) -> int:
    """How many round trips ``work`` made on the pool's only connection: the ReadyForQuery
    messages the server sent (one ends every simple query and every Sync), from libpq's trace."""
    fd, name = tempfile.mkstemp()
    try:
        with pool.connection() as conn:
            pgconn = conn.pgconn
        pgconn.trace(fd)
        try:
            work()
        finally:
            pgconn.untrace()
        text = Path(name).read_text()
    finally:
        os.close(fd)
        os.unlink(name)
    return sum(1 for line in text.splitlines() if line.split("\t")[1:4:2] == ["B", "ReadyForQuery"])


def test_the_whole_request_is_one_round_trip(app_url: str) -> None:
    with psycopg.connect(app_url) as c:
        org = _org(c, "pb-rt")
    with create_pool(_one(app_url)) as pool:

        def request() -> None:
            with batch(pool, org_id=org, correlation_id="req-1") as b:
                b.add(ml.create_project, organization_id=org, name="r", slug=f"r{uuid.uuid4()}")
                b.add(ml.count_projects, organization_id=org)
                b.add(ml.list_projects, organization_id=org, limit=10)

        def one_by_one() -> None:
            with transaction(pool, org_id=org) as conn:
                ml.count_projects(conn, organization_id=org)

        request()  # a fresh connection may be pinged; the traced runs reuse it
        assert _round_trips(pool, request) == 1
        # transaction(pool): BEGIN with the SET LOCALs, the call, COMMIT with RESET ALL.
        assert _round_trips(pool, one_by_one) == 3
    assert _project_count(app_url, org) == 2


def test_a_dead_connection_is_replaced_before_anything_is_sent(
    app_url: str, migrated_url: str
) -> None:
    with psycopg.connect(app_url) as c:
        org = _org(c, "pb-dead")
    with create_pool(_one(app_url)) as pool:
        with pool.connection() as conn:
            pid = conn.info.backend_pid  # just returned: the next checkout is not pinged
        with psycopg.connect(migrated_url, autocommit=True) as admin:
            # Terminated, and gone (timeout: wait until the backend has exited).
            admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
        with batch(pool, org_id=org) as b:
            made = b.add(ml.create_project, organization_id=org, name="d", slug="d")
        assert made.ok
    assert _project_count(app_url, org) == 1


def test_options_belong_to_a_pool_batch(app_url: str) -> None:
    with psycopg.connect(app_url) as conn, transaction(conn):
        with pytest.raises(InvalidInput, match="lock_timeout") as info:
            batch(conn, lock_timeout=1)
        assert info.value.field == "lock_timeout"
        with pytest.raises(InvalidInput, match="org_id"):
            batch(conn, org_id="not a uuid")


async def test_async_pool_batch(app_url: str) -> None:
    with psycopg.connect(app_url) as c:
        org = _org(c, "pb-async")
    async with create_async_pool(_one(app_url)) as pool:
        async with abatch(pool, org_id=org) as b:
            made = b.add(mla.create_project, organization_id=org, name="a1", slug="a1")
            count = b.add(mla.count_projects, organization_id=org)
        assert count.result == 1 and made.result.slug == "a1"
        with pytest.raises(Conflict):
            async with abatch(pool, org_id=org) as b:
                b.add(mla.create_project, organization_id=org, name="a2", slug="a2")
                b.add(mla.create_project, organization_id=org, name="a1", slug="a1")
        async with atransaction(pool, org_id=org) as conn:
            assert await mla.count_projects(conn, organization_id=org) == 1
