-- 0012_mlops_deployments_monitoring: deployments and their history, model
-- monitoring, data drift reports and alerts (seed 001, Alembic revision
-- 003_deployments_monitoring).
--
-- WHY: "Deployments serve Model Versions and belong to Projects", with
-- "Deployment action history", "Real-time model performance metrics", "Data
-- drift detection results" and "System alerts". Tenant-keyed, RLS, soft
-- deletes as in 0010. deployment_history and model_monitoring are append-only
-- (catalog C18): registry_app may INSERT and SELECT them, nothing else.
-- model_monitoring is a time series (DESIGN §7): TimescaleDB hypertable with
-- 1-day chunks, or native weekly partitions, kept 400 days.
-- alerts.notification_rule_id gets its foreign key in 0013, with the rules.
-- depends: 0011_mlops_models_experiments

-- squawk cannot see the CREATE TABLE inside the DO block below, so it asks for
-- CREATE INDEX CONCURRENTLY on model_monitoring; the table is new and empty in
-- this very transaction, and neither partitioned tables nor hypertables
-- support it.
-- squawk-ignore-file require-concurrent-index-creation

SET LOCAL lock_timeout = '5s';

CREATE TYPE mlops.deployment_environment AS ENUM ('development', 'staging', 'production');
CREATE TYPE mlops.deployment_status AS ENUM
    ('pending', 'deploying', 'running', 'updating', 'degraded', 'failed', 'stopped');
CREATE TYPE mlops.deployment_action AS ENUM
    ('create', 'deploy', 'update', 'scale', 'rollback', 'promote', 'stop', 'delete');
CREATE TYPE mlops.alert_type AS ENUM
    ('performance_degradation', 'data_drift', 'error_rate', 'latency', 'deployment_failure',
     'resource_usage', 'custom');
-- Ascending, so that `severity >= 'error'` works.
CREATE TYPE mlops.alert_severity AS ENUM ('info', 'warning', 'error', 'critical');
CREATE TYPE mlops.alert_status AS ENUM ('open', 'acknowledged', 'resolved', 'suppressed');
COMMENT ON TYPE mlops.alert_severity IS 'Alert severity, declared in ascending order (comparisons work).';

-- ---------------------------------------------------------------------------
-- mlops.deployments
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.deployments (
    organization_id  uuid                         NOT NULL,
    id               uuid                         NOT NULL DEFAULT gen_random_uuid(),
    project_id       uuid                         NOT NULL,
    model_version_id uuid                         NOT NULL,
    name             text                         NOT NULL,
    description      text                         NULL,
    environment      mlops.deployment_environment NOT NULL,
    status           mlops.deployment_status      NOT NULL DEFAULT 'pending',
    endpoint_url     text                         NULL,
    -- Small bounded counts (CHECKed): integer/smallint are ample.
    -- squawk-ignore prefer-bigint-over-int
    replicas         integer                      NOT NULL DEFAULT 1,
    resources        jsonb                        NOT NULL DEFAULT '{}'::jsonb,
    config           jsonb                        NOT NULL DEFAULT '{}'::jsonb,
    -- squawk-ignore prefer-bigint-over-smallint
    traffic_percent  smallint                     NOT NULL DEFAULT 100,
    deployed_at      timestamptz                  NULL,
    deployed_by      uuid                         NULL,
    created_at       timestamptz                  NOT NULL DEFAULT now(),
    updated_at       timestamptz                  NOT NULL DEFAULT now(),
    created_by       uuid                         NULL,
    updated_by       uuid                         NULL,
    deleted_at       timestamptz                  NULL,
    deleted_by       uuid                         NULL,
    CONSTRAINT deployments_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_deployments__name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_deployments__replicas_nonnegative CHECK (replicas >= 0),
    CONSTRAINT ck_deployments__traffic_percent_range CHECK (traffic_percent BETWEEN 0 AND 100),
    CONSTRAINT ck_deployments__resources_object CHECK (jsonb_typeof(resources) = 'object'),
    CONSTRAINT ck_deployments__config_object CHECK (jsonb_typeof(config) = 'object'),
    CONSTRAINT fk_deployments__project_id FOREIGN KEY (organization_id, project_id)
        REFERENCES mlops.projects (organization_id, id) ON DELETE CASCADE,
    -- NO ACTION: a served version cannot be purged from under its deployment.
    CONSTRAINT fk_deployments__model_version_id FOREIGN KEY (organization_id, model_version_id)
        REFERENCES mlops.model_versions (organization_id, id),
    CONSTRAINT fk_deployments__deployed_by FOREIGN KEY (deployed_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_deployments__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_deployments__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_deployments__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.deployments IS
    'Model versions served in an environment. Every change is recorded in deployment_history by the queries that make it. RLS on organization_id; soft delete.';

-- Also serves fk_deployments__project_id.
CREATE UNIQUE INDEX uq_deployments__org_project_env_name
    ON mlops.deployments (organization_id, project_id, environment, name)
    WHERE deleted_at IS NULL;
CREATE INDEX ix_deployments__model_version_id ON mlops.deployments (organization_id, model_version_id);
CREATE INDEX ix_deployments__status ON mlops.deployments (organization_id, status)
    WHERE deleted_at IS NULL;

CREATE TRIGGER trg_deployments__set_updated_at
    BEFORE UPDATE ON mlops.deployments
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- mlops.deployment_history: append-only action log of a deployment (a regular
-- table: low volume).
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.deployment_history (
    organization_id       uuid                     NOT NULL,
    id                    uuid                     NOT NULL DEFAULT gen_random_uuid(),
    deployment_id         uuid                     NOT NULL,
    action                mlops.deployment_action  NOT NULL,
    from_model_version_id uuid                     NULL,
    to_model_version_id   uuid                     NULL,
    previous_status       mlops.deployment_status  NULL,
    new_status            mlops.deployment_status  NULL,
    config_snapshot       jsonb                    NULL,
    notes                 text                     NULL,
    performed_by          uuid                     NULL,
    created_at            timestamptz              NOT NULL DEFAULT now(),
    CONSTRAINT deployment_history_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_deployment_history__config_snapshot_object
        CHECK (jsonb_typeof(config_snapshot) = 'object'),
    CONSTRAINT fk_deployment_history__deployment_id FOREIGN KEY (organization_id, deployment_id)
        REFERENCES mlops.deployments (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_deployment_history__from_model_version_id FOREIGN KEY (organization_id, from_model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (from_model_version_id),
    CONSTRAINT fk_deployment_history__to_model_version_id FOREIGN KEY (organization_id, to_model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (to_model_version_id),
    CONSTRAINT fk_deployment_history__performed_by FOREIGN KEY (performed_by)
        REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.deployment_history IS
    'Append-only history of deployment actions (registry_app: INSERT and SELECT only). RLS on organization_id.';

-- Also serves fk_deployment_history__deployment_id.
CREATE INDEX ix_deployment_history__deployment_time
    ON mlops.deployment_history (organization_id, deployment_id, created_at DESC);
CREATE INDEX ix_deployment_history__to_model_version_id
    ON mlops.deployment_history (organization_id, to_model_version_id);
CREATE INDEX ix_deployment_history__from_model_version_id
    ON mlops.deployment_history (organization_id, from_model_version_id);

-- ---------------------------------------------------------------------------
-- mlops.model_monitoring: append-only time series of serving metrics.
-- PK (organization_id, id, recorded_at) includes the time column.
-- ---------------------------------------------------------------------------
DO $model_monitoring$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb') THEN
        CREATE TABLE mlops.model_monitoring (
            organization_id  uuid             NOT NULL,
            id               uuid             NOT NULL DEFAULT gen_random_uuid(),
            deployment_id    uuid             NOT NULL,
            model_version_id uuid             NULL,
            recorded_at      timestamptz      NOT NULL DEFAULT now(),
            window_seconds   integer          NOT NULL DEFAULT 60,
            request_count    bigint           NOT NULL DEFAULT 0,
            error_count      bigint           NOT NULL DEFAULT 0,
            latency_p50_ms   double precision NULL,
            latency_p95_ms   double precision NULL,
            latency_p99_ms   double precision NULL,
            throughput_rps   double precision NULL,
            accuracy         double precision NULL,
            custom_metrics   jsonb            NOT NULL DEFAULT '{}'::jsonb,
            CONSTRAINT model_monitoring_pkey PRIMARY KEY (organization_id, id, recorded_at),
            CONSTRAINT ck_model_monitoring__window_seconds_positive CHECK (window_seconds > 0),
            -- 0 <= error_count <= request_count (so request_count >= 0 too).
            CONSTRAINT ck_model_monitoring__error_count_range CHECK (error_count BETWEEN 0 AND request_count),
            CONSTRAINT ck_model_monitoring__latency_nonnegative
                CHECK (latency_p50_ms >= 0 AND latency_p95_ms >= 0 AND latency_p99_ms >= 0),
            CONSTRAINT ck_model_monitoring__throughput_nonnegative CHECK (throughput_rps >= 0),
            CONSTRAINT ck_model_monitoring__accuracy_range CHECK (accuracy BETWEEN 0 AND 1),
            CONSTRAINT ck_model_monitoring__custom_metrics_object CHECK (jsonb_typeof(custom_metrics) = 'object'),
            CONSTRAINT fk_model_monitoring__deployment_id FOREIGN KEY (organization_id, deployment_id)
                REFERENCES mlops.deployments (organization_id, id) ON DELETE CASCADE,
            CONSTRAINT fk_model_monitoring__model_version_id FOREIGN KEY (organization_id, model_version_id)
                REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (model_version_id)
        );
        -- 1-day chunks (catalog §1.1.7); default indexes off.
        PERFORM create_hypertable('mlops.model_monitoring',
                                  by_range('recorded_at', INTERVAL '1 day'),
                                  create_default_indexes => false);
        -- Compression and retention: community (Timescale License) build only.
        -- No continuous aggregates: a materialized view has no row-level
        -- security, so an aggregate over all tenants would leak across them;
        -- the rollup queries bucket the hypertable itself.
        IF current_setting('timescaledb.license', true) = 'timescale' THEN
            ALTER TABLE mlops.model_monitoring SET (
                timescaledb.compress,
                timescaledb.compress_segmentby = 'organization_id, deployment_id',
                timescaledb.compress_orderby = 'recorded_at DESC, id'
            );
            PERFORM add_compression_policy('mlops.model_monitoring', INTERVAL '7 days');
            PERFORM add_retention_policy('mlops.model_monitoring', INTERVAL '400 days');
        END IF;
    ELSE
        CREATE TABLE mlops.model_monitoring (
            organization_id  uuid             NOT NULL,
            id               uuid             NOT NULL DEFAULT gen_random_uuid(),
            deployment_id    uuid             NOT NULL,
            model_version_id uuid             NULL,
            recorded_at      timestamptz      NOT NULL DEFAULT now(),
            window_seconds   integer          NOT NULL DEFAULT 60,
            request_count    bigint           NOT NULL DEFAULT 0,
            error_count      bigint           NOT NULL DEFAULT 0,
            latency_p50_ms   double precision NULL,
            latency_p95_ms   double precision NULL,
            latency_p99_ms   double precision NULL,
            throughput_rps   double precision NULL,
            accuracy         double precision NULL,
            custom_metrics   jsonb            NOT NULL DEFAULT '{}'::jsonb,
            CONSTRAINT model_monitoring_pkey PRIMARY KEY (organization_id, id, recorded_at),
            CONSTRAINT ck_model_monitoring__window_seconds_positive CHECK (window_seconds > 0),
            -- 0 <= error_count <= request_count (so request_count >= 0 too).
            CONSTRAINT ck_model_monitoring__error_count_range CHECK (error_count BETWEEN 0 AND request_count),
            CONSTRAINT ck_model_monitoring__latency_nonnegative
                CHECK (latency_p50_ms >= 0 AND latency_p95_ms >= 0 AND latency_p99_ms >= 0),
            CONSTRAINT ck_model_monitoring__throughput_nonnegative CHECK (throughput_rps >= 0),
            CONSTRAINT ck_model_monitoring__accuracy_range CHECK (accuracy BETWEEN 0 AND 1),
            CONSTRAINT ck_model_monitoring__custom_metrics_object CHECK (jsonb_typeof(custom_metrics) = 'object'),
            CONSTRAINT fk_model_monitoring__deployment_id FOREIGN KEY (organization_id, deployment_id)
                REFERENCES mlops.deployments (organization_id, id) ON DELETE CASCADE,
            CONSTRAINT fk_model_monitoring__model_version_id FOREIGN KEY (organization_id, model_version_id)
                REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (model_version_id)
        ) PARTITION BY RANGE (recorded_at);
        CREATE TABLE mlops.model_monitoring_default PARTITION OF mlops.model_monitoring DEFAULT;
    END IF;
END
$model_monitoring$;

COMMENT ON TABLE mlops.model_monitoring IS
    'Append-only serving metrics per deployment and window. Time-partitioned on recorded_at, kept 400 days. RLS on organization_id.';

CREATE INDEX ix_model_monitoring__recorded_at ON mlops.model_monitoring (recorded_at DESC);
-- Dashboard series of a deployment; also serves fk_model_monitoring__deployment_id.
CREATE INDEX ix_model_monitoring__deployment_time
    ON mlops.model_monitoring (organization_id, deployment_id, recorded_at DESC);
CREATE INDEX ix_model_monitoring__model_version_time
    ON mlops.model_monitoring (organization_id, model_version_id, recorded_at DESC);

-- ---------------------------------------------------------------------------
-- mlops.data_drift_reports
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.data_drift_reports (
    organization_id  uuid             NOT NULL,
    id               uuid             NOT NULL DEFAULT gen_random_uuid(),
    deployment_id    uuid             NULL,
    model_version_id uuid             NULL,
    reference_start  timestamptz      NULL,
    reference_end    timestamptz      NULL,
    current_start    timestamptz      NULL,
    current_end      timestamptz      NULL,
    -- Open vocabulary: psi, ks_test, chi_square, wasserstein, jensen_shannon, ...
    method           text             NULL,
    drift_detected   boolean          NOT NULL,
    drift_score      double precision NULL,
    threshold        double precision NULL,
    feature_results  jsonb            NOT NULL DEFAULT '{}'::jsonb,
    report_uri       text             NULL,
    created_at       timestamptz      NOT NULL DEFAULT now(),
    updated_at       timestamptz      NOT NULL DEFAULT now(),
    created_by       uuid             NULL,
    updated_by       uuid             NULL,
    deleted_at       timestamptz      NULL,
    deleted_by       uuid             NULL,
    CONSTRAINT data_drift_reports_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_data_drift_reports__target_present
        CHECK (deployment_id IS NOT NULL OR model_version_id IS NOT NULL),
    CONSTRAINT ck_data_drift_reports__reference_window_ordered CHECK (reference_start <= reference_end),
    CONSTRAINT ck_data_drift_reports__current_window_ordered CHECK (current_start <= current_end),
    CONSTRAINT ck_data_drift_reports__feature_results_object CHECK (jsonb_typeof(feature_results) = 'object'),
    CONSTRAINT fk_data_drift_reports__deployment_id FOREIGN KEY (organization_id, deployment_id)
        REFERENCES mlops.deployments (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_data_drift_reports__model_version_id FOREIGN KEY (organization_id, model_version_id)
        REFERENCES mlops.model_versions (organization_id, id) ON DELETE SET NULL (model_version_id),
    CONSTRAINT fk_data_drift_reports__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_data_drift_reports__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_data_drift_reports__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.data_drift_reports IS
    'Data drift detection results per deployment and/or model version. RLS on organization_id; soft delete.';

CREATE INDEX ix_data_drift_reports__deployment_time
    ON mlops.data_drift_reports (organization_id, deployment_id, created_at DESC);
CREATE INDEX ix_data_drift_reports__model_version_id
    ON mlops.data_drift_reports (organization_id, model_version_id);
CREATE INDEX ix_data_drift_reports__detected ON mlops.data_drift_reports (organization_id, created_at DESC)
    WHERE drift_detected;

CREATE TRIGGER trg_data_drift_reports__set_updated_at
    BEFORE UPDATE ON mlops.data_drift_reports
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- mlops.alerts
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.alerts (
    organization_id      uuid                 NOT NULL,
    id                   uuid                 NOT NULL DEFAULT gen_random_uuid(),
    project_id           uuid                 NULL,
    deployment_id        uuid                 NULL,
    data_drift_report_id uuid                 NULL,
    -- FK fk_alerts__notification_rule_id is added by 0013 (with the rules).
    notification_rule_id uuid                 NULL,
    alert_type           mlops.alert_type     NOT NULL,
    severity             mlops.alert_severity NOT NULL,
    status               mlops.alert_status   NOT NULL DEFAULT 'open',
    title                text                 NOT NULL,
    message              text                 NULL,
    details              jsonb                NOT NULL DEFAULT '{}'::jsonb,
    triggered_at         timestamptz          NOT NULL DEFAULT now(),
    acknowledged_at      timestamptz          NULL,
    acknowledged_by      uuid                 NULL,
    resolved_at          timestamptz          NULL,
    resolved_by          uuid                 NULL,
    created_at           timestamptz          NOT NULL DEFAULT now(),
    updated_at           timestamptz          NOT NULL DEFAULT now(),
    created_by           uuid                 NULL,
    updated_by           uuid                 NULL,
    deleted_at           timestamptz          NULL,
    deleted_by           uuid                 NULL,
    CONSTRAINT alerts_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_alerts__title_length CHECK (length(title) BETWEEN 1 AND 500),
    CONSTRAINT ck_alerts__details_object CHECK (jsonb_typeof(details) = 'object'),
    CONSTRAINT ck_alerts__resolved_has_resolved_at CHECK (status <> 'resolved' OR resolved_at IS NOT NULL),
    CONSTRAINT ck_alerts__resolved_after_triggered CHECK (resolved_at >= triggered_at),
    CONSTRAINT ck_alerts__acknowledged_after_triggered CHECK (acknowledged_at >= triggered_at),
    -- Alerts without a project still belong to a tenant.
    CONSTRAINT fk_alerts__organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (id) ON DELETE CASCADE,
    -- MATCH SIMPLE: not checked while project_id is NULL.
    CONSTRAINT fk_alerts__project_id FOREIGN KEY (organization_id, project_id)
        REFERENCES mlops.projects (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_alerts__deployment_id FOREIGN KEY (organization_id, deployment_id)
        REFERENCES mlops.deployments (organization_id, id) ON DELETE SET NULL (deployment_id),
    CONSTRAINT fk_alerts__data_drift_report_id FOREIGN KEY (organization_id, data_drift_report_id)
        REFERENCES mlops.data_drift_reports (organization_id, id) ON DELETE SET NULL (data_drift_report_id),
    CONSTRAINT fk_alerts__acknowledged_by FOREIGN KEY (acknowledged_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_alerts__resolved_by FOREIGN KEY (resolved_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_alerts__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_alerts__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_alerts__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.alerts IS
    'Alerts of a tenant: open -> acknowledged -> resolved (or suppressed). RLS on organization_id; soft delete.';

-- Also serves fk_alerts__organization_id.
CREATE INDEX ix_alerts__org_triggered ON mlops.alerts (organization_id, triggered_at DESC);
CREATE INDEX ix_alerts__open ON mlops.alerts (organization_id, severity, triggered_at DESC)
    WHERE status IN ('open', 'acknowledged') AND deleted_at IS NULL;
CREATE INDEX ix_alerts__project_id ON mlops.alerts (organization_id, project_id);
CREATE INDEX ix_alerts__deployment_id ON mlops.alerts (organization_id, deployment_id);
CREATE INDEX ix_alerts__data_drift_report_id ON mlops.alerts (organization_id, data_drift_report_id);

CREATE TRIGGER trg_alerts__set_updated_at
    BEFORE UPDATE ON mlops.alerts
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- Tenant isolation (see 0010; for the time-series parent see 0011).
-- ---------------------------------------------------------------------------
ALTER TABLE mlops.deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.deployments FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_deployments__tenant ON mlops.deployments
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.deployment_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.deployment_history FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_deployment_history__tenant ON mlops.deployment_history
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.model_monitoring ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.model_monitoring FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_model_monitoring__tenant ON mlops.model_monitoring
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.data_drift_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.data_drift_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_data_drift_reports__tenant ON mlops.data_drift_reports
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_alerts__tenant ON mlops.alerts
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON mlops.deployments, mlops.data_drift_reports, mlops.alerts
    TO registry_app;
-- Append-only history: the application writes and reads it, never changes it.
GRANT SELECT, INSERT ON mlops.deployment_history TO registry_app;
GRANT SELECT ON mlops.deployments, mlops.deployment_history, mlops.data_drift_reports, mlops.alerts
    TO registry_readonly;
GRANT ALL PRIVILEGES
    ON mlops.deployments, mlops.deployment_history, mlops.model_monitoring,
       mlops.data_drift_reports, mlops.alerts
    TO registry_owner;

-- Time series: column privileges only, so that partitions get none (see 0011).
REVOKE ALL ON mlops.model_monitoring FROM PUBLIC;
GRANT SELECT (organization_id, id, deployment_id, model_version_id, recorded_at, window_seconds,
              request_count, error_count, latency_p50_ms, latency_p95_ms, latency_p99_ms,
              throughput_rps, accuracy, custom_metrics),
      INSERT (organization_id, id, deployment_id, model_version_id, recorded_at, window_seconds,
              request_count, error_count, latency_p50_ms, latency_p95_ms, latency_p99_ms,
              throughput_rps, accuracy, custom_metrics)
    ON mlops.model_monitoring TO registry_app;
GRANT SELECT (organization_id, id, deployment_id, model_version_id, recorded_at, window_seconds,
              request_count, error_count, latency_p50_ms, latency_p95_ms, latency_p99_ms,
              throughput_rps, accuracy, custom_metrics)
    ON mlops.model_monitoring TO registry_readonly;

-- Native path only: weekly partitions (fewer than the 1-day chunks of the
-- TimescaleDB path: native partitions cost planning time), 2 weeks ahead,
-- dropped after 400 days.
DO $register$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table
                WHERE partrelid = 'mlops.model_monitoring'::regclass) THEN
        INSERT INTO core.partitioned_tables (parent, partition_interval, premake, retention)
        VALUES ('mlops.model_monitoring'::regclass, INTERVAL '7 days', 2, INTERVAL '400 days');
        PERFORM core.maintain_partitions();
    END IF;
END
$register$;
