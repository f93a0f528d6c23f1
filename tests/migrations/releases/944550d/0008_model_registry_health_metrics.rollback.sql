-- Rollback of 0008_model_registry_health_metrics.
--
-- WHY: removes the health-metric time series (all partitions or chunks), its
-- continuous aggregate (TimescaleDB path) and its registration in
-- core.partitioned_tables. The samples are lost (they expire after 30 days
-- anyway).

-- squawk-ignore-file ban-drop-table, ban-drop-view

SET LOCAL lock_timeout = '5s';

-- TimescaleDB path only (the continuous aggregate does not exist otherwise).
DROP MATERIALIZED VIEW IF EXISTS model_registry.system_health_metrics_1m;
DELETE FROM core.partitioned_tables
 WHERE parent = 'model_registry.system_health_metrics'::regclass;
DROP TABLE model_registry.system_health_metrics;
