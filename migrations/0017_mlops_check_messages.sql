-- 0017_mlops_check_messages: the sentences users read when a
-- mlops CHECK constraint rejects a row.
--
-- WHY: the friendly message of a constraint belongs next to the constraint, not in
-- the runtime. `registry-sql generate` reads these comments from the catalog and the
-- generated registry_sql.mlops package registers them on import, so translate_error
-- says what a valid value looks like. A comment may start with `<column>: ` to name
-- the field the message is about; otherwise the field is the first word of the
-- sentence (or the constraint's only column). Constraints without a comment get a
-- generic sentence derived from their name (ck_<table>__<column>_<rule>).
-- depends: 0016_model_registry_check_messages

SET LOCAL lock_timeout = '5s';

COMMENT ON CONSTRAINT ck_alerts__acknowledged_after_triggered ON mlops.alerts IS
    'acknowledged_at cannot be before triggered_at';
COMMENT ON CONSTRAINT ck_alerts__resolved_after_triggered ON mlops.alerts IS
    'resolved_at cannot be before triggered_at';
COMMENT ON CONSTRAINT ck_alerts__resolved_has_resolved_at ON mlops.alerts IS
    'resolved_at: a resolved alert needs resolved_at (use resolve_alert)';
COMMENT ON CONSTRAINT ck_data_drift_reports__current_window_ordered ON mlops.data_drift_reports IS
    'current_start must not be after current_end';
COMMENT ON CONSTRAINT ck_data_drift_reports__reference_window_ordered ON mlops.data_drift_reports IS
    'reference_start must not be after reference_end';
COMMENT ON CONSTRAINT ck_data_drift_reports__target_present ON mlops.data_drift_reports IS
    'deployment_id: a drift report needs a deployment_id or a model_version_id';
COMMENT ON CONSTRAINT ck_deployments__replicas_nonnegative ON mlops.deployments IS
    'replicas must be 0 or more';
COMMENT ON CONSTRAINT ck_experiment_runs__ended_after_started ON mlops.experiment_runs IS
    'ended_at cannot be before started_at';
COMMENT ON CONSTRAINT ck_experiment_runs__terminal_has_ended_at ON mlops.experiment_runs IS
    'ended_at: a finished, failed or killed run needs ended_at (use finish_run)';
COMMENT ON CONSTRAINT ck_model_monitoring__latency_nonnegative ON mlops.model_monitoring IS
    'latency_p50_ms: latencies (p50/p95/p99) must be 0 or more';
COMMENT ON CONSTRAINT ck_model_monitoring__throughput_nonnegative ON mlops.model_monitoring IS
    'throughput_rps must be 0 or more';
COMMENT ON CONSTRAINT ck_model_monitoring__error_count_range ON mlops.model_monitoring IS
    'error_count must be between 0 and request_count';
COMMENT ON CONSTRAINT ck_model_versions__artifact_size_nonnegative ON mlops.model_versions IS
    'artifact_size_bytes must be 0 or more';
COMMENT ON CONSTRAINT ck_model_versions__checksum_sha256_hex ON mlops.model_versions IS
    'checksum_sha256 must be 64 lowercase hex characters (a SHA-256 digest)';
COMMENT ON CONSTRAINT ck_models__framework_lowercase ON mlops.models IS
    'framework must be lower-case (e.g. ''xgboost'')';
COMMENT ON CONSTRAINT ck_notification_rules__cooldown_seconds_nonnegative ON mlops.notification_rules IS
    'cooldown_seconds must be 0 or more';
