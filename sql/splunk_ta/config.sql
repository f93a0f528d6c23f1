/*
  splunk_ta.system_config: runtime settings, key -> JSON value.

  Known keys have typed accessors (get_/set_max_parallel_validations,
  get_/set_log_sample_retention_days: an int in, an int out) and typed CHECKs
  in the table; other keys are plain JSON (get_config / set_config).

  Secrets (an API key, a sandbox password) are never stored: set_secret_config
  records a REFERENCE to where the secret lives (secret_ref, e.g.
  vault:kv/splunk-ta/pinecone#api_key or env:PINECONE_API_KEY; a plaintext
  secret fails ck_system_config__secret_ref_format, checked before sending),
  `value` reads "***" and is_secret is true. Every read here returns "***" for
  them; only get_secret_config returns the reference, in a row whose repr()
  masks it. The generated code masks the parameter in repr/logs and the
  table's values in error messages ([secret: secret_ref] in the table
  comment). Changes write a core.audit_log event (entity_type
  'splunk_ta.system_config'); a secret's event never holds the reference.
*/

-- name: get_config(key)^
-- record_class: ConfigEntryRow
-- Get a config entry by key (a secret entry reads "***").
SELECT id, key, value, description, is_secret, updated_by, created_at, updated_at
FROM splunk_ta.system_config
WHERE key = :key::text;

-- name: list_config()
-- record_class: ConfigEntryRow
-- List every config entry by key (secret entries read "***").
SELECT id, key, value, description, is_secret, updated_by, created_at, updated_at
FROM splunk_ta.system_config
ORDER BY key;

-- name: set_config(key, value, description, updated_by)<!
-- record_class: ConfigEntryRow
-- Set a plain (non-secret) config entry, creating it or replacing its value (and description when given); records an `update` audit event.
-- A known key must have its type (InvalidInput naming the constraint, e.g.
-- ck_system_config__max_parallel_validations_range). Setting a secret key with
-- it makes the entry plain again (the reference is dropped).
WITH upserted AS (
    INSERT INTO splunk_ta.system_config (key, value, description, updated_by)
    VALUES (:key, :value, :description, :updated_by)
    ON CONFLICT (key) DO UPDATE
    SET value = EXCLUDED.value,
        description = COALESCE(EXCLUDED.description, splunk_ta.system_config.description),
        is_secret = false,
        secret_ref = NULL,
        updated_by = EXCLUDED.updated_by
    RETURNING id, key, value, description, is_secret, updated_by, created_at, updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, new_values, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           u.updated_by, 'update', 'splunk_ta.system_config', u.key,
           jsonb_build_object('value', u.value),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM upserted AS u
)
SELECT id, key, value, description, is_secret, updated_by, created_at, updated_at
FROM upserted;

-- name: set_secret_config(key, secret_ref, description, updated_by)<!
-- record_class: ConfigEntryRow
-- Set a secret config entry: a reference to the secret (secret_ref), value "***"; records an `update` audit event without it.
-- secret_ref is scheme:location (env:, vault:, aws-sm:, gcp-sm:, azure-kv:,
-- file:); anything else (a plaintext secret) is refused before it is sent.
-- The returned row, reads, the audit event and error messages never hold it
-- (get_secret_config returns it).
WITH upserted AS (
    INSERT INTO splunk_ta.system_config (
        key, value, description, is_secret, secret_ref, updated_by
    )
    VALUES (:key, '"***"'::jsonb, :description, true, :secret_ref, :updated_by)
    ON CONFLICT (key) DO UPDATE
    SET value = EXCLUDED.value,
        description = COALESCE(EXCLUDED.description, splunk_ta.system_config.description),
        is_secret = true,
        secret_ref = EXCLUDED.secret_ref,
        updated_by = EXCLUDED.updated_by
    RETURNING id, key, value, description, is_secret, updated_by, created_at, updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           u.updated_by, 'update', 'splunk_ta.system_config', u.key,
           jsonb_build_object('secret', true),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM upserted AS u
)
SELECT id, key, value, description, is_secret, updated_by, created_at, updated_at
FROM upserted;

-- name: get_secret_config(key)^
-- record_class: SecretConfigRow
-- Get the reference of a secret config entry (for the service that resolves it; masked in repr).
-- NotFound when there is no such secret entry.
SELECT key, secret_ref AS "secret_ref!"
FROM splunk_ta.system_config
WHERE key = :key::text
  AND is_secret;

-- name: delete_config(key, deleted_by)$
-- Delete a config entry with its `delete` audit event; returns how many were deleted (0 or 1).
-- Without max_parallel_validations no validation can start (start_validation
-- raises InvalidInput); without log_sample_retention_days samples are kept.
WITH gone AS (
    DELETE FROM splunk_ta.system_config
    WHERE key = :key::text
    RETURNING key
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           :deleted_by::uuid, 'delete', 'splunk_ta.system_config', g.key,
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM gone AS g
)
SELECT count(*) AS "deleted!" FROM gone;

-- name: get_max_parallel_validations()$
-- The typed value of max_parallel_validations (an int): how many validations may run at once.
-- NotFound when the entry is missing.
SELECT (value)::int AS "max_parallel_validations!"
FROM splunk_ta.system_config
WHERE key = 'max_parallel_validations';

-- name: set_max_parallel_validations(value, updated_by)$
-- Set max_parallel_validations (an int from 1 to 1000); returns the new value. Audited.
-- Takes effect at the next claim (start_validation reads it then); runs
-- already running are not stopped when it is lowered.
WITH upserted AS (
    INSERT INTO splunk_ta.system_config (key, value, description, updated_by)
    VALUES ('max_parallel_validations', to_jsonb(:value::int),
            'At most this many validation runs are running at once.', :updated_by)
    ON CONFLICT (key) DO UPDATE
    SET value = EXCLUDED.value, is_secret = false, secret_ref = NULL,
        updated_by = EXCLUDED.updated_by
    RETURNING key, value, updated_by
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, new_values, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           u.updated_by, 'update', 'splunk_ta.system_config', u.key,
           jsonb_build_object('value', u.value),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM upserted AS u
)
SELECT (value)::int AS "max_parallel_validations!" FROM upserted;

-- name: get_log_sample_retention_days()$
-- The typed value of log_sample_retention_days (an int): days a log sample is kept after upload.
-- NotFound when the entry is missing.
SELECT (value)::int AS "log_sample_retention_days!"
FROM splunk_ta.system_config
WHERE key = 'log_sample_retention_days';

-- name: set_log_sample_retention_days(value, updated_by)$
-- Set log_sample_retention_days (an int from 1 to 3650); returns the new value. Audited.
-- Applies to samples uploaded from now on (retention_until is computed at upload).
WITH upserted AS (
    INSERT INTO splunk_ta.system_config (key, value, description, updated_by)
    VALUES ('log_sample_retention_days', to_jsonb(:value::int),
            'Log samples are kept this many days after upload.', :updated_by)
    ON CONFLICT (key) DO UPDATE
    SET value = EXCLUDED.value, is_secret = false, secret_ref = NULL,
        updated_by = EXCLUDED.updated_by
    RETURNING key, value, updated_by
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, new_values, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           u.updated_by, 'update', 'splunk_ta.system_config', u.key,
           jsonb_build_object('value', u.value),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM upserted AS u
)
SELECT (value)::int AS "log_sample_retention_days!" FROM upserted;
