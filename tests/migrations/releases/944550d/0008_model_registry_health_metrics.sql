-- 0008_model_registry_health_metrics: the observability time series of seed
-- 000 (SystemHealthMetric: "Observability metrics").
--
-- WHY: the registry's health dashboard reads recent metric samples
-- (request_latency_ms, error_count, cpu_percent, ...) rolled up per minute or
-- hour. Samples are high-volume and short-lived, so it is a time series
-- (DESIGN §7) with the catalog's 30-day retention (§1.0.7):
--   * TimescaleDB installed and preloaded: hypertable, 1-day chunks; with the
--     community build also a 30-day retention policy and the continuous
--     aggregate model_registry.system_health_metrics_1m (avg/min/max per
--     minute per metric, created WITH NO DATA and filled by its policy);
--   * otherwise: native PARTITION BY RANGE (recorded_at), daily partitions
--     with a DEFAULT partition, registered in core.partitioned_tables with
--     retention 30 days: core.maintain_partitions() drops older days.
-- PRIMARY KEY (id, recorded_at): the time column is in every unique key.
-- depends: 0007_model_registry_download_history

-- squawk cannot see the CREATE TABLE inside the DO block below, so it asks for
-- CREATE INDEX CONCURRENTLY; the table is new and empty in this very
-- transaction, and neither partitioned tables nor hypertables support it.
-- squawk-ignore-file require-concurrent-index-creation

SET LOCAL lock_timeout = '5s';

DO $health$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'timescaledb')
       AND current_setting('shared_preload_libraries') LIKE '%timescaledb%'
    THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;

        CREATE TABLE model_registry.system_health_metrics (
            id           uuid             NOT NULL DEFAULT gen_random_uuid(),
            metric_name  text             NOT NULL,
            metric_value double precision NOT NULL,
            unit         text             NULL,
            labels       jsonb            NOT NULL DEFAULT '{}'::jsonb,
            recorded_at  timestamptz      NOT NULL DEFAULT now(),
            CONSTRAINT system_health_metrics_pkey PRIMARY KEY (id, recorded_at),
            CONSTRAINT ck_system_health_metrics__name_nonempty CHECK (length(metric_name) > 0),
            CONSTRAINT ck_system_health_metrics__labels_object CHECK (jsonb_typeof(labels) = 'object')
        );

        PERFORM create_hypertable('model_registry.system_health_metrics',
                                  by_range('recorded_at', INTERVAL '1 day'),
                                  create_default_indexes => false);

        -- Retention (no compression: samples expire first); policies and continuous aggregates
        -- exist only in the community (Timescale License) build.
        IF current_setting('timescaledb.license', true) = 'timescale' THEN
            PERFORM add_retention_policy('model_registry.system_health_metrics', INTERVAL '30 days');
            -- WITH NO DATA: WITH DATA cannot run inside a transaction block.
            EXECUTE $cagg$
                CREATE MATERIALIZED VIEW model_registry.system_health_metrics_1m
                WITH (timescaledb.continuous) AS
                SELECT metric_name,
                       time_bucket(INTERVAL '1 minute', recorded_at) AS bucket,
                       count(*)          AS samples,
                       avg(metric_value) AS avg_value,
                       min(metric_value) AS min_value,
                       max(metric_value) AS max_value
                  FROM model_registry.system_health_metrics
                 GROUP BY metric_name, time_bucket(INTERVAL '1 minute', recorded_at)
                WITH NO DATA
            $cagg$;
            PERFORM add_continuous_aggregate_policy('model_registry.system_health_metrics_1m',
                                                    start_offset      => INTERVAL '2 hours',
                                                    end_offset        => INTERVAL '1 minute',
                                                    schedule_interval => INTERVAL '1 minute');
            GRANT SELECT ON model_registry.system_health_metrics_1m
                TO registry_app, registry_readonly, registry_owner;
        END IF;
    ELSE
        CREATE TABLE model_registry.system_health_metrics (
            id           uuid             NOT NULL DEFAULT gen_random_uuid(),
            metric_name  text             NOT NULL,
            metric_value double precision NOT NULL,
            unit         text             NULL,
            labels       jsonb            NOT NULL DEFAULT '{}'::jsonb,
            recorded_at  timestamptz      NOT NULL DEFAULT now(),
            CONSTRAINT system_health_metrics_pkey PRIMARY KEY (id, recorded_at),
            CONSTRAINT ck_system_health_metrics__name_nonempty CHECK (length(metric_name) > 0),
            CONSTRAINT ck_system_health_metrics__labels_object CHECK (jsonb_typeof(labels) = 'object')
        ) PARTITION BY RANGE (recorded_at);

        CREATE TABLE model_registry.system_health_metrics_default
            PARTITION OF model_registry.system_health_metrics DEFAULT;
    END IF;
END
$health$;

COMMENT ON TABLE model_registry.system_health_metrics IS
    'Observability samples (metric_name, metric_value, labels) of the registry service. Time-partitioned on recorded_at; kept 30 days.';

CREATE INDEX ix_system_health_metrics__recorded_at ON model_registry.system_health_metrics
    (recorded_at DESC);
-- Per-metric windows and rollups.
CREATE INDEX ix_system_health_metrics__name_time ON model_registry.system_health_metrics
    (metric_name, recorded_at DESC);

REVOKE ALL ON model_registry.system_health_metrics FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON model_registry.system_health_metrics TO registry_app;
GRANT SELECT ON model_registry.system_health_metrics TO registry_readonly;
GRANT ALL PRIVILEGES ON model_registry.system_health_metrics TO registry_owner;

-- Native path only: register (daily partitions, 3 ahead, dropped after 30
-- days) and create the first partitions now.
DO $register$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table
                WHERE partrelid = 'model_registry.system_health_metrics'::regclass) THEN
        INSERT INTO core.partitioned_tables (parent, partition_interval, premake, retention)
        VALUES ('model_registry.system_health_metrics'::regclass, INTERVAL '1 day', 3, INTERVAL '30 days');
        PERFORM core.maintain_partitions();
    END IF;
END
$register$;
