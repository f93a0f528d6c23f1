/*
  airlock.packages: npm package versions fetched into the airlock, shared by
  every submission that resolves them (catalog §1.2.8).

  Column sets:
    PackageRow   the full row, metadata (the npm version manifest) included.
*/

-- name: upsert_package(name, version, metadata, license, tarball_storage_key)<!
-- record_class: PackageRow
-- Record a package version fetched from the npm registry (insert or refresh) and link its requests.
-- metadata is the version manifest; license its SPDX expression. fetched_at
-- becomes now(); the status becomes fetched unless the version was already
-- decided (approved, rejected, revoked stay). Requests for this name@version
-- that have no package yet are linked to it in the same statement.
WITH pkg AS (
    INSERT INTO airlock.packages (name, version, status, metadata, license,
                                  tarball_storage_key, fetched_at)
    VALUES (:name, :version, 'fetched', COALESCE(:metadata::jsonb, '{}'::jsonb),
            :license, :tarball_storage_key, now())
    ON CONFLICT (name, version) DO UPDATE
       SET metadata = EXCLUDED.metadata,
           license = EXCLUDED.license,
           tarball_storage_key = COALESCE(EXCLUDED.tarball_storage_key,
                                          packages.tarball_storage_key),
           fetched_at = EXCLUDED.fetched_at,
           status = CASE WHEN packages.status IN ('approved', 'rejected', 'revoked')
                         THEN packages.status ELSE 'fetched' END
    RETURNING id, name, version, status, metadata, license, tarball_storage_key, fetched_at,
              created_at, updated_at
),
linked AS (
    UPDATE airlock.package_requests AS r
       SET package_id = pkg.id
      FROM pkg
     WHERE r.package_name = pkg.name AND r.package_version = pkg.version
       AND r.package_id IS NULL
    RETURNING r.id
)
SELECT id, name, version, status, metadata, license, tarball_storage_key, fetched_at,
       created_at, updated_at
  FROM pkg;

-- name: get_package(id)^
-- record_class: PackageRow
-- Get a package by id.
SELECT id, name, version, status, metadata, license, tarball_storage_key, fetched_at,
       created_at, updated_at
  FROM airlock.packages
 WHERE id = :id;

-- name: find_package(name, version)^
-- record_class: PackageRow
-- Find a package version by exact name and version, or None.
SELECT id, name, version, status, metadata, license, tarball_storage_key, fetched_at,
       created_at, updated_at
  FROM airlock.packages
 WHERE name = :name::text AND version = :version::text;   /* uq_packages__name_version */

-- name: find_approved_package(name, version)^
-- record_class: PackageRow
-- The package version if it is approved (a later submission of it skips review), else None.
SELECT id, name, version, status, metadata, license, tarball_storage_key, fetched_at,
       created_at, updated_at
  FROM airlock.packages
 WHERE name = :name::text AND version = :version::text   /* uq_packages__name_version */
   AND status = 'approved';

-- name: update_package_status(id, status)<!
-- record_class: PackageRow
-- Set a package's status (e.g. revoked after a new CVE, fetch_failed).
UPDATE airlock.packages
   SET status = :status::airlock.package_status
 WHERE id = :id
RETURNING id, name, version, status, metadata, license, tarball_storage_key, fetched_at,
          created_at, updated_at;

-- name: search_packages_by_metadata(contains, limit)
-- record_class: PackageRow
-- Packages whose manifest contains a JSON fragment (jsonb @>, GIN ix_packages__metadata), by name.
-- e.g. {"dependencies": {"lodash": "^4.17.0"}} or {"deprecated": true}.
SELECT id, name, version, status, metadata, license, tarball_storage_key, fetched_at,
       created_at, updated_at
  FROM airlock.packages
 WHERE metadata @> :contains::jsonb
 ORDER BY name, version
 LIMIT :limit::int;
