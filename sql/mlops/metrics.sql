/*
  mlops.run_metrics: MLflow metric values of runs, an append-only time series
  (hypertable with TimescaleDB, weekly range partitions without). Run inside
  `transaction(conn, org_id=...)` (row-level security).

  A metric value is identified by (run, metric name, step, recorded_at); NaN is
  a valid value. Bulk ingest: copy_run_metrics streams rows through COPY into
  the view mlops.run_metrics_ingest (PostgreSQL refuses COPY FROM on a table
  under row-level security; the view's INSTEAD OF trigger inserts each row as
  the caller, so the tenant policy still checks every row).
*/

-- name: log_metric(organization_id, run_id, metric_name, value, step, recorded_at)!
-- Log one metric value of a run (step 0 and now unless given); returns 1.
-- ForeignKeyMissing if the run is not a run of the tenant; Conflict if the
-- same (metric, step, recorded_at) was already logged.
INSERT INTO mlops.run_metrics (organization_id, run_id, metric_name, value, step, recorded_at)
VALUES (:organization_id, :run_id, :metric_name, :value::double precision,
        COALESCE(:step::bigint, 0), COALESCE(:recorded_at::timestamptz,
            statement_timestamp()));

-- name: copy_run_metrics()!
-- record_class: RunMetricIn
-- Bulk-ingest metric values with COPY (streams any iterable; returns the row count).
-- Every row needs organization_id (the current tenant's), run_id,
-- metric_name, value, step and recorded_at.
COPY mlops.run_metrics_ingest (organization_id, run_id, metric_name, value, step,
    recorded_at) FROM STDIN;

-- name: list_latest_metrics(organization_id, run_id)
-- record_class: ListLatestMetricsRow
-- The latest value of every metric of a run (highest step, then latest time), by metric name.
-- stream: yes
SELECT DISTINCT ON (metric_name)
    organization_id, run_id, metric_name, value, step, recorded_at
FROM mlops.run_metrics
WHERE organization_id = :organization_id
  AND run_id = :run_id::uuid
ORDER BY metric_name, step DESC, recorded_at DESC;

-- name: get_metric_history(organization_id, run_id, metric_name)
-- record_class: RunMetricRow
-- Every value of one metric of a run, in step then time order (MLflow get_metric_history).
-- stream: yes
-- plan: no seq scan on mlops.run_metrics
SELECT organization_id, run_id, metric_name, value, step, recorded_at
FROM mlops.run_metrics
WHERE organization_id = :organization_id
  AND run_id = :run_id::uuid   /* ix_run_metrics__run_metric_time */
  AND metric_name = :metric_name::text
ORDER BY step, recorded_at;

-- name: count_run_metrics(organization_id, run_id)$
-- Count the metric values logged for a run.
SELECT count(*) AS "total!"
FROM mlops.run_metrics
WHERE organization_id = :organization_id
  AND run_id = :run_id::uuid;

-- name: find_best_run(organization_id, experiment_id, metric_name, higher_is_better)^
-- record_class: FindBestRunRow
-- The live run of an experiment with the best latest value of a metric (max or min; NaN ignored); None if no run logged it.
-- plan: no seq scan on mlops.run_metrics
SELECT
    r.organization_id, r.id AS run_id, r.name, r.status,
    m.value AS "value!", m.step AS "step!", m.recorded_at AS "recorded_at!"
FROM mlops.experiment_runs AS r
CROSS JOIN LATERAL (
    SELECT rm.value, rm.step, rm.recorded_at
    FROM mlops.run_metrics AS rm
    WHERE rm.organization_id = r.organization_id
      AND rm.run_id = r.id
      AND rm.metric_name = :metric_name::text
    ORDER BY rm.step DESC, rm.recorded_at DESC
    LIMIT 1
) AS m
WHERE r.organization_id = :organization_id
  AND r.experiment_id = :experiment_id::uuid
  AND r.deleted_at IS NULL
  AND m.value <> 'NaN'::double precision
ORDER BY CASE WHEN :higher_is_better::boolean THEN m.value END DESC NULLS LAST,
         CASE WHEN NOT :higher_is_better::boolean THEN m.value END ASC NULLS LAST,
         r.started_at, r.id
LIMIT 1;
