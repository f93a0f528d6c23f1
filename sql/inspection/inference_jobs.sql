/*
  inspection.inference_jobs: the inference queue and its performance figures.
  Workers claim pending jobs with FOR UPDATE SKIP LOCKED (each job goes to
  exactly one worker), then complete or fail them. Writes run inside
  `transaction(conn, user_id=...)`: a worker acts as its service user.
*/

-- name: enqueue_inference_job(inspection_id, input_artifact_id, model_name, model_version, triton_server_url, parameters)<!
-- record_class: InferenceJobRow
-- Queue an inference job for an inspection (status pending).
INSERT INTO inspection.inference_jobs (
    inspection_id, input_artifact_id, model_name, model_version, triton_server_url, parameters
)
VALUES (
    :inspection_id, :input_artifact_id, :model_name, :model_version,
    :triton_server_url,
    COALESCE(:parameters::jsonb, '{}'::jsonb)
)
RETURNING
    id, inspection_id, input_artifact_id, status, model_name, model_version, triton_server_url,
    triton_request_id, parameters, results, queue_time_ms, preprocess_time_ms,
    inference_time_ms, postprocess_time_ms, total_time_ms, gpu_id, retry_count, error_message,
    queued_at, started_at, completed_at, created_at, updated_at;

-- name: get_inference_job(id)^
-- record_class: InferenceJobRow
-- Get an inference job by id.
SELECT
    id, inspection_id, input_artifact_id, status, model_name, model_version, triton_server_url,
    triton_request_id, parameters, results, queue_time_ms, preprocess_time_ms,
    inference_time_ms, postprocess_time_ms, total_time_ms, gpu_id, retry_count, error_message,
    queued_at, started_at, completed_at, created_at, updated_at
FROM inspection.inference_jobs
WHERE id = :id;

-- name: claim_inference_jobs(model_name, limit)
-- record_class: InferenceJobRow
-- Claim up to `limit` pending jobs (optionally of one model), oldest first, and mark them running.
-- FOR UPDATE SKIP LOCKED: concurrent workers never get the same job and never wait for each
-- other. Commit soon after (the claim is the transaction).
UPDATE inspection.inference_jobs AS ij
SET status        = 'running',
    started_at    = now(),
    queue_time_ms = 1000 * extract(epoch FROM now() - ij.queued_at)::double precision
FROM (
    SELECT id
    FROM inspection.inference_jobs
    WHERE status = 'pending'
      AND (:model_name::text IS NULL OR model_name = :model_name)
    ORDER BY created_at, id
    LIMIT :limit::int
    FOR UPDATE SKIP LOCKED
) AS claimed
WHERE ij.id = claimed.id
RETURNING
    ij.id, ij.inspection_id, ij.input_artifact_id, ij.status, ij.model_name, ij.model_version,
    ij.triton_server_url, ij.triton_request_id, ij.parameters, ij.results, ij.queue_time_ms,
    ij.preprocess_time_ms, ij.inference_time_ms, ij.postprocess_time_ms, ij.total_time_ms,
    ij.gpu_id, ij.retry_count, ij.error_message, ij.queued_at, ij.started_at, ij.completed_at,
    ij.created_at, ij.updated_at;

-- name: complete_inference_job(id, results, triton_request_id, gpu_id, preprocess_time_ms, inference_time_ms, postprocess_time_ms, total_time_ms)<!
-- record_class: InferenceJobRow
-- Complete a running job with its results ({"detections": [...]}) and timings (ms); NotFound unless running.
UPDATE inspection.inference_jobs
SET status              = 'completed',
    results             = :results::jsonb,
    triton_request_id   = :triton_request_id,
    gpu_id              = :gpu_id,
    preprocess_time_ms  = :preprocess_time_ms,
    inference_time_ms   = :inference_time_ms,
    postprocess_time_ms = :postprocess_time_ms,
    total_time_ms       = :total_time_ms,
    completed_at        = now()
WHERE id = :id
  AND status = 'running'
RETURNING
    id, inspection_id, input_artifact_id, status, model_name, model_version, triton_server_url,
    triton_request_id, parameters, results, queue_time_ms, preprocess_time_ms,
    inference_time_ms, postprocess_time_ms, total_time_ms, gpu_id, retry_count, error_message,
    queued_at, started_at, completed_at, created_at, updated_at;

-- name: fail_inference_job(id, error_message, timed_out)<!
-- record_class: InferenceJobRow
-- Fail a running job (status timeout when timed_out, else failed) with its error; NotFound unless running.
UPDATE inspection.inference_jobs
SET status        = CASE WHEN :timed_out::boolean THEN 'timeout' ELSE 'failed' END
                        ::inspection.inference_status,
    error_message = :error_message,
    completed_at  = now()
WHERE id = :id
  AND status = 'running'
RETURNING
    id, inspection_id, input_artifact_id, status, model_name, model_version, triton_server_url,
    triton_request_id, parameters, results, queue_time_ms, preprocess_time_ms,
    inference_time_ms, postprocess_time_ms, total_time_ms, gpu_id, retry_count, error_message,
    queued_at, started_at, completed_at, created_at, updated_at;

-- name: retry_inference_job(id)<!
-- record_class: InferenceJobRow
-- Put a failed or timed-out job back in the queue (retry_count + 1); NotFound otherwise.
UPDATE inspection.inference_jobs
SET status        = 'pending',
    retry_count   = retry_count + 1,
    queued_at     = now(),
    started_at    = NULL,
    completed_at  = NULL,
    error_message = NULL
WHERE id = :id
  AND status IN ('failed', 'timeout')
RETURNING
    id, inspection_id, input_artifact_id, status, model_name, model_version, triton_server_url,
    triton_request_id, parameters, results, queue_time_ms, preprocess_time_ms,
    inference_time_ms, postprocess_time_ms, total_time_ms, gpu_id, retry_count, error_message,
    queued_at, started_at, completed_at, created_at, updated_at;

-- name: count_inference_jobs_by_status(inspection_id)
-- record_class: CountInferenceJobsByStatusRow
-- Jobs per status, of one inspection or (None) of all.
SELECT status, count(*) AS "jobs!"
FROM inspection.inference_jobs
WHERE (:inspection_id::uuid IS NULL OR inspection_id = :inspection_id)
GROUP BY status
ORDER BY status;

-- name: inference_latency_stats(completed_from, completed_to)
-- record_class: InferenceLatencyStatsRow
-- Latency of completed jobs per model and version over a window: count, mean, p50, p95, p99 of total_time_ms.
SELECT
    model_name,
    model_version,
    count(*) AS "jobs!",
    avg(total_time_ms) AS "mean_ms!",
    percentile_cont(0.5) WITHIN GROUP (ORDER BY total_time_ms) AS "p50_ms!",
    percentile_cont(0.95) WITHIN GROUP (ORDER BY total_time_ms) AS "p95_ms!",
    percentile_cont(0.99) WITHIN GROUP (ORDER BY total_time_ms) AS "p99_ms!"
FROM inspection.inference_jobs
WHERE status = 'completed'
  AND total_time_ms IS NOT NULL
  AND completed_at >= :completed_from::timestamptz
  AND completed_at < :completed_to::timestamptz
GROUP BY model_name, model_version
ORDER BY model_name, model_version NULLS FIRST;
