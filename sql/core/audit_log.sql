/*
  core.audit_log: the append-only audit trail of every application (catalog
  §3.1, C5/C6). Only INSERT and SELECT exist: triggers reject UPDATE, DELETE
  and TRUNCATE, and registry_app holds INSERT + SELECT only, so there is no
  update/delete query here, by design.

  The table is time-partitioned on occurred_at (native monthly partitions or
  a TimescaleDB hypertable) with PRIMARY KEY (id, occurred_at): an event is
  identified by both, and every list below pages with a keyset on
  (occurred_at, id), newest first:
      pass the last row's occurred_at / id as after_occurred_at / after_id.
  Time bounds (occurred_from / occurred_to) let the planner prune partitions;
  pass them whenever the UI has a time window.

  Row-level security (0026): a session sees the events of its tenant
  (app.org_id), or the platform events (organization_id NULL) when no tenant
  is set; registry_readonly sees every event.

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary), so
  notes for reviewers there reach Python users too.
*/

-- name: create_audit_event(application, organization_id, actor_type, actor_user_id, actor_username, actor_api_key_id, action, event_level, entity_type, entity_id, old_values, new_values, changed_fields, details, reason, correlation_id, session_id, ip_address, user_agent)<!
-- record_class: CreateAuditEventRow
-- Append an event to the audit log; returns its id and occurred_at (statement_timestamp(): the time of this statement).
-- organization_id and correlation_id default to the transaction's tenant and
-- correlation settings (SET LOCAL app.org_id / app.correlation_id, see
-- registry_sql.db.tenant) when not passed. actor_type defaults to 'user',
-- event_level to 'info', details to {}. occurred_at cannot be supplied: audit
-- time is the database's, and so are db_user (the login), db_role and db_txid,
-- stamped by trg_audit_log__stamp; organization_id and actor_* are claims.
-- Row-level security: organization_id must be the transaction's tenant (or
-- NULL when no tenant is set). Write the event in the same transaction as the
-- change it records.
INSERT INTO core.audit_log (
    application, organization_id, actor_type, actor_user_id, actor_username,
    actor_api_key_id, action, event_level, entity_type, entity_id,
    old_values, new_values, changed_fields, details, reason,
    correlation_id, session_id, ip_address, user_agent
)
VALUES (
    :application::core.application,
    COALESCE(:organization_id::uuid, NULLIF(current_setting('app.org_id', true), '')::uuid),
    COALESCE(:actor_type::core.actor_type, 'user'),
    :actor_user_id, :actor_username, :actor_api_key_id,
    :action::core.audit_action,
    COALESCE(:event_level::core.event_level, 'info'),
    :entity_type, :entity_id,
    :old_values, :new_values, :changed_fields,
    COALESCE(:details::jsonb, '{}'::jsonb),
    :reason,
    COALESCE(:correlation_id::text, NULLIF(current_setting('app.correlation_id', true), '')),
    :session_id, :ip_address, :user_agent
)
RETURNING id, occurred_at;

-- name: get_audit_event(id, occurred_at)^
-- record_class: AuditEventRow
-- Get one audit event by its key (id, occurred_at).
SELECT
    id, occurred_at, application, organization_id, actor_type, actor_user_id,
    actor_username, actor_api_key_id, action, event_level, entity_type, entity_id,
    old_values, new_values, changed_fields, details, reason, correlation_id,
    session_id, ip_address, user_agent, db_user, db_role, db_txid
FROM core.audit_log
WHERE id = :id::uuid
  AND occurred_at = :occurred_at::timestamptz;

-- name: list_audit_events_for_entity(entity_type, entity_id, after_occurred_at, after_id, limit)
-- record_class: AuditEventRow
-- List the audit events of one entity (e.g. 'user', '<uuid>'), newest first (keyset paginated).
SELECT
    id, occurred_at, application, organization_id, actor_type, actor_user_id,
    actor_username, actor_api_key_id, action, event_level, entity_type, entity_id,
    old_values, new_values, changed_fields, details, reason, correlation_id,
    session_id, ip_address, user_agent, db_user, db_role, db_txid
FROM core.audit_log
WHERE entity_type = :entity_type::text   /* ix_audit_log__entity */
  AND entity_id = :entity_id::text
  AND (:after_occurred_at::timestamptz IS NULL
       OR (occurred_at, id) < (:after_occurred_at, :after_id::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT :limit::int;

-- name: list_recent_audit_events(application, actor_user_id, limit)
-- record_class: AuditEventRow
-- List the latest audit events of one application, optionally of one acting user, newest first.
SELECT
    id, occurred_at, application, organization_id, actor_type, actor_user_id,
    actor_username, actor_api_key_id, action, event_level, entity_type, entity_id,
    old_values, new_values, changed_fields, details, reason, correlation_id,
    session_id, ip_address, user_agent, db_user, db_role, db_txid
FROM core.audit_log
WHERE application = :application::core.application   /* ix_audit_log__application_time */
  AND (:actor_user_id::uuid IS NULL OR actor_user_id = :actor_user_id)
ORDER BY occurred_at DESC, id DESC
LIMIT :limit::int;

-- name: list_audit_events_by_correlation(correlation_id, limit)
-- record_class: AuditEventRow
-- List the audit events of one request or job (correlation id), in the order they happened.
SELECT
    id, occurred_at, application, organization_id, actor_type, actor_user_id,
    actor_username, actor_api_key_id, action, event_level, entity_type, entity_id,
    old_values, new_values, changed_fields, details, reason, correlation_id,
    session_id, ip_address, user_agent, db_user, db_role, db_txid
FROM core.audit_log
WHERE correlation_id = :correlation_id::text   /* ix_audit_log__correlation_id */
ORDER BY occurred_at, id
LIMIT :limit::int;

-- name: search_audit_events(application, organization_id, actor_user_id, entity_type, entity_id, action, min_event_level, occurred_from, occurred_to, after_occurred_at, after_id, limit)
-- record_class: AuditEventRow
-- Search the audit log by any combination of filters (None = any), newest first (keyset paginated).
-- occurred_from is inclusive, occurred_to exclusive. min_event_level uses the
-- enum order debug < info < warning < error < critical. One static query for
-- every filter combination: the planner picks among the ix_audit_log__*
-- indexes per call (generic plans may be chosen after five executions of a
-- prepared statement; with very skewed filters set plan_cache_mode =
-- force_custom_plan for the role if that hurts).
SELECT
    id, occurred_at, application, organization_id, actor_type, actor_user_id,
    actor_username, actor_api_key_id, action, event_level, entity_type, entity_id,
    old_values, new_values, changed_fields, details, reason, correlation_id,
    session_id, ip_address, user_agent, db_user, db_role, db_txid
FROM core.audit_log
WHERE (:application::core.application IS NULL OR application = :application)
  AND (:organization_id::uuid IS NULL OR organization_id = :organization_id)
  AND (:actor_user_id::uuid IS NULL OR actor_user_id = :actor_user_id)
  AND (:entity_type::text IS NULL OR entity_type = :entity_type)
  AND (:entity_id::text IS NULL OR entity_id = :entity_id)
  AND (:action::core.audit_action IS NULL OR action = :action)
  AND (:min_event_level::core.event_level IS NULL OR event_level >= :min_event_level)
  AND (:occurred_from::timestamptz IS NULL OR occurred_at >= :occurred_from)
  AND (:occurred_to::timestamptz IS NULL OR occurred_at < :occurred_to)
  AND (:after_occurred_at::timestamptz IS NULL
       OR (occurred_at, id) < (:after_occurred_at, :after_id::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT :limit::int;
