-- 0072_mlops_tenant_fks_no_action: the nine tenant foreign keys declared ON DELETE SET NULL
-- (<column>) become NO ACTION, so that the mlops schema can be distributed with Citus.
--
-- WHY: every foreign key between tenant tables includes organization_id, the distribution
-- column (DESIGN §12), and Citus refuses ON DELETE SET NULL / SET DEFAULT on a foreign key that
-- includes it, even in the column-list form that would never null organization_id (measured on
-- Citus 14.0.1: `registry-sql distribute` stops at the first of them).
-- Behaviour change, on every engine: hard-deleting a row that such a column still references
-- now fails with 23503 naming the constraint (registry_sql: ForeignKeyMissing) instead of
-- setting the column to NULL. Nothing in the application hard-deletes these parents: models,
-- runs, versions, deployments, reports and rules are soft-deleted (deleted_at) by the queries
-- in sql/mlops/; and deleting a project or an organization still works, because its cascades
-- remove the referencing rows in the same statement and NO ACTION is checked at the end of
-- the statement. A purge that removes a parent alone must first clear or delete what points to
-- it (docs/scale-out.md, "What changes for a service").
-- Each key is dropped and added again under the same name, NOT VALID; 0073 validates them in
-- its own transaction (the rows satisfy them already: the old keys enforced the same reference). model_monitoring is partitioned
-- (a hypertable on TimescaleDB): PostgreSQL before 18 cannot add a NOT VALID foreign key to a
-- partitioned table, so that one is added valid (one scan of the table under the lock).
-- depends: 0013_mlops_notifications 0020_core_statement_timestamps

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

-- Partitioned (see above): added valid.
ALTER TABLE mlops.model_monitoring DROP CONSTRAINT fk_model_monitoring__model_version_id;
-- squawk-ignore constraint-missing-not-valid, adding-foreign-key-constraint
ALTER TABLE mlops.model_monitoring ADD CONSTRAINT fk_model_monitoring__model_version_id
    FOREIGN KEY (organization_id, model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE NO ACTION;

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
