-- Rollback of 0039_post_mlops_deployments_validate_running_has_deployed_at.
--
-- WHY: PostgreSQL cannot mark a validated constraint NOT VALID again, so the rollback drops
-- the CHECK and adds it back NOT VALID: the state 0038_pre_... left (same name, same rule,
-- same comment), without scanning the table.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-constraint

SET LOCAL lock_timeout = '5s';

ALTER TABLE mlops.deployments DROP CONSTRAINT ck_deployments__running_has_deployed_at;

ALTER TABLE mlops.deployments
    ADD CONSTRAINT ck_deployments__running_has_deployed_at
    CHECK (status <> 'running' OR deployed_at IS NOT NULL) NOT VALID;

COMMENT ON CONSTRAINT ck_deployments__running_has_deployed_at ON mlops.deployments IS
    'deployed_at must be set while status is running (update_deployment_status stamps it); set deployed_at, or move the deployment out of running';
