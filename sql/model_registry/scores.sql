/*
  model_registry.package_scores: the 11 metrics (8 Phase 1 + 3 Phase 2) and
  the net score of a package, one row per package (seed 000
  create_or_update_package_score). Every metric is NULL or within [0, 1]
  (ck_package_scores__<metric>_range).
*/

-- name: upsert_package_score(package_id, ramp_up_time, bus_factor, license_score, performance_claims, size_score, dataset_and_code_score, dataset_quality, code_quality, reproducibility, reviewedness, tree_score, net_score, size_score_detail, metric_latencies_ms)<!
-- record_class: PackageScoreRow
-- Create or update the score of a package; an omitted (None) metric keeps its previous value.
-- INSERT ... ON CONFLICT (package_id) DO UPDATE with COALESCE(EXCLUDED.x,
-- package_scores.x) per metric (catalog Q2: omitted metrics are kept, never
-- reset to NULL). scored_at is set to now() on every call; updated_at by
-- trg_package_scores__set_updated_at. An unknown package_id raises
-- ForeignKeyMissing (fk_package_scores__package_id).
INSERT INTO model_registry.package_scores AS ps (
    package_id, ramp_up_time, bus_factor, license_score, performance_claims,
    size_score, dataset_and_code_score, dataset_quality, code_quality,
    reproducibility, reviewedness, tree_score, net_score,
    size_score_detail, metric_latencies_ms
)
VALUES (
    :package_id, :ramp_up_time, :bus_factor, :license_score, :performance_claims,
    :size_score, :dataset_and_code_score, :dataset_quality, :code_quality,
    :reproducibility, :reviewedness, :tree_score, :net_score,
    :size_score_detail, :metric_latencies_ms
)
ON CONFLICT (package_id) DO UPDATE
SET ramp_up_time           = COALESCE(EXCLUDED.ramp_up_time, ps.ramp_up_time),
    bus_factor             = COALESCE(EXCLUDED.bus_factor, ps.bus_factor),
    license_score          = COALESCE(EXCLUDED.license_score, ps.license_score),
    performance_claims     = COALESCE(EXCLUDED.performance_claims, ps.performance_claims),
    size_score             = COALESCE(EXCLUDED.size_score, ps.size_score),
    dataset_and_code_score = COALESCE(EXCLUDED.dataset_and_code_score, ps.dataset_and_code_score),
    dataset_quality        = COALESCE(EXCLUDED.dataset_quality, ps.dataset_quality),
    code_quality           = COALESCE(EXCLUDED.code_quality, ps.code_quality),
    reproducibility        = COALESCE(EXCLUDED.reproducibility, ps.reproducibility),
    reviewedness           = COALESCE(EXCLUDED.reviewedness, ps.reviewedness),
    tree_score             = COALESCE(EXCLUDED.tree_score, ps.tree_score),
    net_score              = COALESCE(EXCLUDED.net_score, ps.net_score),
    size_score_detail      = COALESCE(EXCLUDED.size_score_detail, ps.size_score_detail),
    metric_latencies_ms    = COALESCE(EXCLUDED.metric_latencies_ms, ps.metric_latencies_ms),
    scored_at              = now()
RETURNING
    id, package_id, ramp_up_time, bus_factor, license_score, performance_claims,
    size_score, dataset_and_code_score, dataset_quality, code_quality,
    reproducibility, reviewedness, tree_score, net_score,
    size_score_detail, metric_latencies_ms, scored_at, created_at, updated_at;

-- name: copy_package_scores()!
-- record_class: PackageScoreIn
-- Bulk-ingest package scores with COPY (new packages only; returns the row count).
-- COPY cannot upsert: a package that already has a score raises Conflict on
-- uq_package_scores__package_id (use upsert_package_score for updates).
COPY model_registry.package_scores (
    package_id, ramp_up_time, bus_factor, license_score, performance_claims,
    size_score, dataset_and_code_score, dataset_quality, code_quality,
    reproducibility, reviewedness, tree_score, net_score
) FROM STDIN;

-- name: get_package_score(package_id)^
-- record_class: PackageScoreRow
-- Get the score of a package.
SELECT
    id, package_id, ramp_up_time, bus_factor, license_score, performance_claims,
    size_score, dataset_and_code_score, dataset_quality, code_quality,
    reproducibility, reviewedness, tree_score, net_score,
    size_score_detail, metric_latencies_ms, scored_at, created_at, updated_at
FROM model_registry.package_scores
WHERE package_id = :package_id;   /* uq_package_scores__package_id */

-- name: delete_package_score(package_id)!
-- Delete the score of a package (to re-score from scratch); returns 1, or 0 if there was none.
DELETE FROM model_registry.package_scores
WHERE package_id = :package_id;

-- name: list_top_packages_by_net_score(package_type, limit)
-- record_class: TopPackageRow
-- The best-scored packages, highest net_score first (unscored packages are left out).
-- Walks ix_package_scores__net_score (net_score DESC NULLS LAST) and joins each
-- score to its package by primary key, stopping at `limit`: cost grows with
-- limit, not with the number of packages. Ties by package id for a stable order.
-- plan: uses ix_package_scores__net_score
-- plan: no seq scan on model_registry.packages
SELECT
    p.id, p.name, p.version, p.package_type, p.description, p.is_sensitive,
    s.net_score AS "net_score!", s.scored_at
FROM model_registry.package_scores s
JOIN model_registry.packages p ON p.id = s.package_id
WHERE s.net_score IS NOT NULL
  AND (:package_type::model_registry.package_type IS NULL OR p.package_type = :package_type)
ORDER BY s.net_score DESC NULLS LAST, s.package_id
LIMIT :limit::int;
