"""Helpers of the engine suites: every named query, prepared and executed on an engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.pq import ExecStatus

from registry_sql import migrate
from registry_sql.codegen.source import QuerySource, load_schema, schemas_in
from registry_sql.db import tenant
from registry_sql.paths import migrations_dir, sql_dir
from registry_sql.settings import normalize_url

# SQLSTATEs that mean "the engine cannot plan or run this query", as opposed to the data
# errors (NOT NULL, not found, foreign keys) that parameters left NULL provoke on purpose:
# feature_not_supported (Citus: non-IMMUTABLE function in CASE, subquery in INSERT...),
# internal_error, protocol_violation (Citus: "bind message supplies 0 parameters"),
# undefined_table (a worker resolving a CTE name), grouping_error (GROUP BY on a shard).
PLANNER_ERRORS = frozenset({"0A000", "XX000", "08P01", "42P01", "42803"})


def every_query() -> list[QuerySource]:
    """Every statement of every named query of every schema in sql/, COPY ingest queries
    excluded: a query with optional ``/*? ... ?*/`` blocks counts once per variant (each is a
    static statement of its own, as the generated functions run them; docs/queries.md)."""
    root = sql_dir()
    return [
        variant
        for schema in schemas_in(root, migrations_dir())
        for q in load_schema(root, schema)
        if not q.is_copy
        for variant in ([q.variant(mask) for mask in range(q.variant_count)] if q.blocks else [q])
    ]


def prepare_problems(conn: psycopg.Connection[Any]) -> list[str]:
    """``file:line name: message`` for every query the server refuses to prepare."""
    problems = []
    for q in every_query():
        res = conn.pgconn.prepare(b"", q.sql_for_describe().encode("utf-8"))
        if res.status != ExecStatus.COMMAND_OK:
            message = (res.error_message or b"").decode("utf-8", "replace").strip()
            problems.append(f"{q.location} {q.display_name}: {message}")
    return problems


def execute_problems(conn: psycopg.Connection[Any], org_id: uuid.UUID) -> list[str]:
    """Run every query once, server-side binding and prepared (as the generated functions do),
    each in its own transaction with the tenant ``org_id`` set, rolled back: ``organization_id``
    is ``org_id``, every other parameter NULL. Returns the queries that failed with a
    planner-class error (:data:`PLANNER_ERRORS`). ``conn``: idle, not in autocommit."""
    problems = []
    for q in every_query():
        params = {p: (org_id if p == "organization_id" else None) for p in q.params}
        try:
            with conn.transaction(force_rollback=True):
                tenant(conn, org_id)
                cur = conn.execute(q.sql_for_psycopg(), params, prepare=True)
                if cur.description is not None:
                    cur.fetchall()
        except psycopg.Error as exc:
            if exc.sqlstate in PLANNER_ERRORS:
                problems.append(f"{q.location} {q.display_name}: {exc.sqlstate} {exc}")
    return problems


def fresh_database(url: str) -> Iterator[str]:
    """Wipe the database, apply every migration, roll them all back, apply again (up/down/up)."""
    migrate.wipe(url)
    first = migrate.apply(url)
    rolled = migrate.rollback(url, count=None)
    assert sorted(rolled) == sorted(first), "rollback did not undo every applied migration"
    again = migrate.apply(url)
    assert again == first, "the second apply differs from the first"
    yield url


# Engine URLs (see docs/testing.md, "Engine suites"): unset, the suite is skipped with the reason.
TIMESCALE_ENV = "REGISTRY_SQL_TIMESCALE_URL"
CITUS_ENV = "REGISTRY_SQL_CITUS_URL"


def _engine_url(variable: str, engine: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        pytest.skip(
            f"{engine} suite: {variable} is not set (a database on a {engine} server, as a "
            "superuser; the suite wipes it; ../shared/tools/engines.sh starts one here)"
        )
    return normalize_url(value, source=variable)


@pytest.fixture(scope="module")
def timescale_url() -> str:
    return _engine_url(TIMESCALE_ENV, "TimescaleDB")


@pytest.fixture(scope="module")
def citus_url() -> str:
    return _engine_url(CITUS_ENV, "Citus")
