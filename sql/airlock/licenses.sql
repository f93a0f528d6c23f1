/*
  airlock.license_allowlist and the license check (catalog §1.2.8).

  airlock.license_allowed(expression) evaluates an SPDX license expression
  against the ACTIVE entries: an identifier must be listed (case-insensitive),
  "A OR B" needs one allowed side, "A AND B" both; AND binds tighter than OR,
  parentheses group, "<id> WITH <exception>" is one term. NULL (None) for an
  empty or malformed expression: treat it as not allowed.
*/

-- name: is_license_allowed(expression)$
-- Whether an SPDX license expression is allowed by the active allowlist (None: empty, blank,
-- malformed, or longer than 1,000 characters: no real SPDX expression is).
SELECT airlock.license_allowed(:expression::text);

-- name: list_active_licenses()
-- record_class: LicenseRow
-- The active allowlist entries, by identifier.
SELECT id, license_identifier, license_name, description, is_active, created_by,
       created_at, updated_at
  FROM airlock.license_allowlist
 WHERE is_active
 ORDER BY license_identifier;

-- name: get_license(license_identifier)^
-- record_class: LicenseRow
-- Get an allowlist entry by its SPDX identifier (exact), active or not.
SELECT id, license_identifier, license_name, description, is_active, created_by,
       created_at, updated_at
  FROM airlock.license_allowlist
 WHERE license_identifier = :license_identifier::text;

-- name: create_license(license_identifier, license_name, description, created_by)<!
-- record_class: LicenseRow
-- Add a license to the allowlist (active); Conflict when the identifier is listed.
INSERT INTO airlock.license_allowlist (license_identifier, license_name, description, created_by)
VALUES (:license_identifier, :license_name, :description, :created_by)
RETURNING id, license_identifier, license_name, description, is_active, created_by,
          created_at, updated_at;

-- name: set_license_active(license_identifier, is_active)<!
-- record_class: LicenseRow
-- Deactivate (false) or reactivate (true) an allowlist entry; NotFound when it is not listed.
UPDATE airlock.license_allowlist
   SET is_active = :is_active::boolean
 WHERE license_identifier = :license_identifier::text
RETURNING id, license_identifier, license_name, description, is_active, created_by,
          created_at, updated_at;

-- name: list_disallowed_packages_for_submission(submission_id)
-- record_class: DisallowedPackageRow
-- The packages of a submission whose license the active allowlist does not allow, by name.
-- Only fetched packages are judged (a package without a row or without a
-- license is listed with allowed None: its license is unknown).
SELECT r.id AS package_request_id, r.package_name, r.package_version, p.id AS package_id,
       p.license, airlock.license_allowed(p.license) AS allowed
  FROM airlock.package_requests AS r
  LEFT JOIN airlock.packages AS p ON p.name = r.package_name AND p.version = r.package_version
 WHERE r.submission_id = :submission_id   /* ix_package_requests__submission_id */
   AND airlock.license_allowed(p.license) IS NOT TRUE
 ORDER BY r.package_name, r.package_version;
