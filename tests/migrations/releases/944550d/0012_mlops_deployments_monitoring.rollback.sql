-- Rollback of 0012_mlops_deployments_monitoring.
--
-- WHY: removes deployments, their history, monitoring samples (all partitions
-- or chunks), drift reports, alerts and their enums. model_monitoring is
-- unregistered from core.partitioned_tables first.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-table, ban-drop-type

SET LOCAL lock_timeout = '5s';

DELETE FROM core.partitioned_tables WHERE parent = 'mlops.model_monitoring'::regclass;

DROP TABLE mlops.alerts;
DROP TABLE mlops.data_drift_reports;
DROP TABLE mlops.model_monitoring;
DROP TABLE mlops.deployment_history;
DROP TABLE mlops.deployments;

DROP TYPE mlops.alert_status;
DROP TYPE mlops.alert_severity;
DROP TYPE mlops.alert_type;
DROP TYPE mlops.deployment_action;
DROP TYPE mlops.deployment_status;
DROP TYPE mlops.deployment_environment;
