/*
  splunk_ta.validation_runs: sandbox validations of TA revisions.
      queued -> running -> passed | failed   (trg_validation_runs__status_transition)

  Workers call start_validation in a short READ COMMITTED transaction of its
  own: it claims the oldest queued run only while fewer than
  system_config max_parallel_validations runs are running (N is read at claim
  time; claims are serialized on that config row), and returns None
  otherwise. complete_validation finishes a running run; on a run that is not
  running it raises InvalidInput naming from and to.
*/

-- name: queue_validation(request_id, ta_revision_id)<!
-- record_class: ValidationRunRow
-- Queue a validation of a revision (status queued), with its `create` audit event (actor_type system).
-- ForeignKeyMissing (fk_validation_runs__ta_revision_id) when the revision is
-- not one of this request's.
WITH created AS (
    INSERT INTO splunk_ta.validation_runs (request_id, ta_revision_id)
    VALUES (:request_id, :ta_revision_id)
    RETURNING
        id, request_id, ta_revision_id, status, started_at, completed_at, results,
        error_message, sandbox_id, debug_bundle_key, created_at, updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, action, entity_type, entity_id, details,
        correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'system',
           'create', 'splunk_ta.validation_run', c.id::text,
           jsonb_build_object('request_id', c.request_id, 'ta_revision_id', c.ta_revision_id),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM created AS c
)
SELECT
    id, request_id, ta_revision_id, status, started_at, completed_at, results, error_message,
    sandbox_id, debug_bundle_key, created_at, updated_at
FROM created;

-- name: start_validation(sandbox_id)^
-- record_class: ValidationRunRow
-- Claim the oldest queued run (status running, started_at, sandbox_id) when fewer than max_parallel_validations are running; None otherwise.
-- N comes from system_config at claim time. Run it in its own short
-- transaction (the config row stays locked until that transaction ends);
-- REPEATABLE READ / SERIALIZABLE are refused (InvalidInput).
SELECT
    id AS "id!", request_id AS "request_id!", ta_revision_id AS "ta_revision_id!",
    status AS "status!", started_at, completed_at, results AS "results!", error_message,
    sandbox_id, debug_bundle_key, created_at AS "created_at!", updated_at AS "updated_at!"
FROM splunk_ta.start_validation(:sandbox_id::text);

-- name: complete_validation(id, status, results, error_message, debug_bundle_key)<!
-- record_class: ValidationRunRow
-- Finish a running run as passed or failed, with its results (completed_at stamped) and an `update` audit event.
-- InvalidInput (trg_validation_runs__status_transition) when the run is not
-- running (queued, or already finished) or status is not passed/failed;
-- NotFound when there is no such run.
WITH done AS (
    UPDATE splunk_ta.validation_runs
    SET status = :status::splunk_ta.validation_status,
        completed_at = statement_timestamp(),
        results = COALESCE(:results::jsonb, results),
        error_message = :error_message::text,
        debug_bundle_key = COALESCE(:debug_bundle_key::text, debug_bundle_key)
    WHERE id = :id::uuid
    RETURNING
        id, request_id, ta_revision_id, status, started_at, completed_at, results,
        error_message, sandbox_id, debug_bundle_key, created_at, updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, action, entity_type, entity_id, details,
        correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'system',
           'update', 'splunk_ta.validation_run', d.id::text,
           jsonb_strip_nulls(jsonb_build_object('status', d.status, 'error', d.error_message)),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM done AS d
)
SELECT
    id, request_id, ta_revision_id, status, started_at, completed_at, results, error_message,
    sandbox_id, debug_bundle_key, created_at, updated_at
FROM done;

-- name: count_running_validations()$
-- How many validation runs are running now (ix_validation_runs__active); the seed's get_running_count().
SELECT count(*) AS "running!"
FROM splunk_ta.validation_runs
WHERE status = 'running';

-- name: get_validation_run_by_id(id)^
-- record_class: ValidationRunRow
-- Get a validation run by id.
SELECT
    id, request_id, ta_revision_id, status, started_at, completed_at, results, error_message,
    sandbox_id, debug_bundle_key, created_at, updated_at
FROM splunk_ta.validation_runs
WHERE id = :id::uuid;

-- name: list_validation_runs_for_request(request_id)
-- record_class: ValidationRunRow
-- List the validation runs of a request, newest first (ix_validation_runs__request_created).
SELECT
    id, request_id, ta_revision_id, status, started_at, completed_at, results, error_message,
    sandbox_id, debug_bundle_key, created_at, updated_at
FROM splunk_ta.validation_runs
WHERE request_id = :request_id::uuid
ORDER BY created_at DESC, id DESC;
