/*
  model_registry.packages: ML models, datasets and code archives stored in S3
  (seed 000 "CRUD + search + pagination", catalog §1.0.8).

  Column sets:
    PackageRow         the full row (every CRUD query returns it);
    PackageSearchRow   search_packages / list_packages: the listing shape,
                       with the package's net_score (NULL when not scored).

  No soft delete in this schema: delete_package is a hard delete that
  cascades to the package's score, lineage edges and download history.
  Pagination is keyset on (created_at, id), newest first (ix_packages__created_at):
  pass the last row's created_at / id as after_created_at / after_id.

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary).
*/

-- name: create_package(name, version, package_type, description, tags, s3_key, s3_bucket, file_size_bytes, checksum_sha256, uploaded_by, is_sensitive, access_control_script, source_url)<!
-- record_class: PackageRow
-- Register a package version (the archive is already in S3) and return its row.
-- (name, version) is unique: a second upload of the same version raises
-- Conflict on uq_packages__name_version. package_type defaults to 'model',
-- tags to [], is_sensitive to false; a sensitive package needs an
-- access_control_script (ck_packages__sensitive_has_script).
INSERT INTO model_registry.packages (
    name, version, package_type, description, tags, s3_key, s3_bucket,
    file_size_bytes, checksum_sha256, uploaded_by, is_sensitive,
    access_control_script, source_url
)
VALUES (
    :name, :version,
    COALESCE(:package_type::model_registry.package_type, 'model'),
    :description,
    COALESCE(:tags::text[], '{}'),
    :s3_key, :s3_bucket, :file_size_bytes, :checksum_sha256, :uploaded_by,
    COALESCE(:is_sensitive::boolean, false),
    :access_control_script, :source_url
)
RETURNING
    id, name, version, package_type, description, tags, s3_key, s3_bucket,
    file_size_bytes, checksum_sha256, uploaded_by, is_sensitive,
    access_control_script, source_url, created_at, updated_at;

-- name: copy_packages()!
-- record_class: PackageIn
-- Bulk-ingest packages with COPY (streams any iterable; returns the row count).
-- Pass id (e.g. uuid4()) so scores, lineage and downloads can refer to the
-- rows without reading them back. One COPY is all or nothing.
COPY model_registry.packages (
    id, name, version, package_type, description, tags, s3_key, s3_bucket,
    file_size_bytes, checksum_sha256, uploaded_by, is_sensitive,
    access_control_script, source_url, created_at
) FROM STDIN;

-- name: get_package_by_id(id)^
-- record_class: PackageRow
-- Get a package by id.
-- plan: no seq scan on model_registry.packages
SELECT
    id, name, version, package_type, description, tags, s3_key, s3_bucket,
    file_size_bytes, checksum_sha256, uploaded_by, is_sensitive,
    access_control_script, source_url, created_at, updated_at
FROM model_registry.packages
WHERE id = :id;

-- name: get_package_by_name_version(name, version)^
-- record_class: PackageRow
-- Get one version of a package by its name and version (exact match).
-- plan: uses uq_packages__name_version
SELECT
    id, name, version, package_type, description, tags, s3_key, s3_bucket,
    file_size_bytes, checksum_sha256, uploaded_by, is_sensitive,
    access_control_script, source_url, created_at, updated_at
FROM model_registry.packages
WHERE name = :name::text   /* uq_packages__name_version */
  AND version = :version::text;

-- name: list_package_versions(name)
-- record_class: PackageRow
-- List every version of a package name, newest semantic version first.
-- Versions starting MAJOR.MINOR.PATCH sort numerically (10.0.0 before 9.1.0);
-- pre-release/build suffixes are not ranked (equal triples: newest upload
-- first). Versions of another form come last, newest upload first.
-- stream: yes
SELECT
    id, name, version, package_type, description, tags, s3_key, s3_bucket,
    file_size_bytes, checksum_sha256, uploaded_by, is_sensitive,
    access_control_script, source_url, created_at, updated_at
FROM model_registry.packages
WHERE name = :name::text   /* uq_packages__name_version (leading column) */
ORDER BY (regexp_match(version, '^(\d{1,9})\.(\d{1,9})\.(\d{1,9})'))::int[] DESC NULLS LAST,
         created_at DESC, id DESC;

-- name: update_package(id, package_type, description, tags, s3_key, s3_bucket, file_size_bytes, checksum_sha256, is_sensitive, access_control_script, source_url)<!
-- record_class: PackageRow
-- Update a package's metadata, storage location or sensitivity; omitted (None) fields keep their value.
-- name and version are the identity of a package and cannot change (upload a
-- new version instead). COALESCE means "keep if omitted", so this query
-- cannot set a nullable field back to NULL. Making a package sensitive needs
-- an access_control_script (ck_packages__sensitive_has_script).
UPDATE model_registry.packages
SET package_type          = COALESCE(:package_type::model_registry.package_type, package_type),
    description           = COALESCE(:description::text, description),
    tags                  = COALESCE(:tags::text[], tags),
    s3_key                = COALESCE(:s3_key::text, s3_key),
    s3_bucket             = COALESCE(:s3_bucket::text, s3_bucket),
    file_size_bytes       = COALESCE(:file_size_bytes::bigint, file_size_bytes),
    checksum_sha256       = COALESCE(:checksum_sha256::text, checksum_sha256),
    is_sensitive          = COALESCE(:is_sensitive::boolean, is_sensitive),
    access_control_script = COALESCE(:access_control_script::text, access_control_script),
    source_url            = COALESCE(:source_url::text, source_url)
WHERE id = :id
RETURNING
    id, name, version, package_type, description, tags, s3_key, s3_bucket,
    file_size_bytes, checksum_sha256, uploaded_by, is_sensitive,
    access_control_script, source_url, created_at, updated_at;

-- name: delete_package(id)!
-- Delete a package (hard delete); returns 1, or 0 if there was none.
-- Cascades to its score, every lineage edge it is part of, and its download
-- history (catalog Q3).
DELETE FROM model_registry.packages
WHERE id = :id;

-- name: search_packages(q, package_type, tags, is_sensitive, min_net_score, after_created_at, after_id, limit)
-- record_class: PackageSearchRow
-- Search packages by name or description (trigram), with optional filters, newest first (keyset paginated).
-- The search expression must stay textually identical to the expression of
-- ix_packages__search_trgm (GIN gin_trgm_ops):
--     (name || ' ' || coalesce(description, ''))
-- ILIKE '%q%' is a case-insensitive substring match (LIKE wildcards in :q
-- are escaped, so "a_b" matches "a_b" literally). No similarity predicate
-- here on purpose: OR-ing `:q <% expr` made the planner misestimate and walk
-- ix_packages__created_at over the whole table (measured: 515 ms instead of
-- 6 ms on 100,000 packages); typo-tolerant lookup is suggest_packages.
-- Filters (None = any): package_type; tags (the package has ALL of them,
-- ix_packages__tags); is_sensitive; min_net_score (only scored packages with
-- net_score >= it). Queries shorter than 3 characters have no trigram and
-- scan the index fully: require 3+ characters in the UI.
-- plan: no seq scan on model_registry.package_scores
-- plan: cost <= 500
SELECT
    p.id, p.name, p.version, p.package_type, p.description, p.tags,
    p.file_size_bytes, p.uploaded_by, p.is_sensitive, p.created_at,
    s.net_score
FROM model_registry.packages p
LEFT JOIN model_registry.package_scores s ON s.package_id = p.id
WHERE (p.name || ' ' || coalesce(p.description, ''))
        ILIKE '%' || replace(replace(replace(:q::text, '\', '\\'), '%', '\%'), '_',
            '\_') || '%'
  AND (:package_type::model_registry.package_type IS NULL OR p.package_type = :package_type)
  AND (:tags::text[] IS NULL OR p.tags @> :tags)
  AND (:is_sensitive::boolean IS NULL OR p.is_sensitive = :is_sensitive)
  AND (:min_net_score::real IS NULL OR s.net_score >= :min_net_score)
  AND (:after_created_at::timestamptz IS NULL
       OR (p.created_at, p.id) < (:after_created_at, :after_id::uuid))
ORDER BY p.created_at DESC, p.id DESC
LIMIT :limit::int;

-- name: count_search_packages(q)$
-- Count the packages search_packages would return for these filters (all pages).
-- The filters are optional blocks: each combination is its own statement, so no
-- variant carries `:x IS NULL OR ...` predicates that hide indexes from a generic plan.
-- plan: cost <= 200
SELECT count(*) AS "total!"
FROM model_registry.packages p
LEFT JOIN model_registry.package_scores s ON s.package_id = p.id
WHERE (p.name || ' ' || coalesce(p.description, ''))
        ILIKE '%' || replace(replace(replace(:q::text, '\', '\\'), '%', '\%'), '_',
            '\_') || '%'
  /*? AND p.package_type = :package_type::model_registry.package_type ?*/
  /*? AND p.tags @> :tags::text[] ?*/
  /*? AND p.is_sensitive = :is_sensitive::boolean ?*/
  /*? AND s.net_score >= :min_net_score::real ?*/;

-- name: list_packages(package_type, uploaded_by, after_created_at, after_id, limit)
-- record_class: PackageSearchRow
-- List packages, newest first (keyset paginated), optionally of one type or uploader.
-- stream: yes
-- plan: no seq scan on model_registry.packages
SELECT
    p.id, p.name, p.version, p.package_type, p.description, p.tags,
    p.file_size_bytes, p.uploaded_by, p.is_sensitive, p.created_at,
    s.net_score
FROM model_registry.packages p
LEFT JOIN model_registry.package_scores s ON s.package_id = p.id
WHERE (:package_type::model_registry.package_type IS NULL OR p.package_type = :package_type)
  AND (:uploaded_by::uuid IS NULL OR p.uploaded_by = :uploaded_by)
  AND (:after_created_at::timestamptz IS NULL
       OR (p.created_at, p.id) < (:after_created_at, :after_id::uuid))
ORDER BY p.created_at DESC, p.id DESC   /* ix_packages__created_at */
LIMIT :limit::int;

-- name: count_packages(package_type)$
-- Count packages, optionally of one type.
SELECT count(*) AS "total!"
FROM model_registry.packages
WHERE (:package_type::model_registry.package_type IS NULL OR package_type = :package_type);

-- name: suggest_packages(q, limit)
-- record_class: SuggestPackagesRow
-- Packages whose name is most similar to q (typo tolerant, best match first), for autocomplete.
-- pg_trgm word similarity on name (ix_packages__name_trgm): `:q <% name` keeps
-- names with word_similarity >= pg_trgm.word_similarity_threshold (default
-- 0.6; tune per role/database). Ties by name, then version.
SELECT
    id, name, version, package_type,
    word_similarity(:q::text, name) AS "score!"
FROM model_registry.packages
WHERE :q::text <% name
ORDER BY "score!" DESC, name, version
LIMIT :limit::int;
