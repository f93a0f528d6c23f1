"""Every named query of sql/mlops/ is called by a test: a new query without a test fails here.

A query counts as tested when a test_mlops_*.py file calls it through the generated layer as
``mlops.<name>(`` (sync) or ``aio.<name>(`` (async). Also: the async twins work under RLS.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
from mlops_support import Conn, make_tenant

from registry_sql import mlops, paths
from registry_sql.codegen.source import load_schema
from registry_sql.db import atransaction
from registry_sql.mlops import aio

HERE = Path(__file__).parent


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(HERE.glob("test_mlops_*.py")))


def test_every_mlops_query_is_called_by_a_test() -> None:
    queries = load_schema(paths.sql_dir(), "mlops")
    names = {q.name for q in queries}
    assert len(names) >= 70
    called = set(re.findall(r"\b(?:mlops|aio)\.([a-z_][a-z0-9_]*)\(", _test_sources()))
    missing = sorted(names - called)
    assert not missing, f"mlops queries without an integration test: {missing}"


def test_every_mlops_query_has_a_generated_function() -> None:
    for q in load_schema(paths.sql_dir(), "mlops"):
        assert callable(getattr(mlops, q.name, None)), f"registry_sql.mlops.{q.name} is missing"
        assert callable(getattr(aio, q.name, None)), f"registry_sql.mlops.aio.{q.name} is missing"


async def test_async_twins_under_rls(conn: Conn, app_url: str) -> None:
    t = make_tenant(conn, "async-tenant")
    aconn: psycopg.AsyncConnection[Any] = await psycopg.AsyncConnection.connect(app_url)
    try:
        async with atransaction(aconn):  # no tenant: nothing
            assert await aio.list_projects(aconn, organization_id=t.org_id, limit=10) == []
        async with atransaction(aconn, org_id=t.org_id):
            projects = await aio.list_projects(aconn, organization_id=t.org_id, limit=10)
            assert [p.id for p in projects] == [t.project_id]
            v = await aio.create_model_version(
                aconn, organization_id=t.org_id, model_id=t.model_id, artifact_uri="s3://async"
            )
            assert v.version == 2
            n = await aio.copy_run_metrics(
                aconn, [mlops.RunMetricIn(t.org_id, t.run_id, "acc", 0.5, 1, None)]
            )
            assert n == 1
    finally:
        await aconn.close()
