-- Rollback of 0072_mlops_tenant_fks_no_action: the nine keys ON DELETE SET NULL (<column>)
-- again, as 0011, 0012 and 0013 declared them (same names; on a database distributed with Citus
-- this rollback fails, as those migrations would: roll back only on plain PostgreSQL).
--
-- WHY: the state before 0072, for rollback round trips.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-constraint

SET LOCAL lock_timeout = '5s';

ALTER TABLE mlops.experiments DROP CONSTRAINT fk_experiments__model_id;
ALTER TABLE mlops.experiments ADD CONSTRAINT fk_experiments__model_id
    FOREIGN KEY (organization_id, model_id)
        REFERENCES mlops.models (organization_id, id) ON DELETE SET NULL (model_id);

ALTER TABLE mlops.model_versions DROP CONSTRAINT fk_model_versions__source_run_id;
ALTER TABLE mlops.model_versions ADD CONSTRAINT fk_model_versions__source_run_id
    FOREIGN KEY (organization_id, source_run_id)
        REFERENCES mlops.experiment_runs (organization_id, id) ON DELETE SET NULL (source_run_id);

ALTER TABLE mlops.deployment_history DROP CONSTRAINT fk_deployment_history__from_model_version_id;
ALTER TABLE mlops.deployment_history ADD CONSTRAINT fk_deployment_history__from_model_version_id
    FOREIGN KEY (organization_id, from_model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (from_model_version_id);

ALTER TABLE mlops.deployment_history DROP CONSTRAINT fk_deployment_history__to_model_version_id;
ALTER TABLE mlops.deployment_history ADD CONSTRAINT fk_deployment_history__to_model_version_id
    FOREIGN KEY (organization_id, to_model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (to_model_version_id);

ALTER TABLE mlops.model_monitoring DROP CONSTRAINT fk_model_monitoring__model_version_id;
ALTER TABLE mlops.model_monitoring ADD CONSTRAINT fk_model_monitoring__model_version_id
    FOREIGN KEY (organization_id, model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (model_version_id);

ALTER TABLE mlops.data_drift_reports DROP CONSTRAINT fk_data_drift_reports__model_version_id;
ALTER TABLE mlops.data_drift_reports ADD CONSTRAINT fk_data_drift_reports__model_version_id
    FOREIGN KEY (organization_id, model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (model_version_id);

ALTER TABLE mlops.alerts DROP CONSTRAINT fk_alerts__deployment_id;
ALTER TABLE mlops.alerts ADD CONSTRAINT fk_alerts__deployment_id
    FOREIGN KEY (organization_id, deployment_id)
        REFERENCES mlops.deployments (organization_id, id) ON DELETE SET NULL (deployment_id);

ALTER TABLE mlops.alerts DROP CONSTRAINT fk_alerts__data_drift_report_id;
ALTER TABLE mlops.alerts ADD CONSTRAINT fk_alerts__data_drift_report_id
    FOREIGN KEY (organization_id, data_drift_report_id)
        REFERENCES mlops.data_drift_reports (organization_id, id) ON DELETE SET NULL (data_drift_report_id);

ALTER TABLE mlops.alerts DROP CONSTRAINT fk_alerts__notification_rule_id;
ALTER TABLE mlops.alerts ADD CONSTRAINT fk_alerts__notification_rule_id
    FOREIGN KEY (organization_id, notification_rule_id)
        REFERENCES mlops.notification_rules (organization_id, id) ON DELETE SET NULL (notification_rule_id);
