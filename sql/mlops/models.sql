/*
  mlops.models and mlops.model_versions (catalog §1.1.2; MLflow-style model
  registry). Run inside `transaction(conn, org_id=...)` (row-level security).

  Version numbers: create_model_version calls mlops.next_model_version(),
  which locks the model row FOR UPDATE until the transaction ends and returns
  max(version)+1, so concurrent callers get consecutive, distinct numbers;
  uq_model_versions__org_model_version is the backstop.

  Stages: at most one live `production` version per model
  (uq_model_versions__one_production). transition_model_version_stage demotes
  the current production version to `archived` and promotes the new one in one
  statement, serialized per model on the model row.
*/

-- name: create_model(organization_id, project_id, name, description, framework, task_type, tags, created_by)<!
-- record_class: ModelRow
-- Register a model in a project of the tenant.
-- ForeignKeyMissing (fk_models__project_id) if the project is not one of the
-- tenant's. framework is stored lower-case (ck_models__framework_lowercase);
-- the name is unique per project among live models (uq_models__org_project_name).
INSERT INTO mlops.models (
    organization_id, project_id, name, description, framework, task_type, tags, created_by,
        updated_by
)
VALUES (
    :organization_id, :project_id, :name, :description, :framework, :task_type,
    COALESCE(:tags::text[], '{}'::text[]), :created_by, :created_by
)
RETURNING
    organization_id, id, project_id, name, description, framework, task_type, tags,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_model_by_id(organization_id, id)^
-- record_class: ModelRow
-- Get a live model by id.
SELECT
    organization_id, id, project_id, name, description, framework, task_type, tags,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.models
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: list_models(organization_id, project_id, tag, limit)
-- record_class: ModelRow
-- List the live models of a tenant by name, optionally of one project and/or carrying a tag.
SELECT
    organization_id, id, project_id, name, description, framework, task_type, tags,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.models
WHERE organization_id = :organization_id
  AND deleted_at IS NULL
  AND (:project_id::uuid IS NULL OR project_id = :project_id)
  AND (:tag::text IS NULL OR tags @> ARRAY[:tag::text])   /* ix_models__tags */
ORDER BY name, id
LIMIT :limit::int;

-- name: update_model(organization_id, id, name, description, framework, task_type, tags, updated_by)<!
-- record_class: ModelRow
-- Update a live model; omitted (None) fields keep their value, tags are replaced as a whole.
UPDATE mlops.models
SET name        = COALESCE(:name::text, name),
    description = COALESCE(:description::text, description),
    framework   = COALESCE(:framework::text, framework),
    task_type   = COALESCE(:task_type::text, task_type),
    tags        = COALESCE(:tags::text[], tags),
    updated_by  = :updated_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, project_id, name, description, framework, task_type, tags,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: soft_delete_model(organization_id, id, deleted_by)!
-- Soft-delete a live model (its versions stay, hidden with it); returns 1, or 0 if no such live model.
UPDATE mlops.models
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: restore_model(organization_id, id, restored_by)<!
-- record_class: ModelRow
-- Restore a soft-deleted model; raises Conflict if a live model of the project took its name meanwhile.
UPDATE mlops.models
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NOT NULL
RETURNING
    organization_id, id, project_id, name, description, framework, task_type, tags,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

/* ---------------------------------------------------------------- versions */

-- name: get_next_model_version(organization_id, model_id)$
-- The next version number of a live model (max+1); locks the model row until the transaction ends.
-- ForeignKeyMissing (fk_model_versions__model_id) if the tenant has no such
-- live model. create_model_version does this itself: call this only to show
-- or reserve the number within a transaction.
SELECT mlops.next_model_version(:organization_id, :model_id) AS "next_version!";

-- name: create_model_version(organization_id, model_id, version_label, description, artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature, created_by)<!
-- record_class: ModelVersionRow
-- Register the next version of a live model (number = max+1, safe under concurrency).
-- ForeignKeyMissing (fk_model_versions__model_id) if the tenant has no such
-- live model. The model row stays locked FOR UPDATE until the transaction
-- ends: keep the transaction short. New versions start in stage `none`,
-- status `pending_registration`.
INSERT INTO mlops.model_versions (
    organization_id, model_id, version, version_label, description, artifact_uri,
    artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature, created_by, updated_by
)
VALUES (
    :organization_id, :model_id, mlops.next_model_version(:organization_id, :model_id),
    :version_label, :description, :artifact_uri, :artifact_size_bytes,
        :checksum_sha256,
    :source_run_id, COALESCE(:metrics::jsonb, '{}'::jsonb), :signature, :created_by,
        :created_by
)
RETURNING
    organization_id, id, model_id, version, version_label, description, stage, status,
    artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature,
    stage_changed_at, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_model_version_by_id(organization_id, id)^
-- record_class: ModelVersionRow
-- Get a live model version by id.
SELECT
    organization_id, id, model_id, version, version_label, description, stage, status,
    artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature,
    stage_changed_at, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.model_versions
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: get_model_version(organization_id, model_id, version)^
-- record_class: ModelVersionRow
-- Get a live version of a model by its number.
SELECT
    organization_id, id, model_id, version, version_label, description, stage, status,
    artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature,
    stage_changed_at, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.model_versions
WHERE organization_id = :organization_id
  AND model_id = :model_id::uuid
  AND version = :version::int   /* uq_model_versions__org_model_version */
  AND deleted_at IS NULL;

-- name: list_model_versions(organization_id, model_id, stage)
-- record_class: ModelVersionRow
-- List the live versions of a model, newest first, optionally in one stage.
-- stream: yes
SELECT
    organization_id, id, model_id, version, version_label, description, stage, status,
    artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature,
    stage_changed_at, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.model_versions
WHERE organization_id = :organization_id
  AND model_id = :model_id::uuid
  AND deleted_at IS NULL
  AND (:stage::mlops.model_version_stage IS NULL OR stage = :stage)
ORDER BY version DESC;

-- name: find_latest_model_version(organization_id, model_id, stage)^
-- record_class: ModelVersionRow
-- The newest live version of a model, optionally in one stage (e.g. the production version); None if none.
SELECT
    organization_id, id, model_id, version, version_label, description, stage, status,
    artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature,
    stage_changed_at, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.model_versions
WHERE organization_id = :organization_id
  AND model_id = :model_id::uuid
  AND deleted_at IS NULL
  AND (:stage::mlops.model_version_stage IS NULL OR stage = :stage)
      /* ix_model_versions__model_stage */
ORDER BY version DESC
LIMIT 1;

-- name: set_model_version_status(organization_id, id, status, updated_by)<!
-- record_class: ModelVersionRow
-- Set the registration status of a live version (pending_registration -> ready or failed_registration).
UPDATE mlops.model_versions
SET status     = :status::mlops.model_version_status,
    updated_by = :updated_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, model_id, version, version_label, description, stage, status,
    artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature,
    stage_changed_at, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: transition_model_version_stage(organization_id, id, stage, updated_by)<!
-- record_class: ModelVersionRow
-- Move a live version to a stage; promoting to production archives the model's current production version.
-- One statement: mlops.demote_production_versions() locks the model row FOR
-- UPDATE (concurrent promotions of one model run one after the other) and
-- archives the other production version(s); then this version gets the stage.
-- Exactly one production version remains, whoever wins. NotFound if the
-- version is not live.
WITH demoted AS MATERIALIZED (
    SELECT mlops.demote_production_versions(
               :organization_id, :id, :stage::mlops.model_version_stage,
                   :updated_by::uuid) AS n
)
UPDATE mlops.model_versions AS v
SET stage            = :stage::mlops.model_version_stage,
    stage_changed_at = now(),
    updated_by       = :updated_by
FROM demoted
WHERE demoted.n IS NOT NULL
  AND v.organization_id = :organization_id
  AND v.id = :id
  AND v.deleted_at IS NULL
RETURNING
    v.organization_id, v.id, v.model_id, v.version, v.version_label, v.description, v.stage,
        v.status,
    v.artifact_uri, v.artifact_size_bytes, v.checksum_sha256, v.source_run_id, v.metrics,
        v.signature,
    v.stage_changed_at, v.created_at, v.updated_at, v.created_by, v.updated_by, v.deleted_at,
        v.deleted_by;

-- name: soft_delete_model_version(organization_id, id, deleted_by)!
-- Soft-delete a live model version (its number is never reused); returns 1, or 0 if no such live version.
UPDATE mlops.model_versions
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: restore_model_version(organization_id, id, restored_by)<!
-- record_class: ModelVersionRow
-- Restore a soft-deleted model version; raises Conflict if it was in production and the model has another production version now.
UPDATE mlops.model_versions
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NOT NULL
RETURNING
    organization_id, id, model_id, version, version_label, description, stage, status,
    artifact_uri, artifact_size_bytes, checksum_sha256, source_run_id, metrics, signature,
    stage_changed_at, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;
