"""Plan budgets (``-- plan:`` lines) checked on the generic plan, as ``check --plans`` does.

A small table of 20,000 rows is enough for the planner to prefer an index where there is one;
each kind of budget is shown holding and broken, and a broken one names the ``-- plan:`` line,
the query (and the variant of a query with optional blocks) and the plan node. The last test is
the former EXPLAIN test of model_registry, now on this mechanism: on a catalog of 100,000
packages every budget declared in ``sql/model_registry`` holds, and search_packages' generic plan
goes through the trigram index.

Runs on PostgreSQL 15 too (``compat``): there the generic plan is forced
(``plan_cache_mode = force_generic_plan`` + ``EXPLAIN EXECUTE``) instead of ``GENERIC_PLAN``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import psycopg
import pytest

from registry_sql.codegen import plans
from registry_sql.codegen.source import PlanRule, QuerySourceError, load_schema
from registry_sql.paths import sql_dir

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


N_PACKAGES = 100_000

FILL = """
INSERT INTO model_registry.packages
    (name, version, package_type, description, tags, s3_key, s3_bucket, file_size_bytes,
     is_sensitive, access_control_script, created_at)
SELECT 'pkg-' || lpad(i::text, 6, '0') || CASE mod(i, 3) WHEN 0 THEN '-bert' WHEN 1 THEN '-resnet'
                                                     ELSE '-llama' END,
       (mod(i, 5)) || '.' || (mod(i, 7)) || '.0',
       (ARRAY['model', 'dataset', 'code'])[1 + mod(i, 3)]::model_registry.package_type,
       'generated package number ' || i,
       ARRAY['tag' || (mod(i, 50))],
       'packages/pkg-' || i || '.zip', 'ml-registry', i * 1000,
       mod(i, 10) = 0, CASE WHEN mod(i, 10) = 0 THEN 'allow.js' END,
       now() - make_interval(secs => i)
  FROM generate_series(1, %(n)s) AS i
"""

FILL_SCORES = """
INSERT INTO model_registry.package_scores (package_id, ramp_up_time, bus_factor, net_score)
SELECT id, 0.5, 0.5, ((abs(hashtext(id::text)) % 1000) / 1000.0)::real
  FROM model_registry.packages
"""


def test_model_registry_budgets_hold_on_a_large_catalog(conn: Conn) -> None:
    conn.execute(FILL, {"n": N_PACKAGES})
    conn.execute(FILL_SCORES)
    conn.execute("ANALYZE model_registry.packages")
    conn.execute("ANALYZE model_registry.package_scores")
    sources = load_schema(sql_dir(), "model_registry")
    by_name = {s.name: s for s in sources}
    declared = {
        name: [r.text for r in by_name[name].plan_rules]
        for name in ("get_package_by_name_version", "list_top_packages_by_net_score")
    }
    assert declared == {
        "get_package_by_name_version": ["uses uq_packages__name_version"],
        "list_top_packages_by_net_score": [
            "uses ix_package_scores__net_score",
            "no seq scan on model_registry.packages",
        ],
    }
    # At this size search's generic plan must go through the trigram index: a budget the
    # 1,000-package seeded sample of `check --plans` is too small to ask for.
    search = by_name["search_packages"]
    extra = (
        PlanRule("uses ix_packages__search_trgm", search.line),
        PlanRule("no seq scan on model_registry.packages", search.line),
    )
    by_name["search_packages"] = dataclasses.replace(search, plan_rules=search.plan_rules + extra)
    # Cost ceilings are calibrated on the seeded sample (costs grow with the data): left out.
    shape_only = [
        dataclasses.replace(
            s, plan_rules=tuple(r for r in s.plan_rules if not r.text.startswith("cost"))
        )
        for s in by_name.values()
    ]
    report = plans.check_queries(conn, shape_only)
    assert report.problems == []
    assert any(
        "model_registry.search_packages: plan: uses ix_packages__search_trgm" in line
        for line in report.checked
    )
    assert len(report.checked) >= 10
