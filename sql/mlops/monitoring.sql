/*
  mlops.model_monitoring (append-only time series of serving metrics) and
  mlops.data_drift_reports. Run inside `transaction(conn, org_id=...)`
  (row-level security).

  Rollups bucket samples with date_bin() (plain PostgreSQL; TimescaleDB's
  time_bucket gives the same buckets for fixed widths). There are no
  continuous aggregates: a materialized view has no row-level security.
*/

-- name: record_monitoring_sample(organization_id, deployment_id, model_version_id, recorded_at, window_seconds, request_count, error_count, latency_p50_ms, latency_p95_ms, latency_p99_ms, throughput_rps, accuracy, custom_metrics)<!
-- record_class: MonitoringSampleRow
-- Record one monitoring sample of a deployment (recorded now and over 60 s unless given).
-- ForeignKeyMissing if the deployment (or version) is not one of the tenant's.
INSERT INTO mlops.model_monitoring (
    organization_id, deployment_id, model_version_id, recorded_at, window_seconds,
    request_count, error_count, latency_p50_ms, latency_p95_ms, latency_p99_ms,
    throughput_rps, accuracy, custom_metrics
)
VALUES (
    :organization_id, :deployment_id, :model_version_id,
    COALESCE(:recorded_at::timestamptz, now()), COALESCE(:window_seconds::int, 60),
    COALESCE(:request_count::bigint, 0), COALESCE(:error_count::bigint, 0),
    :latency_p50_ms, :latency_p95_ms, :latency_p99_ms, :throughput_rps, :accuracy,
    COALESCE(:custom_metrics::jsonb, '{}'::jsonb)
)
RETURNING
    organization_id, id, deployment_id, model_version_id, recorded_at, window_seconds,
    request_count, error_count, latency_p50_ms, latency_p95_ms, latency_p99_ms,
    throughput_rps, accuracy, custom_metrics;

-- name: list_monitoring_samples(organization_id, deployment_id, since, until, limit)
-- record_class: MonitoringSampleRow
-- Raw monitoring samples of a deployment in [since, until), newest first.
-- plan: cost <= 50
SELECT
    organization_id, id, deployment_id, model_version_id, recorded_at, window_seconds,
    request_count, error_count, latency_p50_ms, latency_p95_ms, latency_p99_ms,
    throughput_rps, accuracy, custom_metrics
FROM mlops.model_monitoring
WHERE organization_id = :organization_id
  AND deployment_id = :deployment_id::uuid   /* ix_model_monitoring__deployment_time */
  AND recorded_at >= :since::timestamptz
  AND recorded_at < :until::timestamptz
ORDER BY recorded_at DESC, id DESC
LIMIT :limit::int;

-- name: list_monitoring_rollups(organization_id, deployment_id, bucket, since, until)
-- record_class: ListMonitoringRollupsRow
-- Monitoring of a deployment rolled up per time window (date_bin, e.g. bucket=timedelta(hours=1)) in [since, until), oldest first.
-- Windows are aligned to 2000-01-03 00:00 UTC (a Monday), so hourly, daily and
-- weekly windows start on the hour, at midnight UTC, and on Mondays.
-- error_rate is errors/requests (NULL without requests); latencies are the
-- request-weighted mean of the samples' p50 and the max of their p95/p99.
-- stream: yes
SELECT
    date_bin(:bucket::interval, recorded_at,
        TIMESTAMPTZ '2000-01-03 00:00:00+00') AS "bucket_start!",
    count(*) AS "samples!",
    sum(request_count)::bigint AS "request_count!",
    sum(error_count)::bigint AS "error_count!",
    sum(error_count)::double precision / NULLIF(sum(request_count), 0) AS error_rate,
    sum(latency_p50_ms * request_count)
        / NULLIF(sum(request_count) FILTER (WHERE latency_p50_ms IS NOT NULL), 0)
        AS latency_p50_ms,
    max(latency_p95_ms) AS latency_p95_ms,
    max(latency_p99_ms) AS latency_p99_ms,
    avg(throughput_rps) AS throughput_rps,
    avg(accuracy) AS accuracy
FROM mlops.model_monitoring
WHERE organization_id = :organization_id
  AND deployment_id = :deployment_id::uuid
  AND recorded_at >= :since::timestamptz
  AND recorded_at < :until::timestamptz
GROUP BY 1
ORDER BY 1;

/* ---------------------------------------------------------------- drift reports */

-- name: create_drift_report(organization_id, deployment_id, model_version_id, reference_start, reference_end, current_start, current_end, method, drift_detected, drift_score, threshold, feature_results, report_uri, created_by)<!
-- record_class: DriftReportRow
-- Store a data drift report for a deployment and/or a model version (at least one is required).
INSERT INTO mlops.data_drift_reports (
    organization_id, deployment_id, model_version_id, reference_start, reference_end,
    current_start, current_end, method, drift_detected, drift_score, threshold,
    feature_results, report_uri, created_by, updated_by
)
VALUES (
    :organization_id, :deployment_id, :model_version_id, :reference_start,
        :reference_end,
    :current_start, :current_end, :method, :drift_detected, :drift_score,
        :threshold,
    COALESCE(:feature_results::jsonb, '{}'::jsonb), :report_uri, :created_by,
        :created_by
)
RETURNING
    organization_id, id, deployment_id, model_version_id, reference_start, reference_end,
    current_start, current_end, method, drift_detected, drift_score, threshold,
    feature_results, report_uri, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by;

-- name: get_drift_report_by_id(organization_id, id)^
-- record_class: DriftReportRow
-- Get a live drift report by id.
SELECT
    organization_id, id, deployment_id, model_version_id, reference_start, reference_end,
    current_start, current_end, method, drift_detected, drift_score, threshold,
    feature_results, report_uri, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by
FROM mlops.data_drift_reports
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: list_drift_reports(organization_id, deployment_id, detected_only, limit)
-- record_class: DriftReportRow
-- Live drift reports of a deployment, newest first; only those that detected drift when detected_only.
SELECT
    organization_id, id, deployment_id, model_version_id, reference_start, reference_end,
    current_start, current_end, method, drift_detected, drift_score, threshold,
    feature_results, report_uri, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by
FROM mlops.data_drift_reports
WHERE organization_id = :organization_id
  AND deployment_id = :deployment_id::uuid   /* ix_data_drift_reports__deployment_time */
  AND deleted_at IS NULL
  AND (NOT :detected_only::boolean OR drift_detected)
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: soft_delete_drift_report(organization_id, id, deleted_by)!
-- Soft-delete a live drift report; returns 1, or 0 if no such live report.
UPDATE mlops.data_drift_reports
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;
