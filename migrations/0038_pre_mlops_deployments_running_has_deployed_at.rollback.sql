-- Rollback of 0038_pre_mlops_deployments_running_has_deployed_at.
--
-- WHY: drops the CHECK again. The backfilled deployed_at values stay: they are estimates
-- that were NULL before, and no later migration or query depends on them being NULL.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-constraint

SET LOCAL lock_timeout = '5s';

ALTER TABLE mlops.deployments DROP CONSTRAINT ck_deployments__running_has_deployed_at;
