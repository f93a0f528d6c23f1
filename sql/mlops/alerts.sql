/*
  mlops.alerts: open -> acknowledged -> resolved (or suppressed). Run inside
  `transaction(conn, org_id=...)` (row-level security).

  Severity labels are declared in ascending order (info < warning < error <
  critical), so `severity >= :min_severity` compares them.
*/

-- name: create_alert(organization_id, project_id, deployment_id, data_drift_report_id, notification_rule_id, alert_type, severity, title, message, details, triggered_at, created_by)<!
-- record_class: AlertRow
-- Open an alert (triggered now unless given).
-- ForeignKeyMissing if a referenced project, deployment, drift report or rule
-- is not one of the tenant's.
INSERT INTO mlops.alerts (
    organization_id, project_id, deployment_id, data_drift_report_id, notification_rule_id,
    alert_type, severity, title, message, details, triggered_at, created_by, updated_by
)
VALUES (
    :organization_id, :project_id, :deployment_id, :data_drift_report_id,
        :notification_rule_id,
    :alert_type, :severity, :title, :message, COALESCE(:details::jsonb, '{}'::jsonb),
    COALESCE(:triggered_at::timestamptz, statement_timestamp()), :created_by, :created_by
)
RETURNING
    organization_id, id, project_id, deployment_id, data_drift_report_id, notification_rule_id,
    alert_type, severity, status, title, message, details, triggered_at,
    acknowledged_at, acknowledged_by, resolved_at, resolved_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_alert_by_id(organization_id, id)^
-- record_class: AlertRow
-- Get a live alert by id.
SELECT
    organization_id, id, project_id, deployment_id, data_drift_report_id, notification_rule_id,
    alert_type, severity, status, title, message, details, triggered_at,
    acknowledged_at, acknowledged_by, resolved_at, resolved_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.alerts
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: list_open_alerts(organization_id, min_severity, project_id, limit)
-- record_class: AlertRow
-- Live open or acknowledged alerts of a tenant, most severe then newest first, optionally at or above a severity and of one project.
SELECT
    organization_id, id, project_id, deployment_id, data_drift_report_id, notification_rule_id,
    alert_type, severity, status, title, message, details, triggered_at,
    acknowledged_at, acknowledged_by, resolved_at, resolved_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.alerts
WHERE organization_id = :organization_id
  AND status IN ('open', 'acknowledged')   /* ix_alerts__open */
  AND deleted_at IS NULL
  AND (:min_severity::mlops.alert_severity IS NULL OR severity >= :min_severity)
  AND (:project_id::uuid IS NULL OR project_id = :project_id)
ORDER BY severity DESC, triggered_at DESC, id DESC
LIMIT :limit::int;

-- name: acknowledge_alert(organization_id, id, acknowledged_by)<!
-- record_class: AlertRow
-- Acknowledge an open alert; NotFound if it is not a live open alert.
UPDATE mlops.alerts
SET status          = 'acknowledged',
    acknowledged_at = greatest(now(), triggered_at),
    acknowledged_by = :acknowledged_by,
    updated_by      = :acknowledged_by
WHERE organization_id = :organization_id
  AND id = :id
  AND status = 'open'
  AND deleted_at IS NULL
RETURNING
    organization_id, id, project_id, deployment_id, data_drift_report_id, notification_rule_id,
    alert_type, severity, status, title, message, details, triggered_at,
    acknowledged_at, acknowledged_by, resolved_at, resolved_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: resolve_alert(organization_id, id, resolved_by)<!
-- record_class: AlertRow
-- Resolve an open or acknowledged alert; NotFound if it is not a live unresolved alert.
UPDATE mlops.alerts
SET status      = 'resolved',
    resolved_at = greatest(now(), triggered_at),
    resolved_by = :resolved_by,
    updated_by  = :resolved_by
WHERE organization_id = :organization_id
  AND id = :id
  AND status IN ('open', 'acknowledged')
  AND deleted_at IS NULL
RETURNING
    organization_id, id, project_id, deployment_id, data_drift_report_id, notification_rule_id,
    alert_type, severity, status, title, message, details, triggered_at,
    acknowledged_at, acknowledged_by, resolved_at, resolved_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: soft_delete_alert(organization_id, id, deleted_by)!
-- Soft-delete a live alert; returns 1, or 0 if no such live alert.
UPDATE mlops.alerts
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;
