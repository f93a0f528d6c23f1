-- Rollback of 0020_core_statement_timestamps.
--
-- WHY: restores DEFAULT now() (the transaction's start time) and the
-- set_updated_at() trigger function of 0001.

SET LOCAL lock_timeout = '5s';

CREATE OR REPLACE FUNCTION core.set_updated_at()
    RETURNS trigger
    LANGUAGE plpgsql
AS $fn$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION core.set_updated_at() IS
    'Trigger function: sets NEW.updated_at := now(). Attach as trg_<table>__set_updated_at BEFORE UPDATE FOR EACH ROW.';

ALTER TABLE core.api_keys
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE core.audit_log
    ALTER COLUMN occurred_at SET DEFAULT now();
ALTER TABLE core.auth_tokens
    ALTER COLUMN issued_at SET DEFAULT now();
ALTER TABLE core.organization_memberships
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE core.organizations
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE core.permissions
    ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE core.role_permissions
    ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE core.roles
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE core.user_identities
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE core.user_roles
    ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE core.users
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.alerts
    ALTER COLUMN triggered_at SET DEFAULT now(),
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.data_drift_reports
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.deployment_history
    ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE mlops.deployments
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.experiment_runs
    ALTER COLUMN started_at SET DEFAULT now(),
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.experiments
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.model_monitoring
    ALTER COLUMN recorded_at SET DEFAULT now();
ALTER TABLE mlops.model_versions
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.models
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.notification_channels
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.notification_rules
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.project_members
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.projects
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mlops.run_metrics
    ALTER COLUMN recorded_at SET DEFAULT now();
ALTER TABLE model_registry.download_history
    ALTER COLUMN downloaded_at SET DEFAULT now();
ALTER TABLE model_registry.package_lineage
    ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE model_registry.package_scores
    ALTER COLUMN scored_at SET DEFAULT now(),
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE model_registry.packages
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE model_registry.system_health_metrics
    ALTER COLUMN recorded_at SET DEFAULT now();
