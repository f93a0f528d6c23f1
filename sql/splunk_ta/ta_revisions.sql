/*
  splunk_ta.ta_revisions: the generated TA packages of a request, numbered
  1, 2, 3... per request. create_ta_revision assigns the number with
  splunk_ta.next_ta_version(), which locks the request row until the
  transaction ends: concurrent creators for one request get consecutive
  numbers, no gaps, no duplicates (uq_ta_revisions__request_version is the
  backstop). Keep the creating transaction short.
*/

-- name: get_next_ta_version(request_id)$
-- The number the next revision of a request would get (max + 1), locking the request row until the transaction ends.
-- Call it in the transaction that then creates the revision (or just call
-- create_ta_revision, which does both). ForeignKeyMissing when there is no
-- such request.
SELECT splunk_ta.next_ta_version(:request_id::uuid) AS "next_version!";

-- name: create_ta_revision(request_id, revision_type, storage_key, file_size_bytes, checksum_sha256, created_by, generation_metadata, change_summary)<!
-- record_class: TaRevisionRow
-- Create the next revision of a request (version = max + 1, safe under concurrency) with its `create` audit event.
-- created_by is required for a manual revision (ck_ta_revisions__manual_has_creator);
-- None for the pipeline (audited as actor_type system). ForeignKeyMissing when
-- there is no such request.
WITH created AS (
    INSERT INTO splunk_ta.ta_revisions (
        request_id, version, revision_type, storage_key, file_size_bytes, checksum_sha256,
        created_by, generation_metadata, change_summary
    )
    VALUES (
        :request_id, splunk_ta.next_ta_version(:request_id), :revision_type,
        :storage_key,
        :file_size_bytes, :checksum_sha256, :created_by,
        COALESCE(:generation_metadata::jsonb, '{}'::jsonb), :change_summary
    )
    RETURNING
        id, request_id, version, revision_type, storage_key, file_size_bytes,
        checksum_sha256, created_by, generation_metadata, change_summary, created_at,
        updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid,
           CASE WHEN c.created_by IS NULL THEN 'system' ELSE 'user' END::core.actor_type,
           c.created_by, 'create', 'splunk_ta.ta_revision', c.id::text,
           jsonb_build_object('request_id', c.request_id, 'version', c.version,
                              'revision_type', c.revision_type),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM created AS c
)
SELECT
    id, request_id, version, revision_type, storage_key, file_size_bytes, checksum_sha256,
    created_by, generation_metadata, change_summary, created_at, updated_at
FROM created;

-- name: get_ta_revision_by_id(id)^
-- record_class: TaRevisionRow
-- Get a TA revision by id.
SELECT
    id, request_id, version, revision_type, storage_key, file_size_bytes, checksum_sha256,
    created_by, generation_metadata, change_summary, created_at, updated_at
FROM splunk_ta.ta_revisions
WHERE id = :id::uuid;

-- name: get_latest_ta_revision(request_id)^
-- record_class: TaRevisionRow
-- Get the latest (highest version) revision of a request (uq_ta_revisions__request_version, backwards).
SELECT
    id, request_id, version, revision_type, storage_key, file_size_bytes, checksum_sha256,
    created_by, generation_metadata, change_summary, created_at, updated_at
FROM splunk_ta.ta_revisions
WHERE request_id = :request_id::uuid
ORDER BY version DESC
LIMIT 1;

-- name: list_ta_revisions(request_id)
-- record_class: TaRevisionRow
-- List the revisions of a request, newest version first.
SELECT
    id, request_id, version, revision_type, storage_key, file_size_bytes, checksum_sha256,
    created_by, generation_metadata, change_summary, created_at, updated_at
FROM splunk_ta.ta_revisions
WHERE request_id = :request_id::uuid
ORDER BY version DESC;

-- name: record_ta_download(id, user_id)<!
-- record_class: TaRevisionRow
-- Record that a user downloads a TA revision (a `download` audit event) and return the revision (its storage_key is the package).
-- NotFound when there is no such revision.
WITH rev AS (
    SELECT
        id, request_id, version, revision_type, storage_key, file_size_bytes,
        checksum_sha256, created_by, generation_metadata, change_summary, created_at,
        updated_at
    FROM splunk_ta.ta_revisions
    WHERE id = :id::uuid
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           :user_id::uuid, 'download', 'splunk_ta.ta_revision', r.id::text,
           jsonb_build_object('request_id', r.request_id, 'version', r.version),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM rev AS r
    RETURNING entity_id
)
SELECT
    r.id, r.request_id, r.version, r.revision_type, r.storage_key, r.file_size_bytes,
    r.checksum_sha256, r.created_by, r.generation_metadata, r.change_summary, r.created_at,
    r.updated_at
FROM rev AS r
JOIN audit AS a ON a.entity_id = r.id::text;
