"""EXPLAIN plans of the hot model_registry lookups on a large catalog: no sequential scan of
``packages``.

The test fills a fresh clone with 100,000 packages (and a score for each) by
``INSERT ... SELECT generate_series`` (seconds), runs ``ANALYZE``, then reads
``EXPLAIN (FORMAT JSON)`` of the generated queries' own SQL with real parameters (server-side
binding, so the planner sees a custom plan, as the first executions of a prepared statement do)
and walks the plan tree for a ``Seq Scan`` on ``packages``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, LiteralString

import psycopg
import pytest
from psycopg import sql

from registry_sql.model_registry import packages, scores

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


@pytest.fixture
def big(conn: Conn) -> Iterator[Conn]:
    conn.execute(FILL, {"n": N_PACKAGES})
    conn.execute(FILL_SCORES)
    conn.execute("ANALYZE model_registry.packages")
    conn.execute("ANALYZE model_registry.package_scores")
    yield conn


def _seq_scans_of_packages(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == "packages":
        found.append(node)
    for child in node.get("Plans", []):
        found.extend(_seq_scans_of_packages(child))
    return found


def _plan(conn: Conn, query: LiteralString, params: dict[str, Any]) -> dict[str, Any]:
    stmt = sql.SQL("EXPLAIN (FORMAT JSON) {}").format(sql.SQL(query))
    row = conn.execute(stmt, params).fetchone()
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def _node_types(node: dict[str, Any]) -> list[str]:
    out = [f"{node.get('Node Type')}:{node.get('Relation Name', '')}:{node.get('Index Name', '')}"]
    for child in node.get("Plans", []):
        out.extend(_node_types(child))
    return out


def test_hot_lookups_never_seq_scan_packages(big: Conn) -> None:
    conn = big
    count = conn.execute("SELECT count(*) FROM model_registry.packages").fetchone()
    assert count == (N_PACKAGES,)
    cases: list[tuple[str, LiteralString, dict[str, Any], str]] = [
        (
            "search_packages",
            packages.SEARCH_PACKAGES,
            {"q": "pkg-04217", "package_type": None, "tags": None, "is_sensitive": None,
             "min_net_score": None, "after_created_at": None, "after_id": None, "limit": 20},
            "ix_packages__search_trgm",
        ),
        (
            "get_package_by_name_version",
            packages.GET_PACKAGE_BY_NAME_VERSION,
            {"name": "pkg-004217-llama", "version": "2.3.0"},
            "uq_packages__name_version",
        ),
        (
            "list_top_packages_by_net_score",
            scores.LIST_TOP_PACKAGES_BY_NET_SCORE,
            {"package_type": None, "limit": 10},
            "ix_package_scores__net_score",
        ),
    ]
    for name, query, params, index in cases:
        plan = _plan(conn, query, params)
        seq = _seq_scans_of_packages(plan)
        nodes = _node_types(plan)
        assert not seq, f"{name}: sequential scan of packages: {nodes}"
        assert any(index in n for n in nodes), f"{name}: {index} not used: {nodes}"
