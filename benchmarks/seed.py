"""The fixed benchmark data set, generated inside PostgreSQL (``generate_series``): fast and
deterministic (the same ids, names and scores on every run, on every server).

``size`` packages, each with a score; about 1.1 lineage edges per package arranged as a DAG with
chains deep enough for a depth-5 traversal (edges ``i-8 -> i`` for ``i % 4 != 3`` and ``i-24 -> i``
for ``i % 3 = 0``); ``DOWNLOADS_PER_PACKAGE`` download events per package over the last 14 days;
``USERS`` users (uploaders and downloaders). Package ``i`` has id ``md5('bench-package-' || i)``
(:func:`package_id`), name ``<family>-<kind>-<i // 8>`` and version ``<i%3>.<i%7>.<i%5>``.

Lineage edges go through the cycle-check trigger like any other write (inserted in child order, so
each check walks an empty subtree).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any, LiteralString

import psycopg

USERS = 100
DOWNLOADS_PER_PACKAGE = 3
FAMILIES = ("bert", "resnet", "llama", "whisper", "vit", "t5", "gpt2", "clip")
KINDS = ("model", "model", "dataset", "code")

_USERS_SQL = """
INSERT INTO core.users (id, username, email, full_name, auth_provider)
SELECT md5('bench-user-' || u)::uuid, 'bench_user_' || u, 'bench_user_' || u || '@example.com',
       'Bench User ' || u, 'oidc'
FROM generate_series(0, %(users)s - 1) AS u
"""

_PACKAGES_SQL = """
INSERT INTO model_registry.packages (
    id, name, version, package_type, description, tags, s3_key, s3_bucket, file_size_bytes,
    checksum_sha256, uploaded_by, is_sensitive, access_control_script, source_url,
    created_at, updated_at
)
SELECT md5('bench-package-' || i)::uuid,
       f.family || '-' || k.kind || '-' || lpad((i / 8)::text, 6, '0'),
       mod(i, 3) || '.' || mod(i, 7) || '.' || mod(i, 5),
       k.kind::model_registry.package_type,
       'Generated ' || k.kind || ' of the ' || f.family || ' family (#' || i || ')',
       ARRAY[(ARRAY['nlp', 'vision', 'audio', 'multimodal', 'edge', 'research'])[mod(i, 6) + 1],
             f.family],
       'packages/' || f.family || '-' || i || '.zip',
       'ml-registry',
       1000000 + mod(i::bigint * 7919, 900000000),
       NULL,
       md5('bench-user-' || mod(i, %(users)s))::uuid,
       mod(i, 25) = 0,
       CASE WHEN mod(i, 25) = 0 THEN 'scripts/allow-internal.js' END,
       NULL,
       TIMESTAMPTZ '2025-01-01 00:00:00+00' + make_interval(mins => i),
       TIMESTAMPTZ '2025-01-01 00:00:00+00' + make_interval(mins => i)
FROM generate_series(0, %(size)s - 1) AS i
CROSS JOIN LATERAL (SELECT (ARRAY['bert', 'resnet', 'llama', 'whisper', 'vit', 't5', 'gpt2',
                                  'clip'])[mod(i, 8) + 1] AS family) f
CROSS JOIN LATERAL (SELECT (ARRAY['model', 'model', 'dataset', 'code'])[mod(i, 4) + 1] AS kind) k
"""

# Metrics in [0, 1) from a hash of (package, metric): deterministic, no random().
_SCORES_SQL = """
INSERT INTO model_registry.package_scores (
    package_id, ramp_up_time, bus_factor, license_score, performance_claims, size_score,
    dataset_and_code_score, dataset_quality, code_quality, reproducibility, reviewedness,
    tree_score, net_score
)
SELECT md5('bench-package-' || i)::uuid, m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9],
       m[10], m[11],
       round(((m[1] + m[2] + m[3] + m[4] + m[5] + m[6] + m[7] + m[8] + m[9] + m[10] + m[11])
              / 11)::numeric, 3)::real
FROM generate_series(0, %(size)s - 1) AS i
CROSS JOIN LATERAL (
    SELECT array_agg((mod(abs(hashint4(i * 16 + k)), 1000) / 1000.0)::real ORDER BY k) AS m
    FROM generate_series(1, 11) AS k
) s
"""

_LINEAGE_SQL = """
INSERT INTO model_registry.package_lineage (parent_package_id, child_package_id, relationship)
SELECT md5('bench-package-' || e.parent)::uuid, md5('bench-package-' || e.child)::uuid,
       e.rel::model_registry.lineage_relationship
FROM (
    SELECT i - 8 AS parent, i AS child, 'fine_tuned' AS rel
      FROM generate_series(8, %(size)s - 1) AS i WHERE mod(i, 4) <> 3
    UNION ALL
    SELECT i - 24, i, 'quantized'
      FROM generate_series(24, %(size)s - 1) AS i WHERE mod(i, 3) = 0
) e
WHERE e.child >= %(child_from)s AND e.child < %(child_to)s
ORDER BY e.child, e.parent
"""

_DOWNLOADS_SQL = """
INSERT INTO model_registry.download_history (
    package_id, user_id, downloaded_at, access_granted, access_check_output, ip_address,
    user_agent
)
SELECT md5('bench-package-' || i)::uuid,
       md5('bench-user-' || mod(i + k, %(users)s))::uuid,
       date_trunc('hour', now()) - make_interval(hours => mod(i * 7 + k * 5, 336), mins => k),
       NOT (mod(i, 25) = 0 AND k = 0),
       CASE WHEN mod(i, 25) = 0 AND k = 0 THEN 'denied: not on the allow list' END,
       ('10.0.' || mod(i, 250) || '.' || (k + 1))::inet,
       'registry-sql bench seed'
FROM generate_series(0, %(size)s - 1) AS i
CROSS JOIN generate_series(0, %(per_package)s - 1) AS k
"""

# Lineage edges through the cycle-check trigger cost ~1 ms each at 10,000 edges, growing with
# the table (measured: 9,000 edges in 8.8 s, 100,000 not done after 10 min). The edges here are a
# DAG by construction (parents have smaller indexes), so a superuser seed skips the trigger (and the
# FK checks) with session_replication_role = replica: 100,000 edges in well under a second. Without
# that privilege the edges go through the trigger (slow), after ANALYZE so it walks an index.
LINEAGE_FIRST = 2_000
_ANALYZE_LINEAGE_SQL = "ANALYZE model_registry.packages, model_registry.package_lineage"

_MARKER = "SELECT count(*) FROM model_registry.packages WHERE name LIKE 'bert-model-%%'"


def package_id(i: int) -> uuid.UUID:
    """The id of generated package ``i`` (``md5('bench-package-' || i)::uuid``)."""
    return uuid.UUID(hashlib.md5(f"bench-package-{i}".encode()).hexdigest())


def user_id(u: int) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(f"bench-user-{u}".encode()).hexdigest())


def package_name_version(i: int) -> tuple[str, str]:
    family = FAMILIES[i % 8]
    kind = KINDS[i % 4]
    return f"{family}-{kind}-{i // 8:06d}", f"{i % 3}.{i % 7}.{i % 5}"


def seeded_size(conn: psycopg.Connection[Any]) -> int:
    """How many generated packages the database holds (0 when not seeded)."""
    row = conn.execute(
        "SELECT count(*) FROM model_registry.packages WHERE s3_bucket = 'ml-registry' "
        "AND s3_key LIKE 'packages/%%' AND description LIKE 'Generated %%'"
    ).fetchone()
    return int(row[0]) if row else 0


def seed(conn: psycopg.Connection[Any], size: int) -> dict[str, float]:
    """Load the data set into an empty, migrated database in one transaction, then ANALYZE.

    Returns the seconds each step took.
    """
    params = {
        "size": size,
        "users": USERS,
        "per_package": DOWNLOADS_PER_PACKAGE,
        "child_from": 0,
        "child_to": min(size, LINEAGE_FIRST),
    }
    timings: dict[str, float] = {}

    def step(label: str, statement: LiteralString) -> None:
        start = time.perf_counter()
        conn.execute(statement, params)
        timings[label] = timings.get(label, 0.0) + time.perf_counter() - start

    with conn.transaction():
        step("users", _USERS_SQL)
        step("packages", _PACKAGES_SQL)
        step("scores", _SCORES_SQL)
        fast = True
        try:
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                params["child_to"] = size
                step("lineage edges", _LINEAGE_SQL)
        except psycopg.errors.InsufficientPrivilege:
            fast = False
        if fast:
            conn.execute("SET LOCAL session_replication_role = origin")
        else:
            params["child_to"] = min(size, LINEAGE_FIRST)
            step("lineage edges", _LINEAGE_SQL)
            step("lineage edges", _ANALYZE_LINEAGE_SQL)
            params["child_from"], params["child_to"] = params["child_to"], size
            step("lineage edges", _LINEAGE_SQL)
        step("downloads", _DOWNLOADS_SQL)
    start = time.perf_counter()
    conn.execute("ANALYZE")
    timings["analyze"] = time.perf_counter() - start
    return timings
