-- 0025_core_least_privilege: every group role gets exactly the privileges
-- docs/security.md lists in its privilege matrix, and nothing else.
--
-- WHY: a hostile review (issue 19) found that the groups held more than they
-- use:
--   * registry_owner had ALL PRIVILEGES on every table (TRIGGER, REFERENCES,
--     TRUNCATE, and MAINTAIN on PG 17+) and CREATE on every schema. A member
--     that owns nothing could plant a trigger on mlops.projects that copied
--     another tenant's rows into its own table, or TRUNCATE around row-level
--     security. The objects are owned by the migrating login; the group needs
--     DML only (operators' corrections, subject to RLS and the triggers).
--   * registry_readonly could read the credential hashes (users.hashed_password,
--     api_keys.key_hash, auth_tokens.token_hash): it now gets column privileges
--     on every other column of those tables. A column added later to one of
--     them needs its own GRANT SELECT (col) to registry_readonly.
--   * registry_app could rename or delete system roles and permissions: roles,
--     permissions and role_permissions are reference data written by
--     migrations; the application creates roles (ensure_roles) and reads them.
--   * PUBLIC kept CONNECT and TEMPORARY on the database: only the three groups
--     may connect now, nobody creates temporary tables. (Database privileges
--     belong to the database this migration runs in: CREATE DATABASE ...
--     TEMPLATE and pg_dump without --create do not carry them; see
--     docs/security.md.)
--   * registry_readonly is the platform-wide reader (reporting, support): a
--     custom setting such as app.org_id cannot be restricted per role, so a
--     reader could always pick any tenant. That power is now explicit: a
--     SELECT-only policy shows it every tenant's rows without setting a tenant.
-- Partitions lose their direct grants in 0027 (core.maintain_partitions).
-- depends: 0013_mlops_notifications

SET LOCAL lock_timeout = '5s';

-- ---------------------------------------------------------------------------
-- registry_owner: no CREATE on the schemas (the migrating login owns them and
-- needs no grant), no TRIGGER / REFERENCES / TRUNCATE on any table.
-- ---------------------------------------------------------------------------
REVOKE CREATE ON SCHEMA core, model_registry, mlops FROM registry_owner;
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA core, model_registry, mlops
    FROM registry_owner;
-- MAINTAIN (VACUUM, ANALYZE, REINDEX, CLUSTER, LOCK TABLE) exists from PG 17;
-- older servers would not parse it.
DO $maintain$
BEGIN
    IF current_setting('server_version_num')::integer >= 170000 THEN
        EXECUTE 'REVOKE MAINTAIN ON ALL TABLES IN SCHEMA core, model_registry, mlops FROM registry_owner';
    END IF;
END
$maintain$;
-- The partition registry decides what maintain_partitions drops: only its
-- owner (the migrating login) may change it.
REVOKE INSERT, UPDATE, DELETE ON core.partitioned_tables FROM registry_owner;
-- The ingest view takes INSERT (COPY FROM) only.
REVOKE SELECT, UPDATE, DELETE ON mlops.run_metrics_ingest FROM registry_owner;

-- ---------------------------------------------------------------------------
-- registry_readonly: no credential hashes.
-- ---------------------------------------------------------------------------
REVOKE SELECT ON core.users, core.api_keys, core.auth_tokens FROM registry_readonly;
GRANT SELECT (id, username, email, full_name, auth_provider, is_active, last_login_at,
              created_at, updated_at, created_by, updated_by, deleted_at, deleted_by)
    ON core.users TO registry_readonly;
GRANT SELECT (id, application, name, key_prefix, user_id, organization_id, scopes, permissions,
              expires_at, last_used_at, last_used_ip, revoked_at, revoked_by, created_by,
              created_at, updated_at)
    ON core.api_keys TO registry_readonly;
GRANT SELECT (id, user_id, application, token_type, jti, issued_at, expires_at, revoked_at,
              revoked_reason, last_used_at, usage_count, max_uses, ip_address, user_agent)
    ON core.auth_tokens TO registry_readonly;

-- ---------------------------------------------------------------------------
-- registry_app: RBAC reference data is read-only; roles may be created.
-- ---------------------------------------------------------------------------
REVOKE UPDATE, DELETE ON core.roles FROM registry_app;
REVOKE INSERT, UPDATE, DELETE ON core.permissions, core.role_permissions FROM registry_app;

-- ---------------------------------------------------------------------------
-- registry_readonly reads every tenant (see WHY). One SELECT policy per table
-- under row-level security in mlops; the tenant policies stay as they are.
-- ---------------------------------------------------------------------------
CREATE POLICY rls_projects__readonly ON mlops.projects FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_project_members__readonly ON mlops.project_members FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_models__readonly ON mlops.models FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_experiments__readonly ON mlops.experiments FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_experiment_runs__readonly ON mlops.experiment_runs FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_model_versions__readonly ON mlops.model_versions FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_run_metrics__readonly ON mlops.run_metrics FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_deployments__readonly ON mlops.deployments FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_deployment_history__readonly ON mlops.deployment_history FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_model_monitoring__readonly ON mlops.model_monitoring FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_data_drift_reports__readonly ON mlops.data_drift_reports FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_alerts__readonly ON mlops.alerts FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_notification_channels__readonly ON mlops.notification_channels FOR SELECT TO registry_readonly USING (true);
CREATE POLICY rls_notification_rules__readonly ON mlops.notification_rules FOR SELECT TO registry_readonly USING (true);

-- ---------------------------------------------------------------------------
-- The database: only the groups connect; nobody creates temporary objects.
-- Only the database owner (or a superuser) can change these; another migrating
-- role gets a WARNING from REVOKE/GRANT and the defaults stay (documented).
-- format(%I) quotes current_database(); GRANT takes no bind parameters.
-- ---------------------------------------------------------------------------
DO $database$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO registry_owner, registry_app, registry_readonly',
                   current_database());
END
$database$;
