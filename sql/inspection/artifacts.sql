/*
  inspection.artifacts: stored files with SHA-256 checksums, tags and storage
  tiers. Writes run inside `transaction(conn, user_id=...)`.
*/

-- name: create_artifact(artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes, checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata, retention_until, created_by)<!
-- record_class: ArtifactRow
-- Register a stored file (checksum: 64 lowercase hex); Conflict on uq_artifacts__storage_uri if the URI is registered.
INSERT INTO inspection.artifacts (
    artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes,
    checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata,
    retention_until, created_by, updated_by
)
VALUES (
    :artifact_type, COALESCE(:storage_location::inspection.storage_location, 'hot'),
    :storage_uri, :file_name, :content_type, :file_size_bytes, :checksum_sha256,
    COALESCE(:tags::text[], '{}'), :inspection_id, :lot_id, :inference_job_id,
    COALESCE(:artifact_metadata::jsonb, '{}'::jsonb), :retention_until,
    :created_by, :created_by
)
RETURNING
    id, artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes,
    checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata,
    tier_changed_at, retention_until, created_at, updated_at, created_by, updated_by;

-- name: get_artifact(id)^
-- record_class: ArtifactRow
-- Get an artifact by id.
SELECT
    id, artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes,
    checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata,
    tier_changed_at, retention_until, created_at, updated_at, created_by, updated_by
FROM inspection.artifacts
WHERE id = :id;

-- name: find_artifacts_by_checksum(checksum_sha256)
-- record_class: ArtifactRow
-- Every artifact with this SHA-256 (duplicates, integrity checks), oldest first.
SELECT
    id, artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes,
    checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata,
    tier_changed_at, retention_until, created_at, updated_at, created_by, updated_by
FROM inspection.artifacts
WHERE checksum_sha256 = lower(:checksum_sha256::text)
ORDER BY created_at, id;

-- name: search_artifacts_by_tags(limit, offset)
-- record_class: ArtifactRow
-- Artifacts carrying every tag of all_tags and at least one of any_tags (either may be None), newest first (GIN ix_artifacts__tags).
-- The three filters are optional blocks: each combination is its own statement, so a tag filter's
-- generic plan can use the GIN index (an `:x IS NULL OR` predicate would hide it).
-- stream: yes
SELECT
    id, artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes,
    checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata,
    tier_changed_at, retention_until, created_at, updated_at, created_by, updated_by
FROM inspection.artifacts
WHERE true
  /*? AND tags @> :all_tags::text[] ?*/
  /*? AND tags && :any_tags::text[] ?*/
  /*? AND artifact_type = :artifact_type::inspection.artifact_type ?*/
ORDER BY created_at DESC, id DESC
LIMIT :limit::int OFFSET COALESCE(:offset::int, 0);

-- name: count_search_artifacts_by_tags()$
-- The number of artifacts search_artifacts_by_tags pages through (the same optional blocks).
SELECT count(*) AS "total!"
FROM inspection.artifacts
WHERE true
  /*? AND tags @> :all_tags::text[] ?*/
  /*? AND tags && :any_tags::text[] ?*/
  /*? AND artifact_type = :artifact_type::inspection.artifact_type ?*/;

-- name: list_tier_candidates(created_before, limit)
-- record_class: ArtifactRow
-- Hot-tier artifacts created before a time, oldest first: candidates to move to a colder tier (ix_artifacts__hot_tier).
SELECT
    id, artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes,
    checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata,
    tier_changed_at, retention_until, created_at, updated_at, created_by, updated_by
FROM inspection.artifacts
WHERE storage_location = 'hot'
  AND created_at < :created_before::timestamptz
ORDER BY created_at, id
LIMIT :limit::int;

-- name: move_artifact_tier(id, storage_location, updated_by)<!
-- record_class: ArtifactRow
-- Record that an artifact moved to another storage tier (tier_changed_at now); NotFound if it is already there.
UPDATE inspection.artifacts
SET storage_location = :storage_location::inspection.storage_location,
    tier_changed_at  = now(),
    updated_by       = :updated_by
WHERE id = :id
  AND storage_location <> :storage_location::inspection.storage_location
RETURNING
    id, artifact_type, storage_location, storage_uri, file_name, content_type, file_size_bytes,
    checksum_sha256, tags, inspection_id, lot_id, inference_job_id, artifact_metadata,
    tier_changed_at, retention_until, created_at, updated_at, created_by, updated_by;

-- name: move_artifacts_tier(ids, storage_location, updated_by)!
-- Move several artifacts to a storage tier in one statement; returns how many moved.
UPDATE inspection.artifacts
SET storage_location = :storage_location::inspection.storage_location,
    tier_changed_at  = now(),
    updated_by       = :updated_by
WHERE id = ANY(:ids::uuid[])
  AND storage_location <> :storage_location::inspection.storage_location;
