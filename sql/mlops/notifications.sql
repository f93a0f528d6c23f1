/*
  mlops.notification_channels and mlops.notification_rules. Run inside
  `transaction(conn, org_id=...)` (row-level security).

  A rule fires for an event when: it is live and enabled, its channel is live
  and enabled, its event type matches, the event's severity is at or above
  min_severity (NULL: any), it is tenant-wide (project_id NULL) or for the
  event's project, and its cooldown has elapsed since last_triggered_at.
  After notifying, the caller marks the rule triggered (mark_rule_triggered)
  in the same transaction.
*/

-- name: create_notification_channel(organization_id, project_id, name, channel_type, config, is_enabled, created_by)<!
-- record_class: NotificationChannelRow
-- Create a notification channel (Slack, e-mail, ...); keep secrets out of config (store a reference).
INSERT INTO mlops.notification_channels (
    organization_id, project_id, name, channel_type, config, is_enabled, created_by, updated_by
)
VALUES (
    :organization_id, :project_id, :name, :channel_type,
    COALESCE(:config::jsonb, '{}'::jsonb), COALESCE(:is_enabled::boolean, true),
    :created_by, :created_by
)
RETURNING
    organization_id, id, project_id, name, channel_type, config, is_enabled, last_verified_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_notification_channel_by_id(organization_id, id)^
-- record_class: NotificationChannelRow
-- Get a live notification channel by id.
SELECT
    organization_id, id, project_id, name, channel_type, config, is_enabled, last_verified_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.notification_channels
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: list_notification_channels(organization_id)
-- record_class: NotificationChannelRow
-- List the live notification channels of a tenant by name.
-- stream: yes
SELECT
    organization_id, id, project_id, name, channel_type, config, is_enabled, last_verified_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.notification_channels
WHERE organization_id = :organization_id
  AND deleted_at IS NULL
ORDER BY name, id;

-- name: update_notification_channel(organization_id, id, name, config, is_enabled, verified, updated_by)<!
-- record_class: NotificationChannelRow
-- Update a live channel; omitted (None) fields keep their value; verified=True stamps last_verified_at.
-- now() is taken in a FROM subquery, not inside CASE: Citus refuses non-IMMUTABLE functions
-- in CASE/COALESCE of an UPDATE on a distributed table.
UPDATE mlops.notification_channels
SET name             = COALESCE(:name::text, name),
    config           = COALESCE(:config::jsonb, config),
    is_enabled       = COALESCE(:is_enabled::boolean, is_enabled),
    last_verified_at = CASE WHEN COALESCE(:verified::boolean, false)
        THEN arg.stamp ELSE last_verified_at END,
    updated_by       = :updated_by
FROM (SELECT now() AS stamp) AS arg
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, project_id, name, channel_type, config, is_enabled, last_verified_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: soft_delete_notification_channel(organization_id, id, deleted_by)!
-- Soft-delete a live channel (its rules stop matching); returns 1, or 0 if no such live channel.
UPDATE mlops.notification_channels
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: restore_notification_channel(organization_id, id, restored_by)<!
-- record_class: NotificationChannelRow
-- Restore a soft-deleted channel; raises Conflict if a live channel took its name meanwhile.
UPDATE mlops.notification_channels
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NOT NULL
RETURNING
    organization_id, id, project_id, name, channel_type, config, is_enabled, last_verified_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

/* ---------------------------------------------------------------- rules */

-- name: create_notification_rule(organization_id, project_id, channel_id, name, description, event_type, min_severity, conditions, is_enabled, cooldown_seconds, created_by)<!
-- record_class: NotificationRuleRow
-- Create a notification rule sending one event type to one channel.
-- ForeignKeyMissing if the channel (or project) is not one of the tenant's.
INSERT INTO mlops.notification_rules (
    organization_id, project_id, channel_id, name, description, event_type, min_severity,
    conditions, is_enabled, cooldown_seconds, created_by, updated_by
)
VALUES (
    :organization_id, :project_id, :channel_id, :name, :description,
        :event_type, :min_severity,
    COALESCE(:conditions::jsonb, '{}'::jsonb), COALESCE(:is_enabled::boolean, true),
    COALESCE(:cooldown_seconds::int, 0), :created_by, :created_by
)
RETURNING
    organization_id, id, project_id, channel_id, name, description, event_type, min_severity,
    conditions, is_enabled, cooldown_seconds, last_triggered_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: list_notification_rules(organization_id, event_type)
-- record_class: NotificationRuleRow
-- List the live rules of a tenant by name, optionally for one event type.
-- stream: yes
SELECT
    organization_id, id, project_id, channel_id, name, description, event_type, min_severity,
    conditions, is_enabled, cooldown_seconds, last_triggered_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.notification_rules
WHERE organization_id = :organization_id
  AND deleted_at IS NULL
  AND (:event_type::mlops.notification_event_type IS NULL OR event_type = :event_type)
ORDER BY name, id;

-- name: set_notification_rule_enabled(organization_id, id, is_enabled, updated_by)<!
-- record_class: NotificationRuleRow
-- Enable or disable a live rule.
UPDATE mlops.notification_rules
SET is_enabled = :is_enabled::boolean,
    updated_by = :updated_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, project_id, channel_id, name, description, event_type, min_severity,
    conditions, is_enabled, cooldown_seconds, last_triggered_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: match_notification_rules(organization_id, event_type, severity, project_id, at)
-- record_class: MatchNotificationRulesRow
-- The rules that fire for an event, with their channel: enabled, matching type, severity >= min, project scope, cooldown elapsed.
-- severity None matches only rules without a minimum; project_id None
-- matches only tenant-wide rules; at defaults to now (the cooldown reference).
-- stream: yes
SELECT
    r.organization_id, r.id AS rule_id, r.name AS rule_name, r.event_type, r.min_severity,
    r.project_id, r.conditions, r.cooldown_seconds, r.last_triggered_at,
    c.id AS channel_id, c.name AS channel_name, c.channel_type, c.config AS channel_config
FROM mlops.notification_rules AS r
JOIN mlops.notification_channels AS c
  ON c.organization_id = r.organization_id AND c.id = r.channel_id
WHERE r.organization_id = :organization_id
  AND r.event_type = :event_type::mlops.notification_event_type
      /* ix_notification_rules__org_event */
  AND r.is_enabled
  AND r.deleted_at IS NULL
  AND c.is_enabled
  AND c.deleted_at IS NULL
  AND (r.min_severity IS NULL
       OR (:severity::mlops.alert_severity IS NOT NULL AND r.min_severity <= :severity))
  AND (r.project_id IS NULL
       OR (:project_id::uuid IS NOT NULL AND r.project_id = :project_id))
  AND (r.last_triggered_at IS NULL
       OR r.last_triggered_at + make_interval(secs => r.cooldown_seconds)
          <= COALESCE(:at::timestamptz, now()))
ORDER BY r.name, r.id;

-- name: mark_rule_triggered(organization_id, id, at)!
-- Record that a rule fired (at, or now), starting its cooldown; returns 1, or 0 if no such live rule.
-- now() in a FROM subquery, not inside COALESCE (Citus: see update_notification_channel).
UPDATE mlops.notification_rules
SET last_triggered_at = arg.stamp
FROM (SELECT COALESCE(:at::timestamptz, now()) AS stamp) AS arg
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: soft_delete_notification_rule(organization_id, id, deleted_by)!
-- Soft-delete a live rule; returns 1, or 0 if no such live rule.
UPDATE mlops.notification_rules
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;
