/*
  mlops.experiments and mlops.experiment_runs (MLflow-compatible tracking,
  catalog §1.1.8). Run inside `transaction(conn, org_id=...)` (row-level
  security).

  Params are write-once per key (MLflow): log_params merges new keys into the
  run's params; a key already logged with a different value is refused by
  trigger trg_experiment_runs__params_write_once (ImmutableRecord, naming the
  key). Logging the same value again is accepted. Tags may be overwritten.
*/

-- name: create_experiment(organization_id, project_id, model_id, name, description, config, artifact_location, tags, created_by)<!
-- record_class: ExperimentRow
-- Create an experiment in a project of the tenant, optionally tracking a model.
-- ForeignKeyMissing if the project (or model) is not one of the tenant's.
INSERT INTO mlops.experiments (
    organization_id, project_id, model_id, name, description, config, artifact_location, tags,
    created_by, updated_by
)
VALUES (
    :organization_id, :project_id, :model_id, :name, :description,
    COALESCE(:config::jsonb, '{}'::jsonb), :artifact_location,
    COALESCE(:tags::jsonb, '{}'::jsonb), :created_by, :created_by
)
RETURNING
    organization_id, id, project_id, model_id, name, description, config, status,
    artifact_location, tags, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_experiment_by_id(organization_id, id)^
-- record_class: ExperimentRow
-- Get a live experiment by id.
SELECT
    organization_id, id, project_id, model_id, name, description, config, status,
    artifact_location, tags, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.experiments
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: list_experiments(organization_id, project_id, status)
-- record_class: ExperimentRow
-- List the live experiments of a project by name, optionally of one status.
-- stream: yes
SELECT
    organization_id, id, project_id, model_id, name, description, config, status,
    artifact_location, tags, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.experiments
WHERE organization_id = :organization_id
  AND project_id = :project_id::uuid
  AND deleted_at IS NULL
  AND (:status::mlops.experiment_status IS NULL OR status = :status)
ORDER BY name, id;

-- name: set_experiment_status(organization_id, id, status, updated_by)<!
-- record_class: ExperimentRow
-- Archive or reactivate a live experiment.
UPDATE mlops.experiments
SET status     = :status::mlops.experiment_status,
    updated_by = :updated_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, project_id, model_id, name, description, config, status,
    artifact_location, tags, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: soft_delete_experiment(organization_id, id, deleted_by)!
-- Soft-delete a live experiment; returns 1, or 0 if no such live experiment.
UPDATE mlops.experiments
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: restore_experiment(organization_id, id, restored_by)<!
-- record_class: ExperimentRow
-- Restore a soft-deleted experiment; raises Conflict if a live experiment of the project took its name meanwhile.
UPDATE mlops.experiments
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NOT NULL
RETURNING
    organization_id, id, project_id, model_id, name, description, config, status,
    artifact_location, tags, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

/* ---------------------------------------------------------------- runs */

-- name: start_run(organization_id, experiment_id, name, status, started_at, params, tags, source_version, artifact_uri, created_by)<!
-- record_class: RunRow
-- Start a run of an experiment of the tenant (status running and started now unless given).
-- ForeignKeyMissing (fk_experiment_runs__experiment_id) if the experiment is
-- not one of the tenant's.
INSERT INTO mlops.experiment_runs (
    organization_id, experiment_id, name, status, started_at, params, tags, source_version,
    artifact_uri, created_by, updated_by
)
VALUES (
    :organization_id, :experiment_id, :name,
    COALESCE(:status::mlops.run_status, 'running'),
    COALESCE(:started_at::timestamptz, statement_timestamp()),
    COALESCE(:params::jsonb, '{}'::jsonb), COALESCE(:tags::jsonb, '{}'::jsonb),
    :source_version, :artifact_uri, :created_by, :created_by
)
RETURNING
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by;

-- name: get_run_by_id(organization_id, id)^
-- record_class: RunRow
-- Get a live run by id.
-- plan: cost <= 20
SELECT
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by
FROM mlops.experiment_runs
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: list_runs(organization_id, experiment_id, status, limit)
-- record_class: RunRow
-- List the live runs of an experiment, newest first, optionally of one status.
SELECT
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by
FROM mlops.experiment_runs
WHERE organization_id = :organization_id
  AND experiment_id = :experiment_id::uuid   /* ix_experiment_runs__experiment_started */
  AND deleted_at IS NULL
  AND (:status::mlops.run_status IS NULL OR status = :status)
ORDER BY started_at DESC, id DESC
LIMIT :limit::int;

-- name: search_runs(organization_id, experiment_id, params, limit)
-- record_class: RunRow
-- Live runs of an experiment whose params contain all the given key/values (MLflow search_runs), newest first.
-- params: e.g. {"max_depth": "6"}; None or {} matches every run. Served by the
-- GIN index ix_experiment_runs__params (jsonb_path_ops, containment @>).
-- status is an optional block (its own statement when given).
-- plan: cost <= 100
SELECT
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by
FROM mlops.experiment_runs
WHERE organization_id = :organization_id
  AND experiment_id = :experiment_id::uuid
  AND deleted_at IS NULL
  AND params @> COALESCE(:params::jsonb, '{}'::jsonb)
  /*? AND status = :status::mlops.run_status ?*/
ORDER BY started_at DESC, id DESC
LIMIT :limit::int;

-- name: finish_run(organization_id, id, status, ended_at, updated_by)<!
-- record_class: RunRow
-- End a scheduled or running run with a terminal status (finished, failed, killed), at ended_at or now.
-- NotFound if the run is not live or already ended. A non-terminal status is
-- refused by ck_experiment_runs__terminal_has_ended_at only if ended_at is
-- NULL, so the status is checked here too: anything but finished/failed/
-- killed matches no row (NotFound).
-- now() is taken in a FROM subquery, not inside COALESCE: Citus refuses non-IMMUTABLE
-- functions in CASE/COALESCE of an UPDATE on a distributed table.
UPDATE mlops.experiment_runs
SET status     = :status::mlops.run_status,
    ended_at   = arg.stamp,
    updated_by = :updated_by
FROM (SELECT COALESCE(:ended_at::timestamptz, now()) AS stamp) AS arg
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
  AND status IN ('scheduled', 'running')
  AND :status::mlops.run_status IN ('finished', 'failed', 'killed')
RETURNING
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by;

-- name: log_params(organization_id, id, params, updated_by)<!
-- record_class: RunRow
-- Add params to a live run (jsonb merge); a key already logged with another value raises ImmutableRecord.
UPDATE mlops.experiment_runs
SET params     = params || :params::jsonb,
    updated_by = :updated_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by;

-- name: set_run_tags(organization_id, id, tags, updated_by)<!
-- record_class: RunRow
-- Merge tags into a live run (existing keys are overwritten).
UPDATE mlops.experiment_runs
SET tags       = tags || :tags::jsonb,
    updated_by = :updated_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by;

-- name: soft_delete_run(organization_id, id, deleted_by)!
-- Soft-delete a live run (its metrics stay); returns 1, or 0 if no such live run.
UPDATE mlops.experiment_runs
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: restore_run(organization_id, id, restored_by)<!
-- record_class: RunRow
-- Restore a soft-deleted run.
UPDATE mlops.experiment_runs
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NOT NULL
RETURNING
    organization_id, id, experiment_id, name, status, started_at, ended_at, params, tags,
    artifact_uri, source_version, created_at, updated_at, created_by, updated_by, deleted_at,
        deleted_by;
