/*
  mlops.deployments and mlops.deployment_history. Run inside
  `transaction(conn, org_id=...)` (row-level security).

  Every change of a deployment writes its history row in the SAME statement
  (a data-modifying CTE), so there is never a change without history nor
  history without a change. deployment_history is append-only: registry_app
  may only INSERT and SELECT it.

  Active deployments: status deploying, running, updating or degraded.
*/

-- name: create_deployment(organization_id, project_id, model_version_id, name, description, environment, endpoint_url, replicas, resources, config, traffic_percent, created_by)<!
-- record_class: DeploymentRow
-- Create a deployment (status pending) of a model version, with its `create` history row, in one statement.
-- ForeignKeyMissing if the project or the model version is not one of the
-- tenant's. The deployment is inserted first and its history row is written from
-- what the insert RETURNs (one statement, no subquery inside VALUES: Citus cannot
-- plan one there); the history's foreign key to the deployment holds at once.
WITH new_deployment AS (
    INSERT INTO mlops.deployments (
        organization_id, project_id, model_version_id, name, description, environment,
        endpoint_url, replicas, resources, config, traffic_percent, created_by, updated_by
    )
    VALUES (
        :organization_id, :project_id, :model_version_id,
        :name, :description, :environment, :endpoint_url,
        COALESCE(:replicas::int, 1), COALESCE(:resources::jsonb, '{}'::jsonb),
        COALESCE(:config::jsonb, '{}'::jsonb), COALESCE(:traffic_percent::smallint, 100),
        :created_by, :created_by
    )
    RETURNING
        organization_id, id, project_id, model_version_id, name, description, environment,
        status, endpoint_url, replicas, resources, config, traffic_percent, deployed_at,
        deployed_by, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
),
history AS (
    INSERT INTO mlops.deployment_history (
        organization_id, deployment_id, action, to_model_version_id, new_status,
        config_snapshot, performed_by
    )
    SELECT nd.organization_id, nd.id, 'create', nd.model_version_id, nd.status,
           nd.config, nd.created_by
    FROM new_deployment AS nd
)
SELECT
    nd.organization_id, nd.id, nd.project_id, nd.model_version_id, nd.name, nd.description,
    nd.environment, nd.status, nd.endpoint_url, nd.replicas, nd.resources, nd.config,
    nd.traffic_percent, nd.deployed_at, nd.deployed_by, nd.created_at, nd.updated_at,
    nd.created_by, nd.updated_by, nd.deleted_at, nd.deleted_by
FROM new_deployment AS nd;

-- name: get_deployment_by_id(organization_id, id)^
-- record_class: DeploymentRow
-- Get a live deployment by id.
-- plan: cost <= 20
SELECT
    organization_id, id, project_id, model_version_id, name, description, environment, status,
    endpoint_url, replicas, resources, config, traffic_percent, deployed_at, deployed_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.deployments
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: list_active_deployments(organization_id, project_id, environment)
-- record_class: ListActiveDeploymentsRow
-- Live deployments that are serving or about to (deploying, running, updating, degraded), with model name and version.
-- stream: yes
SELECT
    d.organization_id, d.id, d.project_id, d.name, d.environment, d.status, d.endpoint_url,
    d.replicas, d.traffic_percent, d.deployed_at,
    d.model_version_id, v.version AS model_version, m.id AS model_id, m.name AS model_name
FROM mlops.deployments AS d
JOIN mlops.model_versions AS v
  ON v.organization_id = d.organization_id AND v.id = d.model_version_id
JOIN mlops.models AS m
  ON m.organization_id = v.organization_id AND m.id = v.model_id
WHERE d.organization_id = :organization_id
  AND d.deleted_at IS NULL
  AND d.status IN ('deploying', 'running', 'updating', 'degraded')   /* ix_deployments__status */
  AND (:project_id::uuid IS NULL OR d.project_id = :project_id)
  AND (:environment::mlops.deployment_environment IS NULL OR d.environment = :environment)
ORDER BY d.environment DESC, d.name, d.id;

-- name: update_deployment_status(organization_id, id, status, action, notes, performed_by)<!
-- record_class: DeploymentRow
-- Change the status of a live deployment and record the change (action `update` unless given) in its history.
-- notes: None and '' both mean none. Moving to `running` stamps deployed_at/deployed_by. The deployment row is
-- locked (FOR UPDATE) so the history's previous_status is the status this
-- change replaced, even under concurrent changes.
WITH prev AS (
    SELECT organization_id, id, status, model_version_id, config
    FROM mlops.deployments
    WHERE organization_id = :organization_id
      AND id = :id
      AND deleted_at IS NULL
    FOR UPDATE
),
history AS (
    INSERT INTO mlops.deployment_history (
        organization_id, deployment_id, action, from_model_version_id, to_model_version_id,
        previous_status, new_status, config_snapshot, notes, performed_by
    )
    SELECT prev.organization_id, prev.id,
           COALESCE(:action::mlops.deployment_action, 'update'),
           prev.model_version_id, prev.model_version_id,
           prev.status, :status::mlops.deployment_status, prev.config,
               NULLIF(COALESCE(:notes::text, ''), ''), :performed_by::uuid
    FROM prev
)
-- now() is taken in the arg subquery, not inside CASE: Citus refuses non-IMMUTABLE functions
-- in CASE/COALESCE of an UPDATE on a distributed table.
UPDATE mlops.deployments AS d
SET status      = :status::mlops.deployment_status,
    deployed_at = CASE WHEN :status::mlops.deployment_status = 'running' THEN arg.stamp ELSE
        d.deployed_at END,
    deployed_by = CASE WHEN :status::mlops.deployment_status = 'running' THEN
        :performed_by::uuid ELSE d.deployed_by END,
    updated_by  = :performed_by::uuid
FROM prev, (SELECT now() AS stamp) AS arg
WHERE d.organization_id = prev.organization_id
  AND d.id = prev.id
RETURNING
    d.organization_id, d.id, d.project_id, d.model_version_id, d.name, d.description,
        d.environment, d.status,
    d.endpoint_url, d.replicas, d.resources, d.config, d.traffic_percent, d.deployed_at,
        d.deployed_by,
    d.created_at, d.updated_at, d.created_by, d.updated_by, d.deleted_at, d.deleted_by;

-- name: change_deployment_version(organization_id, id, model_version_id, action, notes, performed_by)<!
-- record_class: DeploymentRow
-- Serve another model version (action deploy, promote or rollback; `deploy` unless given) and record it in the history.
-- A rollback is this with the previous version (see list_deployment_history's
-- from_model_version_id). ForeignKeyMissing if the version is not one of the tenant's.
WITH prev AS (
    SELECT organization_id, id, status, model_version_id, config
    FROM mlops.deployments
    WHERE organization_id = :organization_id
      AND id = :id
      AND deleted_at IS NULL
    FOR UPDATE
),
history AS (
    INSERT INTO mlops.deployment_history (
        organization_id, deployment_id, action, from_model_version_id, to_model_version_id,
        previous_status, new_status, config_snapshot, notes, performed_by
    )
    SELECT prev.organization_id, prev.id,
           COALESCE(:action::mlops.deployment_action, 'deploy'),
           prev.model_version_id, :model_version_id::uuid,
           prev.status, prev.status, prev.config, NULLIF(COALESCE(:notes::text, ''), ''),
               :performed_by::uuid
    FROM prev
)
UPDATE mlops.deployments AS d
SET model_version_id = :model_version_id::uuid,
    updated_by       = :performed_by::uuid
FROM prev
WHERE d.organization_id = prev.organization_id
  AND d.id = prev.id
RETURNING
    d.organization_id, d.id, d.project_id, d.model_version_id, d.name, d.description,
        d.environment, d.status,
    d.endpoint_url, d.replicas, d.resources, d.config, d.traffic_percent, d.deployed_at,
        d.deployed_by,
    d.created_at, d.updated_at, d.created_by, d.updated_by, d.deleted_at, d.deleted_by;

-- name: list_deployment_history(organization_id, deployment_id, limit)
-- record_class: ListDeploymentHistoryRow
-- The history of a deployment, newest first.
SELECT
    organization_id, id, deployment_id, action, from_model_version_id, to_model_version_id,
    previous_status, new_status, config_snapshot, notes, performed_by, created_at
FROM mlops.deployment_history
WHERE organization_id = :organization_id
  AND deployment_id = :deployment_id::uuid   /* ix_deployment_history__deployment_time */
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: soft_delete_deployment(organization_id, id, deleted_by)!
-- Soft-delete a live deployment and record a `delete` history row; returns 1, or 0 if no such live deployment.
WITH prev AS (
    SELECT organization_id, id, status, model_version_id, config
    FROM mlops.deployments
    WHERE organization_id = :organization_id
      AND id = :id
      AND deleted_at IS NULL
    FOR UPDATE
),
history AS (
    INSERT INTO mlops.deployment_history (
        organization_id, deployment_id, action, from_model_version_id, previous_status,
        new_status, config_snapshot, performed_by
    )
    SELECT prev.organization_id, prev.id, 'delete', prev.model_version_id, prev.status,
           prev.status, prev.config, :deleted_by::uuid
    FROM prev
)
UPDATE mlops.deployments AS d
SET deleted_at = now(),
    deleted_by = :deleted_by::uuid,
    updated_by = :deleted_by::uuid
FROM prev
WHERE d.organization_id = prev.organization_id
  AND d.id = prev.id;

-- name: restore_deployment(organization_id, id, restored_by)<!
-- record_class: DeploymentRow
-- Restore a soft-deleted deployment; raises Conflict if a live deployment took its project/environment/name meanwhile.
UPDATE mlops.deployments
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NOT NULL
RETURNING
    organization_id, id, project_id, model_version_id, name, description, environment, status,
    endpoint_url, replicas, resources, config, traffic_percent, deployed_at, deployed_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;
