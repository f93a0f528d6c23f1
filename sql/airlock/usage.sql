/*
  airlock.package_usage: which projects depend on which package versions
  (seed 002; ix_package_usage__project_name). submit_lockfile records one usage
  row per request. Typical question: a new CVE hits lodash 4.17.20 and
  4.17.21: which projects use them?
*/

-- name: record_package_usage(package_request_id, project_name, project_version)<!
-- record_class: PackageUsageRow
-- Record that a project (version) uses a requested package.
INSERT INTO airlock.package_usage (package_request_id, project_name, project_version)
VALUES (:package_request_id, :project_name, :project_version)
RETURNING id, package_request_id, project_name, project_version, created_at;

-- name: list_projects_using_package(package_name, versions)
-- record_class: ProjectUsageRow
-- The projects (and project versions) that use a package, optionally only some exact versions.
-- versions None: every version. One row per project, project version and
-- package version, with the latest submission time and the request's status.
SELECT u.project_name, u.project_version, r.package_version,
       max(u.created_at) AS "last_seen_at!",
       (array_agg(r.status ORDER BY u.created_at DESC))[1] AS "request_status!"
  FROM airlock.package_requests AS r   /* uq_package_requests__name_version_submission */
  JOIN airlock.package_usage AS u ON u.package_request_id = r.id
 WHERE r.package_name = :package_name::text
   AND (:versions::text[] IS NULL OR r.package_version = ANY (:versions))
 GROUP BY u.project_name, u.project_version, r.package_version
 ORDER BY u.project_name, u.project_version, r.package_version;

-- name: list_packages_for_project(project_name)
-- record_class: ProjectPackageRow
-- The package versions a project uses (across its submissions), by name and version.
-- stream: yes
SELECT r.package_name, r.package_version,
       (array_agg(r.status ORDER BY u.created_at DESC))[1] AS "request_status!",
       max(u.created_at) AS "last_seen_at!"
  FROM airlock.package_usage AS u   /* ix_package_usage__project_name */
  JOIN airlock.package_requests AS r ON r.id = u.package_request_id
 WHERE u.project_name = :project_name::text
 GROUP BY r.package_name, r.package_version
 ORDER BY r.package_name, r.package_version;
