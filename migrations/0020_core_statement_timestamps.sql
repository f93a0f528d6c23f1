-- 0020_core_statement_timestamps: row times are the time of the statement that wrote
-- the row, not the start of its transaction.
--
-- WHY: every "newest first" / "in the order they happened" query orders by a
-- time column and breaks ties on id (a random UUID). With DEFAULT now() (the
-- transaction's start time) every row written by one transaction had the same
-- time, so the order of ten changes made in one transaction was random
-- (deployment history showed "stopped" before "running"; the audit trail of one
-- request came back 2,1,4,3,0). statement_timestamp() is the time the client's
-- statement started: rows written by separate statements get increasing times,
-- while the rows of one statement (created_at and updated_at of one insert, a
-- change and the audit entry its trigger writes) still agree. updated_at follows
-- the same rule, so updated_at >= created_at holds within a transaction too.
-- Only defaults change: existing rows keep their values, no table is rewritten.
-- depends: 0013_mlops_notifications

SET LOCAL lock_timeout = '5s';

CREATE OR REPLACE FUNCTION core.set_updated_at()
    RETURNS trigger
    LANGUAGE plpgsql
AS $fn$
BEGIN
    NEW.updated_at := statement_timestamp();
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION core.set_updated_at() IS
    'Trigger function: sets NEW.updated_at := statement_timestamp() (the time of the statement, so several changes in one transaction keep their order). Attach as trg_<table>__set_updated_at BEFORE UPDATE FOR EACH ROW.';

-- Partitioned tables: ALTER on the parent applies to every partition.
ALTER TABLE core.api_keys
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE core.audit_log
    ALTER COLUMN occurred_at SET DEFAULT statement_timestamp();
ALTER TABLE core.auth_tokens
    ALTER COLUMN issued_at SET DEFAULT statement_timestamp();
ALTER TABLE core.organization_memberships
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE core.organizations
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE core.permissions
    ALTER COLUMN created_at SET DEFAULT statement_timestamp();
ALTER TABLE core.role_permissions
    ALTER COLUMN created_at SET DEFAULT statement_timestamp();
ALTER TABLE core.roles
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE core.user_identities
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE core.user_roles
    ALTER COLUMN created_at SET DEFAULT statement_timestamp();
ALTER TABLE core.users
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.alerts
    ALTER COLUMN triggered_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.data_drift_reports
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.deployment_history
    ALTER COLUMN created_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.deployments
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.experiment_runs
    ALTER COLUMN started_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.experiments
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.model_monitoring
    ALTER COLUMN recorded_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.model_versions
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.models
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.notification_channels
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.notification_rules
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.project_members
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.projects
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE mlops.run_metrics
    ALTER COLUMN recorded_at SET DEFAULT statement_timestamp();
ALTER TABLE model_registry.download_history
    ALTER COLUMN downloaded_at SET DEFAULT statement_timestamp();
ALTER TABLE model_registry.package_lineage
    ALTER COLUMN created_at SET DEFAULT statement_timestamp();
ALTER TABLE model_registry.package_scores
    ALTER COLUMN scored_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE model_registry.packages
    ALTER COLUMN created_at SET DEFAULT statement_timestamp(),
    ALTER COLUMN updated_at SET DEFAULT statement_timestamp();
ALTER TABLE model_registry.system_health_metrics
    ALTER COLUMN recorded_at SET DEFAULT statement_timestamp();
