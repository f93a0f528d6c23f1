"""The plan budgets of ``sql/model_registry`` hold on a catalog of 100,000 packages.

Formerly a hand-written EXPLAIN test; now the ``-- plan:`` budgets the SQL files declare (what
``registry-sql check --plans`` proves on the seeded sample) are checked here on a large catalog
(filled with ``INSERT ... SELECT generate_series``, then ``ANALYZE``), on the generic plans, plus
one budget the 1,000-package sample is too small for: search_packages goes through the trigram
index. Cost ceilings are left out (they are calibrated on the sample; costs grow with the data).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg

from registry_sql.codegen import plans
from registry_sql.codegen.source import PlanRule, load_schema
from registry_sql.paths import sql_dir

Conn = psycopg.Connection[Any]

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
