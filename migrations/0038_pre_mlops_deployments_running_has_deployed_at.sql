-- 0038_pre_mlops_deployments_running_has_deployed_at: every running deployment says since
-- when it runs. Expand/contract, step 1 of 2, PRE-deploy (safe while the old code runs).
--
-- WHY: mlops.deployments.deployed_at answers "since when does this deployment serve?" (the
-- dashboards and list_active_deployments show it), but nothing in the schema guaranteed it:
-- a row imported from seed 001's ORM database, or written by a hand-made UPDATE, can be
-- `running` with deployed_at NULL. The code (update_deployment_status) always stamps it when
-- a deployment moves to running, so the rule can be enforced; this file
--   1. backfills the rows that break it (deployed_at := updated_at, the best estimate we
--      have: the last change of a running deployment is at or after the move to running);
--   2. adds the CHECK as NOT VALID: every INSERT/UPDATE from now on is checked, but the
--      existing rows are NOT scanned, so the ACCESS EXCLUSIVE lock ADD CONSTRAINT takes is
--      held for milliseconds, not for a scan of the table (squawk: adding-check-constraint /
--      constraint-missing-not-valid).
-- 0039_post_mlops_deployments_validate_running_has_deployed_at validates it after the deploy.
-- The table FORCEs row-level security: an UPDATE by the (non-superuser) owner with no tenant
-- set would silently update no row. So the backfill walks the organizations and sets the
-- tenant (app.org_id, transaction-local) for each, as the application does; it needs no
-- BYPASSRLS and no ALTER TABLE ... NO FORCE (which would hold an ACCESS EXCLUSIVE lock for the
-- whole backfill).
-- depends: 0037_mlops_column_comments

SET LOCAL lock_timeout = '5s';

DO $$
DECLARE
    org uuid;
BEGIN
    FOR org IN SELECT o.id FROM core.organizations AS o ORDER BY o.id LOOP
        PERFORM set_config('app.org_id', org::text, true);
        UPDATE mlops.deployments
        SET deployed_at = updated_at
        WHERE organization_id = org
          AND status = 'running'
          AND deployed_at IS NULL;
    END LOOP;
    PERFORM set_config('app.org_id', '', true);
END
$$;

ALTER TABLE mlops.deployments
    ADD CONSTRAINT ck_deployments__running_has_deployed_at
    CHECK (status <> 'running' OR deployed_at IS NOT NULL) NOT VALID;

COMMENT ON CONSTRAINT ck_deployments__running_has_deployed_at ON mlops.deployments IS
    'deployed_at must be set while status is running (update_deployment_status stamps it); set deployed_at, or move the deployment out of running';
