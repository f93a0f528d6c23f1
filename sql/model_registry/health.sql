/*
  model_registry.system_health_metrics: observability samples of the
  registry service (seed 000 SystemHealthMetric). Daily partitions kept 30
  days (native) or a hypertable with a 30-day retention policy (TimescaleDB).
  Time bounds are inclusive at the start, exclusive at the end.
*/

-- name: record_health_metric(metric_name, metric_value, unit, labels, recorded_at)<!
-- record_class: HealthMetricRow
-- Record one metric sample; recorded_at defaults to now().
-- labels: a JSON object (component, host, endpoint, ...), default {}.
INSERT INTO model_registry.system_health_metrics (metric_name, metric_value, unit, labels,
    recorded_at)
VALUES (
    :metric_name, :metric_value, :unit,
    COALESCE(:labels::jsonb, '{}'::jsonb),
    COALESCE(:recorded_at::timestamptz, now())
)
RETURNING id, metric_name, metric_value, unit, labels, recorded_at;

-- name: copy_health_metrics()!
-- record_class: HealthMetricIn
-- Bulk-ingest metric samples with COPY (streams any iterable; returns the row count).
-- labels must be a JSON object (dicts are sent as jsonb); samples older than
-- the oldest partition land in the DEFAULT partition.
COPY model_registry.system_health_metrics (metric_name, metric_value, unit, labels,
    recorded_at) FROM STDIN;

-- name: list_health_metrics(metric_name, recorded_from, recorded_to, limit)
-- record_class: HealthMetricRow
-- The samples of one metric in a time window, newest first.
SELECT id, metric_name, metric_value, unit, labels, recorded_at
FROM model_registry.system_health_metrics
WHERE metric_name = :metric_name::text   /* ix_system_health_metrics__name_time */
  AND recorded_at >= :recorded_from::timestamptz
  AND (:recorded_to::timestamptz IS NULL OR recorded_at < :recorded_to)
ORDER BY recorded_at DESC, id DESC
LIMIT :limit::int;

-- name: rollup_health_metrics(bucket, metric_name, recorded_from, recorded_to)
-- record_class: HealthRollupRow
-- Per-metric rollups (samples, avg, min, max) per time bucket (e.g. 1 minute, 1 hour) over a window.
-- bucket is a fixed-length interval (minutes, hours, days; not months:
-- date_bin rejects those). Buckets are aligned to 2000-01-03 00:00 UTC (a
-- Monday), so hourly buckets start on the hour and daily ones at 00:00 UTC.
-- metric_name None = every metric. Empty buckets are not returned. With
-- TimescaleDB the continuous aggregate system_health_metrics_1m holds the
-- per-minute rollup precomputed for dashboards; this query works on both paths.
-- stream: yes
SELECT
    metric_name,
    date_bin(:bucket::interval, recorded_at,
        TIMESTAMPTZ '2000-01-03 00:00:00+00') AS "bucket_start!",
    count(*) AS "samples!",
    avg(metric_value) AS "avg_value!",
    min(metric_value) AS "min_value!",
    max(metric_value) AS "max_value!"
FROM model_registry.system_health_metrics
WHERE (:metric_name::text IS NULL OR metric_name = :metric_name)
  AND recorded_at >= :recorded_from::timestamptz
  AND recorded_at < :recorded_to::timestamptz
GROUP BY metric_name, "bucket_start!"
ORDER BY metric_name, "bucket_start!";
