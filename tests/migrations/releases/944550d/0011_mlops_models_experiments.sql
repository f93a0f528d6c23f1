-- 0011_mlops_models_experiments: models and their versions, experiments, runs
-- and run metrics (seed 001, Alembic revision 002_models_experiments).
--
-- WHY: "Models have Versions and belong to Projects"; "Experiments track model
-- training"; MLflow-compatible tracking is the stated next step. Besides the
-- tables (tenant-keyed, RLS, soft deletes, as in 0010) this migration holds the
-- rules that must hold under concurrency, in the database:
--   * version numbers: mlops.next_model_version() locks the parent model row
--     FOR UPDATE and returns max+1; uq_model_versions__org_model_version is the
--     backstop;
--   * one production version per model: uq_model_versions__one_production, and
--     mlops.demote_production_versions() (called by the promotion query) which
--     serializes promotions of one model on the model row;
--   * run params are write-once (MLflow): trg_experiment_runs__params_write_once;
--   * run_metrics is a time series (DESIGN §7): a hypertable with TimescaleDB,
--     native weekly range partitions without; bulk ingest goes through the view
--     mlops.run_metrics_ingest, because COPY FROM is refused on a table under
--     row-level security.
-- depends: 0010_mlops_projects

-- squawk cannot see the CREATE TABLE inside the DO block below, so it asks for
-- CREATE INDEX CONCURRENTLY on run_metrics; the table is new and empty in this
-- very transaction, and neither partitioned tables nor hypertables support it.
-- squawk-ignore-file require-concurrent-index-creation

SET LOCAL lock_timeout = '5s';

CREATE TYPE mlops.model_version_stage AS ENUM ('none', 'staging', 'production', 'archived');
CREATE TYPE mlops.model_version_status AS ENUM ('pending_registration', 'ready', 'failed_registration');
CREATE TYPE mlops.experiment_status AS ENUM ('active', 'archived');
CREATE TYPE mlops.run_status AS ENUM ('scheduled', 'running', 'finished', 'failed', 'killed');
COMMENT ON TYPE mlops.model_version_stage IS 'MLflow model version stage.';
COMMENT ON TYPE mlops.run_status IS 'MLflow RunStatus; finished, failed and killed are terminal.';

-- ---------------------------------------------------------------------------
-- mlops.models
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.models (
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    project_id      uuid        NOT NULL,
    name            text        NOT NULL,
    description     text        NULL,
    -- Open vocabulary (xgboost, tensorflow, ...), stored lower-case.
    framework       text        NULL,
    task_type       text        NULL,
    tags            text[]      NOT NULL DEFAULT '{}'::text[],
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid        NULL,
    updated_by      uuid        NULL,
    deleted_at      timestamptz NULL,
    deleted_by      uuid        NULL,
    CONSTRAINT models_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_models__name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_models__framework_lowercase CHECK (framework = lower(framework)),
    CONSTRAINT ck_models__tags_no_nulls CHECK (array_position(tags, NULL) IS NULL),
    CONSTRAINT fk_models__project_id FOREIGN KEY (organization_id, project_id)
        REFERENCES mlops.projects (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_models__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_models__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_models__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.models IS 'Registered models of a project. RLS on organization_id; soft delete.';

CREATE UNIQUE INDEX uq_models__org_project_name ON mlops.models (organization_id, project_id, name)
    WHERE deleted_at IS NULL;
CREATE INDEX ix_models__tags ON mlops.models USING gin (tags);

CREATE TRIGGER trg_models__set_updated_at
    BEFORE UPDATE ON mlops.models
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- mlops.experiments
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.experiments (
    organization_id   uuid                    NOT NULL,
    id                uuid                    NOT NULL DEFAULT gen_random_uuid(),
    project_id        uuid                    NOT NULL,
    model_id          uuid                    NULL,
    name              text                    NOT NULL,
    description       text                    NULL,
    config            jsonb                   NOT NULL DEFAULT '{}'::jsonb,
    status            mlops.experiment_status NOT NULL DEFAULT 'active',
    artifact_location text                    NULL,
    tags              jsonb                   NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz             NOT NULL DEFAULT now(),
    updated_at        timestamptz             NOT NULL DEFAULT now(),
    created_by        uuid                    NULL,
    updated_by        uuid                    NULL,
    deleted_at        timestamptz             NULL,
    deleted_by        uuid                    NULL,
    CONSTRAINT experiments_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_experiments__name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_experiments__config_object CHECK (jsonb_typeof(config) = 'object'),
    CONSTRAINT ck_experiments__tags_object CHECK (jsonb_typeof(tags) = 'object'),
    CONSTRAINT fk_experiments__project_id FOREIGN KEY (organization_id, project_id)
        REFERENCES mlops.projects (organization_id, id) ON DELETE CASCADE,
    -- SET NULL on model_id only: organization_id is NOT NULL and shared.
    CONSTRAINT fk_experiments__model_id FOREIGN KEY (organization_id, model_id)
        REFERENCES mlops.models (organization_id, id) ON DELETE SET NULL (model_id),
    CONSTRAINT fk_experiments__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_experiments__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_experiments__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.experiments IS 'MLflow-style experiments of a project. RLS on organization_id; soft delete.';

CREATE UNIQUE INDEX uq_experiments__org_project_name ON mlops.experiments (organization_id, project_id, name)
    WHERE deleted_at IS NULL;
CREATE INDEX ix_experiments__model_id ON mlops.experiments (organization_id, model_id);

CREATE TRIGGER trg_experiments__set_updated_at
    BEFORE UPDATE ON mlops.experiments
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- mlops.experiment_runs
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.experiment_runs (
    organization_id uuid             NOT NULL,
    id              uuid             NOT NULL DEFAULT gen_random_uuid(),
    experiment_id   uuid             NOT NULL,
    name            text             NULL,
    status          mlops.run_status NOT NULL DEFAULT 'running',
    started_at      timestamptz      NOT NULL DEFAULT now(),
    ended_at        timestamptz      NULL,
    params          jsonb            NOT NULL DEFAULT '{}'::jsonb,
    tags            jsonb            NOT NULL DEFAULT '{}'::jsonb,
    artifact_uri    text             NULL,
    source_version  text             NULL,
    created_at      timestamptz      NOT NULL DEFAULT now(),
    updated_at      timestamptz      NOT NULL DEFAULT now(),
    created_by      uuid             NULL,
    updated_by      uuid             NULL,
    deleted_at      timestamptz      NULL,
    deleted_by      uuid             NULL,
    CONSTRAINT experiment_runs_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_experiment_runs__ended_after_started CHECK (ended_at >= started_at),
    -- A terminal run (finished, failed, killed) has an end time.
    CONSTRAINT ck_experiment_runs__terminal_has_ended_at
        CHECK (status IN ('scheduled', 'running') OR ended_at IS NOT NULL),
    CONSTRAINT ck_experiment_runs__params_object CHECK (jsonb_typeof(params) = 'object'),
    CONSTRAINT ck_experiment_runs__tags_object CHECK (jsonb_typeof(tags) = 'object'),
    CONSTRAINT fk_experiment_runs__experiment_id FOREIGN KEY (organization_id, experiment_id)
        REFERENCES mlops.experiments (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_experiment_runs__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_experiment_runs__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_experiment_runs__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.experiment_runs IS
    'Executions of an experiment (MLflow runs). params are write-once per key. RLS on organization_id; soft delete.';

-- Runs of an experiment, newest first; also serves fk_experiment_runs__experiment_id.
CREATE INDEX ix_experiment_runs__experiment_started
    ON mlops.experiment_runs (organization_id, experiment_id, started_at DESC);
CREATE INDEX ix_experiment_runs__active ON mlops.experiment_runs (organization_id, experiment_id)
    WHERE status IN ('scheduled', 'running');
-- MLflow search_runs by param: params @> '{"lr": "0.1"}'.
CREATE INDEX ix_experiment_runs__params ON mlops.experiment_runs USING gin (params jsonb_path_ops);
CREATE INDEX ix_experiment_runs__created_by ON mlops.experiment_runs (created_by);

CREATE TRIGGER trg_experiment_runs__set_updated_at
    BEFORE UPDATE ON mlops.experiment_runs
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- Params are immutable once logged (MLflow): a key may be added, or logged
-- again with the same value, never changed or removed. Raises RS001 (mapped to
-- ImmutableRecord) naming the first offending key.
CREATE FUNCTION mlops.forbid_param_overwrite()
    RETURNS trigger
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_key text;
BEGIN
    SELECT o.key INTO v_key
      FROM jsonb_each(OLD.params) AS o
     WHERE NOT (NEW.params ? o.key) OR NEW.params -> o.key IS DISTINCT FROM o.value
     ORDER BY o.key
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'RS001',
            MESSAGE = format('param %L of run %s is already logged with value %s', v_key, OLD.id, OLD.params -> v_key),
            DETAIL  = format('Rejected by trigger %s on %s.%s.', TG_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME),
            HINT    = 'Run params are write-once (MLflow): log a new key, or start a new run with the other value.',
            SCHEMA  = TG_TABLE_SCHEMA,
            TABLE   = TG_TABLE_NAME,
            COLUMN  = 'params';
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION mlops.forbid_param_overwrite() IS
    'Trigger function: run params may gain keys but never change or lose one (SQLSTATE RS001).';
REVOKE ALL ON FUNCTION mlops.forbid_param_overwrite() FROM PUBLIC;

CREATE TRIGGER trg_experiment_runs__params_write_once
    BEFORE UPDATE OF params ON mlops.experiment_runs
    FOR EACH ROW WHEN (OLD.params IS DISTINCT FROM NEW.params)
    EXECUTE FUNCTION mlops.forbid_param_overwrite();

-- ---------------------------------------------------------------------------
-- mlops.model_versions
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.model_versions (
    organization_id     uuid                       NOT NULL,
    id                  uuid                       NOT NULL DEFAULT gen_random_uuid(),
    model_id            uuid                       NOT NULL,
    -- MLflow-style integer, 1, 2, ...: see mlops.next_model_version(). Two
    -- billion versions of one model is not a limit anyone reaches.
    -- squawk-ignore prefer-bigint-over-int
    version             integer                    NOT NULL,
    version_label       text                       NULL,
    description         text                       NULL,
    stage               mlops.model_version_stage  NOT NULL DEFAULT 'none',
    status              mlops.model_version_status NOT NULL DEFAULT 'pending_registration',
    artifact_uri        text                       NOT NULL,
    artifact_size_bytes bigint                     NULL,
    checksum_sha256     text                       NULL,
    source_run_id       uuid                       NULL,
    metrics             jsonb                      NOT NULL DEFAULT '{}'::jsonb,
    signature           jsonb                      NULL,
    stage_changed_at    timestamptz                NULL,
    created_at          timestamptz                NOT NULL DEFAULT now(),
    updated_at          timestamptz                NOT NULL DEFAULT now(),
    created_by          uuid                       NULL,
    updated_by          uuid                       NULL,
    deleted_at          timestamptz                NULL,
    deleted_by          uuid                       NULL,
    CONSTRAINT model_versions_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_model_versions__version_positive CHECK (version >= 1),
    CONSTRAINT ck_model_versions__artifact_uri_not_empty CHECK (length(artifact_uri) > 0),
    CONSTRAINT ck_model_versions__artifact_size_nonnegative CHECK (artifact_size_bytes >= 0),
    CONSTRAINT ck_model_versions__checksum_sha256_hex CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_model_versions__metrics_object CHECK (jsonb_typeof(metrics) = 'object'),
    CONSTRAINT ck_model_versions__signature_object CHECK (jsonb_typeof(signature) = 'object'),
    CONSTRAINT fk_model_versions__model_id FOREIGN KEY (organization_id, model_id)
        REFERENCES mlops.models (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_model_versions__source_run_id FOREIGN KEY (organization_id, source_run_id)
        REFERENCES mlops.experiment_runs (organization_id, id) ON DELETE SET NULL (source_run_id),
    CONSTRAINT fk_model_versions__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_model_versions__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_model_versions__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.model_versions IS
    'Numbered versions of a model with their artifact and MLflow stage. At most one live production version per model. RLS on organization_id; soft delete.';

-- Not partial: version numbers are never reused, even after a soft delete.
-- Also serves fk_model_versions__model_id.
CREATE UNIQUE INDEX uq_model_versions__org_model_version
    ON mlops.model_versions (organization_id, model_id, version);
-- At most one live production version per model (promotion demotes the old one).
CREATE UNIQUE INDEX uq_model_versions__one_production
    ON mlops.model_versions (organization_id, model_id)
    WHERE stage = 'production' AND deleted_at IS NULL;
CREATE INDEX ix_model_versions__source_run_id ON mlops.model_versions (organization_id, source_run_id);
-- "current production version", latest version per stage.
CREATE INDEX ix_model_versions__model_stage ON mlops.model_versions (organization_id, model_id, stage)
    WHERE deleted_at IS NULL;

CREATE TRIGGER trg_model_versions__set_updated_at
    BEFORE UPDATE ON mlops.model_versions
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- mlops.next_model_version(org, model): lock the live model row FOR UPDATE and
-- return max(version)+1 (1 for the first). When the tenant has no such live
-- model it raises a foreign_key_violation (23503) naming
-- fk_model_versions__model_id, exactly as inserting a version of a missing
-- model would (registry_sql maps it to ForeignKeyMissing). The lock is held until the caller's
-- transaction ends, so concurrent callers for one model queue up and each
-- sees the versions committed before it.
-- Why a VOLATILE plpgsql function and not a plain query: under READ COMMITTED a
-- statement keeps the snapshot it started with, so `max(version)` in the same
-- statement as the lock would not see the version committed by the
-- transaction it waited for. Each statement of a volatile function takes a
-- fresh snapshot: the max is read after the lock is granted.
-- SECURITY INVOKER (the default): row-level security applies inside.
CREATE FUNCTION mlops.next_model_version(p_organization_id uuid, p_model_id uuid)
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM 1
       FROM mlops.models
      WHERE organization_id = p_organization_id AND id = p_model_id AND deleted_at IS NULL
        FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE    = 'foreign_key_violation',
            MESSAGE    = 'insert or update on table "model_versions" violates foreign key constraint "fk_model_versions__model_id"',
            DETAIL     = format('Key (organization_id, model_id)=(%s, %s) is not present in table "models".',
                                p_organization_id, p_model_id),
            HINT       = 'The model does not exist, is soft-deleted, or belongs to another tenant than the current one (app.org_id).',
            SCHEMA     = 'mlops',
            TABLE      = 'model_versions',
            CONSTRAINT = 'fk_model_versions__model_id';
    END IF;
    RETURN (SELECT COALESCE(max(v.version), 0) + 1
              FROM mlops.model_versions AS v
             WHERE v.organization_id = p_organization_id AND v.model_id = p_model_id);
END
$fn$;
COMMENT ON FUNCTION mlops.next_model_version(uuid, uuid) IS
    'Locks the model row FOR UPDATE (until the transaction ends) and returns the next version number; 23503 (fk_model_versions__model_id) for no such live model.';

-- mlops.demote_production_versions(org, version, stage): before a version is
-- moved to `stage`, lock its model row FOR UPDATE and, when stage is
-- 'production', move the model's other live production version(s) to
-- 'archived'. Returns how many were demoted, or NULL when the version is not a
-- live version of the current tenant. Concurrent promotions of one model are
-- serialized on the model row; fresh snapshots (see above) let the second see
-- and demote what the first promoted, so both succeed and exactly one
-- production version remains. uq_model_versions__one_production is the backstop.
CREATE FUNCTION mlops.demote_production_versions(
    p_organization_id uuid, p_version_id uuid, p_stage mlops.model_version_stage, p_actor uuid)
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_model_id uuid;
    v_count    integer;
BEGIN
    SELECT v.model_id INTO v_model_id
      FROM mlops.model_versions AS v
     WHERE v.organization_id = p_organization_id AND v.id = p_version_id AND v.deleted_at IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM mlops.models
      WHERE organization_id = p_organization_id AND id = v_model_id
        FOR UPDATE;
    IF p_stage <> 'production' THEN
        RETURN 0;
    END IF;
    UPDATE mlops.model_versions
       SET stage = 'archived', stage_changed_at = now(), updated_by = p_actor
     WHERE organization_id = p_organization_id AND model_id = v_model_id
       AND stage = 'production' AND deleted_at IS NULL AND id <> p_version_id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION mlops.demote_production_versions(uuid, uuid, mlops.model_version_stage, uuid) IS
    'Locks the version''s model row FOR UPDATE and, for stage production, archives the model''s other production versions. Used by transition_model_version_stage.';

REVOKE ALL ON FUNCTION mlops.next_model_version(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION mlops.demote_production_versions(uuid, uuid, mlops.model_version_stage, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mlops.next_model_version(uuid, uuid) TO registry_app, registry_owner;
GRANT EXECUTE ON FUNCTION mlops.demote_production_versions(uuid, uuid, mlops.model_version_stage, uuid)
    TO registry_app, registry_owner;

-- ---------------------------------------------------------------------------
-- mlops.run_metrics: append-only time series (MLflow metrics). No surrogate id:
-- PK (organization_id, run_id, metric_name, step, recorded_at) includes the
-- time column (hypertables and partitioned tables need it in every unique key).
-- NaN is a valid value (MLflow is_nan).
-- ---------------------------------------------------------------------------
DO $run_metrics$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb') THEN
        -- TimescaleDB path (0003_core_audit_log created the extension when it
        -- is available and preloaded).
        CREATE TABLE mlops.run_metrics (
            organization_id uuid             NOT NULL,
            run_id          uuid             NOT NULL,
            metric_name     text             NOT NULL,
            value           double precision NOT NULL,
            step            bigint           NOT NULL DEFAULT 0,
            recorded_at     timestamptz      NOT NULL DEFAULT now(),
            CONSTRAINT run_metrics_pkey PRIMARY KEY (organization_id, run_id, metric_name, step, recorded_at),
            CONSTRAINT ck_run_metrics__metric_name_length CHECK (length(metric_name) BETWEEN 1 AND 250),
            CONSTRAINT fk_run_metrics__run_id FOREIGN KEY (organization_id, run_id)
                REFERENCES mlops.experiment_runs (organization_id, id) ON DELETE CASCADE
        );
        -- 7-day chunks; default indexes off (the indexes below include recorded_at).
        PERFORM create_hypertable('mlops.run_metrics',
                                  by_range('recorded_at', INTERVAL '7 days'),
                                  create_default_indexes => false);
        -- Compression: community (Timescale License) build only.
        IF current_setting('timescaledb.license', true) = 'timescale' THEN
            ALTER TABLE mlops.run_metrics SET (
                timescaledb.compress,
                timescaledb.compress_segmentby = 'organization_id, run_id',
                timescaledb.compress_orderby = 'metric_name, step, recorded_at DESC'
            );
            PERFORM add_compression_policy('mlops.run_metrics', INTERVAL '30 days');
        END IF;
        -- No retention: run metrics are kept with their runs.
    ELSE
        CREATE TABLE mlops.run_metrics (
            organization_id uuid             NOT NULL,
            run_id          uuid             NOT NULL,
            metric_name     text             NOT NULL,
            value           double precision NOT NULL,
            step            bigint           NOT NULL DEFAULT 0,
            recorded_at     timestamptz      NOT NULL DEFAULT now(),
            CONSTRAINT run_metrics_pkey PRIMARY KEY (organization_id, run_id, metric_name, step, recorded_at),
            CONSTRAINT ck_run_metrics__metric_name_length CHECK (length(metric_name) BETWEEN 1 AND 250),
            CONSTRAINT fk_run_metrics__run_id FOREIGN KEY (organization_id, run_id)
                REFERENCES mlops.experiment_runs (organization_id, id) ON DELETE CASCADE
        ) PARTITION BY RANGE (recorded_at);
        -- Client-supplied timestamps far in the past or future land here.
        CREATE TABLE mlops.run_metrics_default PARTITION OF mlops.run_metrics DEFAULT;
    END IF;
END
$run_metrics$;

COMMENT ON TABLE mlops.run_metrics IS
    'Append-only metric values of runs (MLflow). Time-partitioned on recorded_at. RLS on organization_id. Bulk ingest: COPY into mlops.run_metrics_ingest.';

CREATE INDEX ix_run_metrics__recorded_at ON mlops.run_metrics (recorded_at DESC);
-- Metric history and latest value per key.
CREATE INDEX ix_run_metrics__run_metric_time
    ON mlops.run_metrics (organization_id, run_id, metric_name, recorded_at DESC);

-- ---------------------------------------------------------------------------
-- COPY ingest. PostgreSQL refuses `COPY ... FROM` on a table whose row-level
-- security applies to the caller ("COPY FROM not supported with row-level
-- security"), but accepts COPY into a view with an INSTEAD OF INSERT trigger.
-- The trigger inserts each row into mlops.run_metrics as the calling role, so
-- the tenant policy's WITH CHECK and every constraint still apply. The view
-- returns no rows (it is an ingest endpoint; read mlops.run_metrics).
-- ---------------------------------------------------------------------------
CREATE VIEW mlops.run_metrics_ingest WITH (security_invoker = true) AS
    SELECT organization_id, run_id, metric_name, value, step, recorded_at
      FROM mlops.run_metrics
     WHERE false;
COMMENT ON VIEW mlops.run_metrics_ingest IS
    'Write-only COPY endpoint for mlops.run_metrics (COPY FROM is refused on tables under row-level security). Rows go to mlops.run_metrics through trg_run_metrics_ingest__insert.';

CREATE FUNCTION mlops.ingest_run_metric()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    INSERT INTO mlops.run_metrics (organization_id, run_id, metric_name, value, step, recorded_at)
    VALUES (NEW.organization_id, NEW.run_id, NEW.metric_name, NEW.value,
            COALESCE(NEW.step, 0), COALESCE(NEW.recorded_at, now()));
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION mlops.ingest_run_metric() IS
    'INSTEAD OF INSERT trigger of mlops.run_metrics_ingest: inserts the row into mlops.run_metrics as the caller (RLS applies).';
REVOKE ALL ON FUNCTION mlops.ingest_run_metric() FROM PUBLIC;

CREATE TRIGGER trg_run_metrics_ingest__insert
    INSTEAD OF INSERT ON mlops.run_metrics_ingest
    FOR EACH ROW EXECUTE FUNCTION mlops.ingest_run_metric();

-- ---------------------------------------------------------------------------
-- Tenant isolation (see 0010). On the native path the policy sits on the
-- parent and governs every query through it; partitions have no policy of
-- their own, which is why registry_app and registry_readonly get COLUMN
-- privileges on mlops.run_metrics below and no table privilege: column
-- privileges are not copied onto partitions (neither by PostgreSQL nor by
-- core.maintain_partitions(), which copies table privileges), so those roles
-- cannot read or write a partition directly, around the policy.
-- ---------------------------------------------------------------------------
ALTER TABLE mlops.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.models FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_models__tenant ON mlops.models
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.experiments ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.experiments FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_experiments__tenant ON mlops.experiments
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.experiment_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.experiment_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_experiment_runs__tenant ON mlops.experiment_runs
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.model_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.model_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_model_versions__tenant ON mlops.model_versions
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.run_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.run_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_run_metrics__tenant ON mlops.run_metrics
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE
    ON mlops.models, mlops.experiments, mlops.experiment_runs, mlops.model_versions
    TO registry_app;
GRANT SELECT ON mlops.models, mlops.experiments, mlops.experiment_runs, mlops.model_versions
    TO registry_readonly;
GRANT ALL PRIVILEGES
    ON mlops.models, mlops.experiments, mlops.experiment_runs, mlops.model_versions, mlops.run_metrics
    TO registry_owner;

-- Append-only time series: INSERT and SELECT only, as column privileges (see
-- above). A new column needs its own GRANT in the migration that adds it.
REVOKE ALL ON mlops.run_metrics FROM PUBLIC;
GRANT SELECT (organization_id, run_id, metric_name, value, step, recorded_at),
      INSERT (organization_id, run_id, metric_name, value, step, recorded_at)
    ON mlops.run_metrics TO registry_app;
GRANT SELECT (organization_id, run_id, metric_name, value, step, recorded_at)
    ON mlops.run_metrics TO registry_readonly;
-- The ingest view: INSERT (and so COPY FROM) only.
REVOKE ALL ON mlops.run_metrics_ingest FROM PUBLIC;
GRANT INSERT ON mlops.run_metrics_ingest TO registry_app;
GRANT ALL PRIVILEGES ON mlops.run_metrics_ingest TO registry_owner;

-- Native path only: weekly partitions, 4 weeks ahead, kept forever (the
-- catalog sets no retention for run metrics). The call also creates the first
-- partitions now.
DO $register$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table
                WHERE partrelid = 'mlops.run_metrics'::regclass) THEN
        INSERT INTO core.partitioned_tables (parent, partition_interval, premake, retention)
        VALUES ('mlops.run_metrics'::regclass, INTERVAL '7 days', 4, NULL);
        PERFORM core.maintain_partitions();
    END IF;
END
$register$;
