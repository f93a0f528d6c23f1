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
-- Each version's state is a running merge (inspection.jsonb_merge_agg, no
-- recursion: Citus refuses a recursive CTE over the distributed audit log) of
-- the events since the record's last `create`: its new values, then each
-- update's changed values; the first event, when not a create (the trail began
-- later), also contributes its old values.
WITH events AS (
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
pieces AS (
    SELECT
        e.*,
        count(*) FILTER (WHERE e.action = 'create') OVER (ORDER BY e.version) AS lifetime,
        CASE WHEN e.version = 1 AND e.action <> 'create'
             THEN COALESCE(e.old_values, '{}'::jsonb) || COALESCE(e.new_values, '{}'::jsonb)
             ELSE e.new_values END AS piece
    FROM events e
)
SELECT
    p.version AS "version!", p.id AS "event_id!", p.occurred_at AS "occurred_at!",
    p.action AS "action!", p.changed_fields, p.old_values, p.new_values,
    CASE WHEN p.action = 'delete' THEN NULL
         ELSE inspection.jsonb_merge_agg(p.piece)
                  OVER (PARTITION BY p.lifetime ORDER BY p.version) END AS state,
    p.actor_user_id, p.actor_username, p.reason, p.session_id, p.ip_address, p.user_agent,
    p.correlation_id, p.db_user, p.db_role, p.db_txid
FROM pieces p
ORDER BY p.version;

-- name: count_record_history(entity_type, entity_id)$
-- How many trail events one record has.
SELECT count(*) AS "total!"
FROM core.audit_log a
WHERE a.application = 'inspection'
  AND a.entity_type = :entity_type::text
  AND a.entity_id = :entity_id::text;
