/*
  splunk_ta.log_samples: uploaded log samples, soft-deleted (deleted_at) by a
  person or by the retention purge. The files live in object storage under
  storage_key: the queries that release samples return the keys so the caller
  can delete the objects. Uploads and deletions by a person write their
  core.audit_log event (entity_type 'splunk_ta.log_sample') in the same
  statement.
*/

-- name: create_log_sample(request_id, filename, storage_key, content_type, file_size_bytes, checksum_sha256, line_count, uploaded_by, retention_until)<!
-- record_class: LogSampleRow
-- Record an uploaded log sample and its `upload` audit event; retention_until defaults to now + system_config log_sample_retention_days.
-- ForeignKeyMissing (fk_log_samples__request_id) when the request does not
-- exist. With no log_sample_retention_days entry and no retention_until the
-- sample is kept (NULL).
WITH created AS (
    INSERT INTO splunk_ta.log_samples (
        request_id, filename, storage_key, content_type, file_size_bytes, checksum_sha256,
        line_count, uploaded_by, retention_until
    )
    VALUES (
        :request_id, :filename, :storage_key, :content_type, :file_size_bytes,
        :checksum_sha256, :line_count, :uploaded_by,
        COALESCE(:retention_until::timestamptz,
                 statement_timestamp() + make_interval(days => (
                     SELECT (c.value)::int FROM splunk_ta.system_config AS c
                     WHERE c.key = 'log_sample_retention_days')))
    )
    RETURNING
        id, request_id, filename, storage_key, content_type, file_size_bytes,
        checksum_sha256, line_count, uploaded_by, retention_until, deleted_at, deleted_by,
        created_at, updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           c.uploaded_by, 'upload', 'splunk_ta.log_sample', c.id::text,
           jsonb_build_object('request_id', c.request_id, 'filename', c.filename,
                              'file_size_bytes', c.file_size_bytes),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM created AS c
)
SELECT
    id, request_id, filename, storage_key, content_type, file_size_bytes, checksum_sha256,
    line_count, uploaded_by, retention_until, deleted_at, deleted_by, created_at, updated_at
FROM created;

-- name: get_log_sample_by_id(id)^
-- record_class: LogSampleRow
-- Get a live (not soft-deleted) log sample by id.
SELECT
    id, request_id, filename, storage_key, content_type, file_size_bytes, checksum_sha256,
    line_count, uploaded_by, retention_until, deleted_at, deleted_by, created_at, updated_at
FROM splunk_ta.log_samples
WHERE id = :id::uuid
  AND deleted_at IS NULL;

-- name: list_log_samples_for_request(request_id)
-- record_class: LogSampleRow
-- List the live log samples of a request, oldest first (ix_log_samples__request_active).
SELECT
    id, request_id, filename, storage_key, content_type, file_size_bytes, checksum_sha256,
    line_count, uploaded_by, retention_until, deleted_at, deleted_by, created_at, updated_at
FROM splunk_ta.log_samples
WHERE request_id = :request_id::uuid
  AND deleted_at IS NULL
ORDER BY created_at, id;

-- name: soft_delete_log_sample(id, deleted_by)<!
-- record_class: LogSampleRow
-- Soft-delete a live log sample (deleted_at, deleted_by) with its `delete` audit event; returns the row (its storage_key is the object to remove).
-- NotFound when there is no such live sample.
WITH gone AS (
    UPDATE splunk_ta.log_samples
    SET deleted_at = statement_timestamp(),
        deleted_by = :deleted_by::uuid
    WHERE id = :id::uuid
      AND deleted_at IS NULL
    RETURNING
        id, request_id, filename, storage_key, content_type, file_size_bytes,
        checksum_sha256, line_count, uploaded_by, retention_until, deleted_at, deleted_by,
        created_at, updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           g.deleted_by, 'delete', 'splunk_ta.log_sample', g.id::text,
           jsonb_build_object('request_id', g.request_id, 'storage_key', g.storage_key),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM gone AS g
)
SELECT
    id, request_id, filename, storage_key, content_type, file_size_bytes, checksum_sha256,
    line_count, uploaded_by, retention_until, deleted_at, deleted_by, created_at, updated_at
FROM gone;

-- name: list_expired_log_samples(limit)
-- record_class: LogSampleRow
-- List live log samples whose retention has passed, oldest due first (ix_log_samples__retention_due).
SELECT
    id, request_id, filename, storage_key, content_type, file_size_bytes, checksum_sha256,
    line_count, uploaded_by, retention_until, deleted_at, deleted_by, created_at, updated_at
FROM splunk_ta.log_samples
WHERE retention_until < statement_timestamp()
  AND deleted_at IS NULL
ORDER BY retention_until, id
LIMIT :limit::int;

-- name: purge_expired_log_samples(limit)
-- record_class: PurgedLogSampleRow
-- Soft-delete up to `limit` live log samples whose retention has passed; returns the id and storage_key of each, to remove the objects.
-- Idempotent: a sample is released once; a second run returns only samples
-- that expired since. Rows another purge holds are skipped (SKIP LOCKED), so
-- concurrent purges never release a sample twice. One `delete` audit event
-- (actor_type system) per run that released something, listing the ids.
WITH due AS (
    SELECT id
    FROM splunk_ta.log_samples
    WHERE retention_until < statement_timestamp()
      AND deleted_at IS NULL
    ORDER BY retention_until, id
    LIMIT :limit::int
    FOR UPDATE SKIP LOCKED
),
gone AS (
    UPDATE splunk_ta.log_samples AS s
    SET deleted_at = statement_timestamp()
    FROM due
    WHERE s.id = due.id
    RETURNING s.id, s.storage_key, s.request_id
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, action, entity_type, details, reason,
        correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'system',
           'delete', 'splunk_ta.log_sample',
           jsonb_build_object('purged', jsonb_agg(g.id ORDER BY g.id)), 'retention expired',
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM gone AS g
    HAVING count(*) > 0
)
SELECT id, storage_key, request_id
FROM gone
ORDER BY id;
