-- 0039_post_mlops_deployments_validate_running_has_deployed_at: validate the CHECK added NOT
-- VALID by 0038_pre_... Expand/contract, step 2 of 2, POST-deploy.
--
-- WHY: VALIDATE CONSTRAINT scans mlops.deployments under a SHARE UPDATE EXCLUSIVE lock, which
-- does not block reads or writes, so it may run on a busy table. It runs after the release's
-- code is deployed (`registry-sql migrate --phase post`): from then on no process that could
-- write a running deployment without deployed_at is left, and rows such an old process wrote
-- between the backfill and the end of the deploy were refused by the NOT VALID check already.
-- Once validated, the planner and reviewers may rely on the rule for every row.
-- depends: 0038_pre_mlops_deployments_running_has_deployed_at

SET LOCAL lock_timeout = '5s';

ALTER TABLE mlops.deployments VALIDATE CONSTRAINT ck_deployments__running_has_deployed_at;
