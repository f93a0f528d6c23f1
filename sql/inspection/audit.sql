/*
  The change trail of the inspection records, as an FDA reviewer reads it.
  The events are written by triggers (core.capture_row_change, migrations
  0051/0052), never by these queries.
*/

-- name: list_record_history(entity_type, entity_id)
-- record_class: RecordVersionRow
-- Every version of one record, oldest first: who (user id, name, login), when, from where
-- (session, IP, user agent), why (reason), what changed (old/new values of the changed
-- columns) and the whole record as it stood after that change (`state`; NULL once deleted).
-- entity_type is the table ('inspection.defects'), entity_id the record's id.
-- stream: yes
WITH RECURSIVE events AS (
    SELECT
        row_number() OVER (ORDER BY a.occurred_at, a.db_txid, a.id) AS version,
        a.id, a.occurred_at, a.action, a.changed_fields, a.old_values, a.new_values,
        a.actor_user_id, a.actor_username, a.reason, a.session_id, a.ip_address, a.user_agent,
        a.correlation_id, a.db_user, a.db_role, a.db_txid
    FROM core.audit_log a
    WHERE a.application = 'inspection'
      AND a.entity_type = :entity_type::text
      AND a.entity_id = :entity_id::text
),
versions AS (
    SELECT e.version, CASE WHEN e.action = 'delete' THEN NULL
                           ELSE COALESCE(e.old_values, '{}'::jsonb) || e.new_values END AS state
    FROM events e
    WHERE e.version = 1
    UNION ALL
    SELECT e.version, CASE WHEN e.action = 'delete' THEN NULL
                           WHEN e.action = 'create' THEN e.new_values
                           ELSE COALESCE(v.state, '{}'::jsonb) || e.new_values END
    FROM versions v
    JOIN events e ON e.version = v.version + 1
)
SELECT
    e.version AS "version!", e.id AS "event_id!", e.occurred_at AS "occurred_at!",
    e.action AS "action!", e.changed_fields, e.old_values, e.new_values, v.state,
    e.actor_user_id, e.actor_username, e.reason, e.session_id, e.ip_address, e.user_agent,
    e.correlation_id, e.db_user, e.db_role, e.db_txid
FROM events e
JOIN versions v ON v.version = e.version
ORDER BY e.version;

-- name: count_record_history(entity_type, entity_id)$
-- How many trail events one record has.
SELECT count(*) AS "total!"
FROM core.audit_log a
WHERE a.application = 'inspection'
  AND a.entity_type = :entity_type::text
  AND a.entity_id = :entity_id::text;
