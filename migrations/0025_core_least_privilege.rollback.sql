-- Rollback of 0025_core_least_privilege.
--
-- WHY: gives the groups back the privileges they held before 0025 (ALL on the
-- tables for registry_owner, CREATE on the schemas, SELECT on the credential
-- tables for registry_readonly, DML on RBAC reference data for registry_app),
-- drops the read-only policies and gives PUBLIC its default database
-- privileges back.

SET LOCAL lock_timeout = '5s';

DO $database$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM registry_owner, registry_app, registry_readonly',
                   current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$database$;

DROP POLICY rls_notification_rules__readonly ON mlops.notification_rules;
DROP POLICY rls_notification_channels__readonly ON mlops.notification_channels;
DROP POLICY rls_alerts__readonly ON mlops.alerts;
DROP POLICY rls_data_drift_reports__readonly ON mlops.data_drift_reports;
DROP POLICY rls_model_monitoring__readonly ON mlops.model_monitoring;
DROP POLICY rls_deployment_history__readonly ON mlops.deployment_history;
DROP POLICY rls_deployments__readonly ON mlops.deployments;
DROP POLICY rls_run_metrics__readonly ON mlops.run_metrics;
DROP POLICY rls_model_versions__readonly ON mlops.model_versions;
DROP POLICY rls_experiment_runs__readonly ON mlops.experiment_runs;
DROP POLICY rls_experiments__readonly ON mlops.experiments;
DROP POLICY rls_models__readonly ON mlops.models;
DROP POLICY rls_project_members__readonly ON mlops.project_members;
DROP POLICY rls_projects__readonly ON mlops.projects;

GRANT UPDATE, DELETE ON core.roles TO registry_app;
GRANT INSERT, UPDATE, DELETE ON core.permissions, core.role_permissions TO registry_app;

REVOKE SELECT (id, username, email, full_name, auth_provider, is_active, last_login_at,
               created_at, updated_at, created_by, updated_by, deleted_at, deleted_by)
    ON core.users FROM registry_readonly;
REVOKE SELECT (id, application, name, key_prefix, user_id, organization_id, scopes, permissions,
               expires_at, last_used_at, last_used_ip, revoked_at, revoked_by, created_by,
               created_at, updated_at)
    ON core.api_keys FROM registry_readonly;
REVOKE SELECT (id, user_id, application, token_type, jti, issued_at, expires_at, revoked_at,
               revoked_reason, last_used_at, usage_count, max_uses, ip_address, user_agent)
    ON core.auth_tokens FROM registry_readonly;
GRANT SELECT ON core.users, core.api_keys, core.auth_tokens TO registry_readonly;

GRANT ALL PRIVILEGES ON mlops.run_metrics_ingest TO registry_owner;
GRANT INSERT, UPDATE, DELETE ON core.partitioned_tables TO registry_owner;
-- Exactly the tables that had ALL PRIVILEGES before 0025 (not core.audit_log,
-- core.partitioned_tables, model_registry.v_user_permissions).
GRANT ALL PRIVILEGES ON
    core.users, core.organizations, core.user_identities, core.organization_memberships,
    core.roles, core.permissions, core.role_permissions, core.user_roles,
    core.api_keys, core.auth_tokens,
    model_registry.packages, model_registry.package_scores, model_registry.package_lineage,
    model_registry.download_history, model_registry.system_health_metrics,
    mlops.projects, mlops.project_members, mlops.models, mlops.experiments,
    mlops.experiment_runs, mlops.model_versions, mlops.run_metrics,
    mlops.deployments, mlops.deployment_history, mlops.model_monitoring,
    mlops.data_drift_reports, mlops.alerts, mlops.notification_channels, mlops.notification_rules
    TO registry_owner;
GRANT USAGE, CREATE ON SCHEMA core, model_registry, mlops TO registry_owner;
