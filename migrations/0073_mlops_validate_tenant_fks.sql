-- 0073_mlops_validate_tenant_fks: validate the eight foreign keys 0072 added NOT VALID.
--
-- WHY: VALIDATE CONSTRAINT scans the referencing table under a SHARE UPDATE EXCLUSIVE lock,
-- which does not block reads or writes, so it runs in its own transaction, after 0072's short
-- exclusive locks are released. The rows already satisfy the keys (0072 replaced keys on the
-- same columns), so validation cannot fail; once validated, every row is known to satisfy
-- them (pg_constraint.convalidated), as before 0072.
-- depends: 0072_mlops_tenant_fks_no_action

SET LOCAL lock_timeout = '5s';

ALTER TABLE mlops.experiments VALIDATE CONSTRAINT fk_experiments__model_id;
ALTER TABLE mlops.model_versions VALIDATE CONSTRAINT fk_model_versions__source_run_id;
ALTER TABLE mlops.deployment_history VALIDATE CONSTRAINT fk_deployment_history__from_model_version_id;
ALTER TABLE mlops.deployment_history VALIDATE CONSTRAINT fk_deployment_history__to_model_version_id;
ALTER TABLE mlops.data_drift_reports VALIDATE CONSTRAINT fk_data_drift_reports__model_version_id;
ALTER TABLE mlops.alerts VALIDATE CONSTRAINT fk_alerts__deployment_id;
ALTER TABLE mlops.alerts VALIDATE CONSTRAINT fk_alerts__data_drift_report_id;
ALTER TABLE mlops.alerts VALIDATE CONSTRAINT fk_alerts__notification_rule_id;
