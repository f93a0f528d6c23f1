"""Every named query of sql/splunk_ta/ is called by a test: a new query without a test fails here.

A query counts as tested when a test_splunk_ta_*.py file calls it through the generated layer as
``splunk_ta.<name>(`` (sync) or ``aio.<name>(`` (async). Also: the async twins work.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
from splunk_ta_support import Conn, S, drive, make_people, make_revision

from registry_sql import paths, splunk_ta
from registry_sql.codegen.source import load_schema
from registry_sql.db import atransaction
from registry_sql.splunk_ta import ValidationStatus, aio

HERE = Path(__file__).parent


def _test_sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(HERE.glob("test_splunk_ta_*.py"))
    )


def test_every_splunk_ta_query_is_called_by_a_test() -> None:
    names = {q.name for q in load_schema(paths.sql_dir(), "splunk_ta")}
    assert len(names) >= 45
    called = set(re.findall(r"\b(?:splunk_ta|aio)\.([a-z_][a-z0-9_]*)\(", _test_sources()))
    missing = sorted(names - called)
    assert not missing, f"splunk_ta queries without an integration test: {missing}"


def test_every_splunk_ta_query_has_a_generated_function() -> None:
    for q in load_schema(paths.sql_dir(), "splunk_ta"):
        assert callable(getattr(splunk_ta, q.name, None)), f"splunk_ta.{q.name} is missing"
        assert callable(getattr(aio, q.name, None)), f"splunk_ta.aio.{q.name} is missing"


async def test_async_twins(conn: Conn, app_url: str) -> None:
    who = make_people(conn, "async")
    r = drive(conn, who, S.GENERATING_TA)
    rev = make_revision(conn, r.id)
    aconn: psycopg.AsyncConnection[Any] = await psycopg.AsyncConnection.connect(app_url)
    try:
        async with atransaction(aconn, correlation_id="async-1"):
            run = await aio.queue_validation(aconn, request_id=r.id, ta_revision_id=rev.id)
        async with atransaction(aconn):
            started = await aio.start_validation(aconn, sandbox_id="async-sb")
        assert started is not None and started.id == run.id
        async with atransaction(aconn):
            done = await aio.complete_validation(
                aconn, id=run.id, status=ValidationStatus.PASSED, results={"ok": True}
            )
        assert done.status == ValidationStatus.PASSED
        assert await aio.count_running_validations(aconn) == 0
        got = await aio.get_request_by_id(aconn, id=r.id)
        assert got.status == S.GENERATING_TA
        rev2 = await aio.create_ta_revision(
            aconn, request_id=r.id, revision_type=splunk_ta.TaRevisionType.AUTO, storage_key="k"
        )
        assert rev2.version == 2
    finally:
        await aconn.close()
