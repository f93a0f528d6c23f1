/*
  The audit trail of the Splunk TA generator, read from core.audit_log
  (application 'splunk_ta'; entity types 'splunk_ta.request',
  'splunk_ta.log_sample', 'splunk_ta.ta_revision', 'splunk_ta.knowledge_document',
  'splunk_ta.system_config'). The events are written by the queries of this
  schema, each in the same statement as its change. Newest first, keyset
  paginated on (occurred_at, id) where lists can be long.
*/

-- name: list_recent_activity(actor_user_id, limit)
-- record_class: ActivityRow
-- The latest splunk_ta audit events, optionally of one acting user, newest first (the seed's get_recent_activity).
SELECT
    id, occurred_at, actor_type, actor_user_id, action, entity_type, entity_id, details,
    old_values, new_values, reason, correlation_id
FROM core.audit_log
WHERE application = 'splunk_ta'   /* ix_audit_log__application_time */
  AND (:actor_user_id::uuid IS NULL OR actor_user_id = :actor_user_id)
ORDER BY occurred_at DESC, id DESC
LIMIT :limit::int;

-- name: list_entity_history(entity_type, entity_id, after_occurred_at, after_id, limit)
-- record_class: ActivityRow
-- The audit events of one entity (e.g. 'splunk_ta.request', '<uuid>'), newest first, keyset paginated (the seed's get_by_entity).
SELECT
    id, occurred_at, actor_type, actor_user_id, action, entity_type, entity_id, details,
    old_values, new_values, reason, correlation_id
FROM core.audit_log
WHERE application = 'splunk_ta'
  AND entity_type = :entity_type::text   /* ix_audit_log__entity */
  AND entity_id = :entity_id::text
  AND (:after_occurred_at::timestamptz IS NULL
       OR (occurred_at, id) < (:after_occurred_at, :after_id::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT :limit::int;

-- name: list_activity_by_correlation(correlation_id, limit)
-- record_class: ActivityRow
-- The splunk_ta audit events of one correlation id (one request or job), in the order they happened.
SELECT
    id, occurred_at, actor_type, actor_user_id, action, entity_type, entity_id, details,
    old_values, new_values, reason, correlation_id
FROM core.audit_log
WHERE correlation_id = :correlation_id::text   /* ix_audit_log__correlation_id */
  AND application = 'splunk_ta'
ORDER BY occurred_at, id
LIMIT :limit::int;
