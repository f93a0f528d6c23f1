-- Rollback of 0017_mlops_check_messages.
--
-- WHY: removes the comments; the generic sentences derived from the constraint
-- names apply again.

SET LOCAL lock_timeout = '5s';

COMMENT ON CONSTRAINT ck_alerts__acknowledged_after_triggered ON mlops.alerts IS NULL;
COMMENT ON CONSTRAINT ck_alerts__resolved_after_triggered ON mlops.alerts IS NULL;
COMMENT ON CONSTRAINT ck_alerts__resolved_has_resolved_at ON mlops.alerts IS NULL;
COMMENT ON CONSTRAINT ck_data_drift_reports__current_window_ordered ON mlops.data_drift_reports IS NULL;
COMMENT ON CONSTRAINT ck_data_drift_reports__reference_window_ordered ON mlops.data_drift_reports IS NULL;
COMMENT ON CONSTRAINT ck_data_drift_reports__target_present ON mlops.data_drift_reports IS NULL;
COMMENT ON CONSTRAINT ck_deployments__replicas_nonnegative ON mlops.deployments IS NULL;
COMMENT ON CONSTRAINT ck_experiment_runs__ended_after_started ON mlops.experiment_runs IS NULL;
COMMENT ON CONSTRAINT ck_experiment_runs__terminal_has_ended_at ON mlops.experiment_runs IS NULL;
COMMENT ON CONSTRAINT ck_model_monitoring__latency_nonnegative ON mlops.model_monitoring IS NULL;
COMMENT ON CONSTRAINT ck_model_monitoring__throughput_nonnegative ON mlops.model_monitoring IS NULL;
COMMENT ON CONSTRAINT ck_model_monitoring__error_count_range ON mlops.model_monitoring IS NULL;
COMMENT ON CONSTRAINT ck_model_versions__artifact_size_nonnegative ON mlops.model_versions IS NULL;
COMMENT ON CONSTRAINT ck_model_versions__checksum_sha256_hex ON mlops.model_versions IS NULL;
COMMENT ON CONSTRAINT ck_models__framework_lowercase ON mlops.models IS NULL;
COMMENT ON CONSTRAINT ck_notification_rules__cooldown_seconds_nonnegative ON mlops.notification_rules IS NULL;
