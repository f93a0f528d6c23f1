"""inspection's tag search, written with optional blocks, lets each tag filter use its GIN index.

``search_artifacts_by_tags`` and its count declare ``all_tags``, ``any_tags`` and
``artifact_type`` as optional blocks (docs/queries.md, "Optional filters"): every combination is
its own statement. On 50,000 artifacts (``INSERT ... SELECT generate_series``, then ``ANALYZE``)
the generic plan of every variant that filters on ``all_tags`` goes through ``ix_artifacts__tags``,
those on ``artifact_type`` through ``ix_artifacts__type_created`` (``any_tags`` alone, an overlap,
is left to the planner's estimate); the one-statement form
``(:x IS NULL OR tags @> :x)`` it replaced cannot use it (the filter may be off), which the test
shows on the same data.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from registry_sql.codegen import plans
from registry_sql.codegen.source import QuerySource, load_schema
from registry_sql.paths import sql_dir

Conn = psycopg.Connection[Any]

N_ARTIFACTS = 50_000

FILL = """
INSERT INTO inspection.artifacts
    (artifact_type, storage_uri, file_name, file_size_bytes, checksum_sha256, tags, created_at)
SELECT (enum_range(NULL::inspection.artifact_type))[1 + mod(i, 3)],
       's3://inspection/artifacts/' || i, 'image-' || i || '.png', i,
       encode(sha256(convert_to(i::text, 'UTF8')), 'hex'),
       ARRAY['line-' || mod(i, 400), 'shift-' || mod(i, 3)],
       now() - make_interval(secs => i)
  FROM generate_series(1, %(n)s) AS i
"""


def _plan_indexes(plan: dict[str, Any]) -> set[str]:
    return {node["Index Name"] for node in plans.nodes(plan) if node.get("Index Name")}


@pytest.fixture
def artifacts(conn: Conn) -> Conn:
    # The trail records who made each change (the rows are rolled back with the test).
    conn.execute("SELECT set_config('app.user_id', gen_random_uuid()::text, true)")
    conn.execute(FILL, {"n": N_ARTIFACTS})
    conn.execute("ANALYZE inspection.artifacts")
    return conn


def _source(name: str) -> QuerySource:
    return next(s for s in load_schema(sql_dir(), "inspection") if s.name == name)


def test_the_tag_and_type_variants_use_their_index(artifacts: Conn) -> None:
    for name in ("search_artifacts_by_tags", "count_search_artifacts_by_tags"):
        source = _source(name)
        assert source.variant_count == 8  # three blocks
        with_all_tags = 0
        for mask in range(source.variant_count):
            variant = source.variant(mask)
            indexes = _plan_indexes(plans.generic_plan(artifacts, variant))
            where = (variant.display_name, indexes)
            if "artifact_type" in variant.params:
                # (artifact_type, created_at DESC) serves the ORDER BY ... LIMIT directly.
                assert indexes & {"ix_artifacts__type_created", "ix_artifacts__tags"}, where
            elif "all_tags" in variant.params:
                with_all_tags += 1
                assert "ix_artifacts__tags" in indexes, where
        assert with_all_tags == 2
    if artifacts.info.server_version < 160000:
        return  # EXPLAIN (GENERIC_PLAN) is PostgreSQL 16+
    # The one-statement form it replaced: the same filter, never the index.
    row = artifacts.execute(
        "EXPLAIN (GENERIC_PLAN, FORMAT JSON) SELECT id FROM inspection.artifacts"
        " WHERE ($1::text[] IS NULL OR tags @> $1::text[]) ORDER BY created_at DESC LIMIT 50"
    ).fetchone()
    assert row is not None
    assert "ix_artifacts__tags" not in _plan_indexes(row[0][0]["Plan"])
