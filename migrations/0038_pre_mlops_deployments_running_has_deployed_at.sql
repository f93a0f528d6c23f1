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
-- row_security = off: the table FORCEs row-level security, so without it the backfill, run by
-- a non-superuser owner with no app.org_id set, would silently update no row; with it, such a
-- run fails loudly instead (run migrations as a role with BYPASSRLS or as superuser).
-- depends: 0037_mlops_column_comments

SET LOCAL lock_timeout = '5s';
SET LOCAL row_security = off;

UPDATE mlops.deployments
SET deployed_at = updated_at
WHERE status = 'running'
  AND deployed_at IS NULL;

ALTER TABLE mlops.deployments
    ADD CONSTRAINT ck_deployments__running_has_deployed_at
    CHECK (status <> 'running' OR deployed_at IS NOT NULL) NOT VALID;

COMMENT ON CONSTRAINT ck_deployments__running_has_deployed_at ON mlops.deployments IS
    'deployed_at must be set while status is running (update_deployment_status stamps it); set deployed_at, or move the deployment out of running';
