"""Plan budgets (``-- plan:`` lines) checked on the generic plan, as ``check --plans`` does.

A small table of 20,000 rows is enough for the planner to prefer an index where there is one;
each kind of budget is shown holding and broken, and a broken one names the ``-- plan:`` line,
the query (and the variant of a query with optional blocks) and the plan node. The budgets of
``sql/model_registry`` on a large catalog: tests/integration/test_model_registry_plans.py.

Runs on PostgreSQL 15 too (``compat``): there the generic plan is forced
(``plan_cache_mode = force_generic_plan`` + ``EXPLAIN EXECUTE``) instead of ``GENERIC_PLAN``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from registry_sql.codegen import plans
from registry_sql.codegen.source import QuerySourceError, load_schema

pytestmark = pytest.mark.compat

Conn = psycopg.Connection[Any]

DDL = """
CREATE SCHEMA pb;
CREATE TABLE pb.big (id int PRIMARY KEY, name text NOT NULL, n int NOT NULL);
INSERT INTO pb.big SELECT i, 'name-' || i, i % 100 FROM generate_series(1, 20000) AS i;
ANALYZE pb.big;
"""

QUERIES = """\
-- name: get_by_id(id)^
-- By primary key.
-- plan: no seq scan on pb.big
-- plan: uses big_pkey
SELECT id, name FROM pb.big WHERE id = :id::int;

-- name: find_by_name(name)
-- No index on name: a sequential scan.
-- plan: no seq scan on pb.big
SELECT id FROM pb.big WHERE name = :name::text;

-- name: count_by_n(n)$
-- Counts rows with one n, over the whole table.
-- plan: uses big_pkey
-- plan: cost <= 1
SELECT count(*) AS "total!" FROM pb.big WHERE n = :n::int;

-- name: search(name)
-- The id block is optional: only the variant that keeps it can use the primary key.
-- plan: no seq scan
SELECT id FROM pb.big WHERE name LIKE :name::text /*? AND id = :id::int ?*/;
"""


def _sources(tmp_path: Path, text: str) -> list[Any]:
    folder = tmp_path / "sql" / "pb"
    folder.mkdir(parents=True)
    (folder / "things.sql").write_text(text, encoding="utf-8")
    return load_schema(tmp_path / "sql", "pb")


def test_budgets_hold_or_name_the_line_and_the_plan_node(conn: Conn, tmp_path: Path) -> None:
    conn.execute(DDL)
    report = plans.check_queries(conn, _sources(tmp_path, QUERIES))
    assert report.checked[:2] == [
        "sql/pb/things.sql:3: pb.get_by_id: plan: no seq scan on pb.big",
        "sql/pb/things.sql:4: pb.get_by_id: plan: uses big_pkey",
    ]
    problems = {p.split(" broken by ")[0]: p for p in report.problems}
    assert set(problems) == {
        "sql/pb/things.sql:9: pb.find_by_name: plan budget `no seq scan on pb.big`",
        "sql/pb/things.sql:14: pb.count_by_n: plan budget `uses big_pkey`",
        "sql/pb/things.sql:15: pb.count_by_n: plan budget `cost <= 1`",
        "sql/pb/things.sql:20: pb.search [no optional]: plan budget `no seq scan`",
    }
    seq = problems["sql/pb/things.sql:9: pb.find_by_name: plan budget `no seq scan on pb.big`"]
    assert " broken by Seq Scan on pb.big (rows=1) in the generic plan (PostgreSQL " in seq
    assert "Seq Scan on pb.big  (cost=" in seq  # the plan outline follows
    assert (
        "no node scans big_pkey"
        in problems["sql/pb/things.sql:14: pb.count_by_n: plan budget `uses big_pkey`"]
    )
    assert "costs " in problems["sql/pb/things.sql:15: pb.count_by_n: plan budget `cost <= 1`"]
    # The variant that keeps the block holds its budget: each variant is planned on its own.
    assert "sql/pb/things.sql:20: pb.search [with id]: plan: no seq scan" in report.checked


def test_a_budget_on_a_partitioned_table_covers_its_partitions(conn: Conn, tmp_path: Path) -> None:
    conn.execute(
        "CREATE SCHEMA pb;"
        " CREATE TABLE pb.events (at date NOT NULL, k int NOT NULL) PARTITION BY RANGE (at);"
        " CREATE TABLE pb.events_2026 PARTITION OF pb.events"
        "   FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
        " CREATE TABLE pb.events_2027 PARTITION OF pb.events"
        "   FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');"
        " INSERT INTO pb.events SELECT DATE '2026-01-01' + (i % 300), i FROM"
        "   generate_series(1, 5000) AS i;"
        " ANALYZE pb.events;"
    )
    text = (
        "-- name: by_k(k)\n-- No index on k.\n-- plan: no seq scan on pb.events\n"
        "SELECT at FROM pb.events WHERE k = :k::int;\n"
    )
    (problem,) = plans.check_queries(conn, _sources(tmp_path, text)).problems
    # The empty partition (pb.events_2027) is not held against the budget; the full one is.
    assert "broken by Seq Scan on pb.events_2026 " in problem
    assert "pb.events_2027 (rows" not in problem.split(" in the generic plan")[0]


def test_a_rule_that_is_not_a_budget_is_refused_with_its_line(tmp_path: Path) -> None:
    text = "-- name: q()\n-- A query.\n-- plan: fast please\nSELECT 1 AS one;\n"
    with pytest.raises(QuerySourceError) as info:
        _sources(tmp_path, text)
    message = str(info.value)
    assert message.startswith("sql/pb/things.sql:3: query pb.q: `-- plan: fast please`")
    assert "`no seq scan on <schema>.<table>`" in message
