-- Rollback of 0073_mlops_validate_tenant_fks: the eight foreign keys NOT VALID again, as 0072
-- left them.
--
-- WHY: PostgreSQL cannot mark a validated constraint NOT VALID again, so each key is dropped and
-- added again under the same name, NOT VALID (the definition 0072 gave it). Adding a key NOT
-- VALID scans nothing: a short lock on the two tables. The rows satisfy the keys anyway; what
-- changes is only pg_constraint.convalidated, so that applying 0073 again validates them as it
-- did the first time. (mlops.model_monitoring's key was added valid by 0072: not touched.)

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-constraint

SET LOCAL lock_timeout = '5s';

ALTER TABLE mlops.experiments DROP CONSTRAINT fk_experiments__model_id;
ALTER TABLE mlops.experiments ADD CONSTRAINT fk_experiments__model_id
    FOREIGN KEY (organization_id, model_id)
        REFERENCES mlops.models (organization_id, id) ON DELETE NO ACTION NOT VALID;

ALTER TABLE mlops.model_versions DROP CONSTRAINT fk_model_versions__source_run_id;
ALTER TABLE mlops.model_versions ADD CONSTRAINT fk_model_versions__source_run_id
    FOREIGN KEY (organization_id, source_run_id)
        REFERENCES mlops.experiment_runs (organization_id, id) ON DELETE NO ACTION NOT VALID;

ALTER TABLE mlops.deployment_history DROP CONSTRAINT fk_deployment_history__from_model_version_id;
ALTER TABLE mlops.deployment_history ADD CONSTRAINT fk_deployment_history__from_model_version_id
    FOREIGN KEY (organization_id, from_model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE NO ACTION NOT VALID;

ALTER TABLE mlops.deployment_history DROP CONSTRAINT fk_deployment_history__to_model_version_id;
ALTER TABLE mlops.deployment_history ADD CONSTRAINT fk_deployment_history__to_model_version_id
    FOREIGN KEY (organization_id, to_model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE NO ACTION NOT VALID;

ALTER TABLE mlops.data_drift_reports DROP CONSTRAINT fk_data_drift_reports__model_version_id;
ALTER TABLE mlops.data_drift_reports ADD CONSTRAINT fk_data_drift_reports__model_version_id
    FOREIGN KEY (organization_id, model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE NO ACTION NOT VALID;

ALTER TABLE mlops.alerts DROP CONSTRAINT fk_alerts__deployment_id;
ALTER TABLE mlops.alerts ADD CONSTRAINT fk_alerts__deployment_id
    FOREIGN KEY (organization_id, deployment_id)
        REFERENCES mlops.deployments (organization_id, id) ON DELETE NO ACTION NOT VALID;

ALTER TABLE mlops.alerts DROP CONSTRAINT fk_alerts__data_drift_report_id;
ALTER TABLE mlops.alerts ADD CONSTRAINT fk_alerts__data_drift_report_id
    FOREIGN KEY (organization_id, data_drift_report_id)
        REFERENCES mlops.data_drift_reports (organization_id, id) ON DELETE NO ACTION NOT VALID;

ALTER TABLE mlops.alerts DROP CONSTRAINT fk_alerts__notification_rule_id;
ALTER TABLE mlops.alerts ADD CONSTRAINT fk_alerts__notification_rule_id
    FOREIGN KEY (organization_id, notification_rule_id)
        REFERENCES mlops.notification_rules (organization_id, id) ON DELETE NO ACTION NOT VALID;
