-- Rollback of 0011_mlops_models_experiments.
--
-- WHY: removes models, versions, experiments, runs and run metrics (with all
-- their partitions or chunks), the ingest view, the functions and the enums.
-- run_metrics is unregistered from core.partitioned_tables first, so partition
-- maintenance does not trip over a dropped table.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-function, ban-drop-table, ban-drop-type

SET LOCAL lock_timeout = '5s';

DELETE FROM core.partitioned_tables WHERE parent = 'mlops.run_metrics'::regclass;

DROP VIEW mlops.run_metrics_ingest;
DROP FUNCTION mlops.ingest_run_metric();
DROP TABLE mlops.run_metrics;
DROP FUNCTION mlops.demote_production_versions(uuid, uuid, mlops.model_version_stage, uuid);
DROP FUNCTION mlops.next_model_version(uuid, uuid);
DROP TABLE mlops.model_versions;
DROP TABLE mlops.experiment_runs;
DROP FUNCTION mlops.forbid_param_overwrite();
DROP TABLE mlops.experiments;
DROP TABLE mlops.models;

DROP TYPE mlops.run_status;
DROP TYPE mlops.experiment_status;
DROP TYPE mlops.model_version_status;
DROP TYPE mlops.model_version_stage;
