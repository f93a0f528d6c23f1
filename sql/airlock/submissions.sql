/*
  airlock.package_submissions and their package_requests: a team's
  package-lock.json and the packages it resolves (catalog §1.2.8).

  Column sets:
    SubmissionRow          a submission without its (large) lockfile;
    LockfileIngestRow      what submit_lockfile created;
    PackageRequestRow      the full request row;
    SubmissionRequestRow   a request with its workflow's state (NULL when the
                           request needed none: its version was already approved).

  submit_lockfile is the ingest: ONE statement, set-based, no Python loop.
  Lockfile v2/v3 ("packages" map): every key with node_modules/ is an
  installed package; its name is the part after the last node_modules/
  (scoped names and nested node_modules/a/node_modules/b included) unless the
  entry says "name" (npm aliases); the root entry "" and workspace folders
  (keys without node_modules/) are the project itself; link: true entries are
  symlinks to workspace folders: none of these is requested. Lockfile v1
  ("dependencies" tree) is walked recursively. A v2 file has both: "packages"
  wins. Duplicates (the same name@version installed at several paths) become
  one request. A malformed file is refused by the table's trigger with a
  message saying what is wrong (InvalidInput, ck_package_submissions__lockfile_shape).
  Pagination is keyset on (created_at, id), newest first.
*/

-- name: submit_lockfile(user_id, package_lock_json)<!
-- record_class: LockfileIngestRow
-- Submit a package-lock.json: the submission, its deduplicated requests, their workflows and usage rows, in ONE statement.
-- project_name, project_version and lockfile_version are taken from the
-- file. A version that is already approved (airlock.packages.status
-- 'approved') skips review: its request is created approved, linked to the
-- package, with no workflow. Every other request gets a pending workflow
-- (the work queue). Every request gets a package_usage row for the project.
-- A malformed lockfile raises InvalidInput saying what is wrong; nothing is
-- written.
WITH RECURSIVE sub AS (
    INSERT INTO airlock.package_submissions (user_id, project_name, package_lock_json)
    VALUES (:user_id::uuid, '', :package_lock_json::jsonb)  -- the trigger sets project_name
    RETURNING id, project_name, project_version, lockfile_version, package_lock_json
),
v1 (name, version, integrity, children) AS (
    SELECT d.key, d.value ->> 'version', d.value ->> 'integrity', d.value -> 'dependencies'
      FROM sub
     CROSS JOIN LATERAL jsonb_each(
           CASE WHEN sub.package_lock_json ? 'packages' THEN '{}'::jsonb
                ELSE sub.package_lock_json -> 'dependencies' END) AS d
    UNION ALL
    SELECT c.key, c.value ->> 'version', c.value ->> 'integrity', c.value -> 'dependencies'
      FROM v1
     CROSS JOIN LATERAL jsonb_each(v1.children) AS c
     WHERE jsonb_typeof(v1.children) = 'object'
),
entries AS (
    SELECT COALESCE(e.value ->> 'name', regexp_replace(e.key, '^.*node_modules/', '')) AS name,
           e.value ->> 'version' AS version,
           e.value ->> 'integrity' AS integrity
      FROM sub
     CROSS JOIN LATERAL jsonb_each(
           CASE WHEN sub.package_lock_json ? 'packages'
                THEN sub.package_lock_json -> 'packages' ELSE '{}'::jsonb END) AS e
     WHERE e.key LIKE '%node_modules/%'
       AND NOT COALESCE((e.value ->> 'link')::boolean, false)
    UNION ALL
    SELECT v1.name, v1.version, v1.integrity FROM v1
),
dedup AS (
    SELECT DISTINCT ON (name, version) name, version, integrity
      FROM entries
     ORDER BY name, version, integrity NULLS LAST
),
req AS (
    INSERT INTO airlock.package_requests (
        submission_id, package_name, package_version, integrity, package_id, status
    )
    SELECT sub.id, d.name, d.version, d.integrity, p.id,
           CASE WHEN p.status = 'approved' THEN 'approved' ELSE 'pending' END
               ::airlock.request_status
      FROM sub
     CROSS JOIN dedup AS d
      LEFT JOIN airlock.packages AS p   /* uq_packages__name_version */
             ON p.name = d.name AND p.version = d.version
    RETURNING id, status
),
wf AS (
    INSERT INTO airlock.workflows (package_request_id)
    SELECT req.id FROM req WHERE req.status = 'pending'
    RETURNING id
),
used AS (
    INSERT INTO airlock.package_usage (package_request_id, project_name, project_version)
    SELECT req.id, sub.project_name, sub.project_version FROM req CROSS JOIN sub
    RETURNING id
)
SELECT sub.id AS submission_id, sub.project_name, sub.project_version, sub.lockfile_version,
       (SELECT count(*) FROM req) AS "request_count!",
       (SELECT count(*) FROM wf) AS "workflow_count!",
       (SELECT count(*) FROM req WHERE req.status = 'approved') AS "preapproved_count!",
       (SELECT count(*) FROM used) AS "usage_count!"
  FROM sub;

-- name: check_lockfile(package_lock_json)$
-- What is wrong with a package-lock.json (a sentence), or None when submit_lockfile would take it.
SELECT airlock.lockfile_problem(:package_lock_json::jsonb);

-- name: create_submission(user_id, package_lock_json)<!
-- record_class: SubmissionRow
-- Record a submission without splitting it into requests (submit_lockfile does both).
-- For services that create the requests themselves (create_package_request).
-- project_name, project_version and lockfile_version are taken from the file;
-- a malformed lockfile raises InvalidInput saying what is wrong.
INSERT INTO airlock.package_submissions (user_id, project_name, package_lock_json)
VALUES (:user_id::uuid, '', :package_lock_json::jsonb)
RETURNING id, user_id, project_name, project_version, lockfile_version, status,
          created_at, updated_at;

-- name: create_package_request(submission_id, package_name, package_version, integrity)<!
-- record_class: PackageRequestRow
-- Add one package request to a submission (Conflict when the submission has this name@version).
INSERT INTO airlock.package_requests (submission_id, package_name, package_version, integrity)
VALUES (:submission_id, :package_name, :package_version, :integrity)
RETURNING id, submission_id, package_name, package_version, package_id, integrity, status,
          created_at, updated_at;

-- name: get_submission(id)^
-- record_class: SubmissionRow
-- Get a submission by id (without its lockfile).
SELECT id, user_id, project_name, project_version, lockfile_version, status,
       created_at, updated_at
  FROM airlock.package_submissions
 WHERE id = :id;

-- name: get_submission_lockfile(id)$
-- The package-lock.json of a submission, as submitted.
SELECT package_lock_json FROM airlock.package_submissions WHERE id = :id;

-- name: list_submissions(user_id, status, after_created_at, after_id, limit)
-- record_class: SubmissionRow
-- List submissions, optionally of one user and/or in one status, newest first (keyset paginated).
SELECT id, user_id, project_name, project_version, lockfile_version, status,
       created_at, updated_at
  FROM airlock.package_submissions
 WHERE (:user_id::uuid IS NULL OR user_id = :user_id)   /* ix_package_submissions__user_id */
   AND (:status::airlock.submission_status IS NULL OR status = :status)
   AND (:after_created_at::timestamptz IS NULL
        OR (created_at, id) < (:after_created_at, :after_id::uuid))
 ORDER BY created_at DESC, id DESC
 LIMIT :limit::int;

-- name: list_submission_requests(submission_id)
-- record_class: SubmissionRequestRow
-- The requests of a submission with their workflow's status and stage, by package name and version.
-- workflow_id, workflow_status and current_stage are None for a request that
-- needed no review (its version was already approved).
-- stream: yes
SELECT r.id, r.package_name, r.package_version, r.integrity, r.package_id, r.status,
       w.id AS workflow_id, w.status AS workflow_status, w.current_stage,
       w.decided_by, w.decided_at, w.decision_reason
  FROM airlock.package_requests AS r
  LEFT JOIN airlock.workflows AS w ON w.package_request_id = r.id
 WHERE r.submission_id = :submission_id   /* ix_package_requests__submission_id */
 ORDER BY r.package_name, r.package_version;

-- name: count_submission_requests_by_status(submission_id)
-- record_class: RequestStatusCountRow
-- How many requests of a submission are in each status.
SELECT status, count(*) AS "count!"
  FROM airlock.package_requests
 WHERE submission_id = :submission_id
 GROUP BY status
 ORDER BY status;

-- name: refresh_submission_status(id)<!
-- record_class: SubmissionRow
-- Recompute a submission's status from its requests: completed when every request is terminal.
-- processing while any request is in review or pending with others done,
-- pending while every request is pending. Call it after approve_workflow /
-- reject_workflow in the same transaction. A cancelled or failed submission
-- keeps its status.
UPDATE airlock.package_submissions AS s
   SET status = CASE
                    WHEN NOT EXISTS (
                        SELECT 1 FROM airlock.package_requests r
                         WHERE r.submission_id = s.id AND r.status IN ('pending', 'in_review'))
                        THEN 'completed'
                    WHEN EXISTS (
                        SELECT 1 FROM airlock.package_requests r
                         WHERE r.submission_id = s.id AND r.status <> 'pending')
                        THEN 'processing'
                    ELSE 'pending'
                END::airlock.submission_status
 WHERE s.id = :id
   AND s.status NOT IN ('cancelled', 'failed')
RETURNING id, user_id, project_name, project_version, lockfile_version, status,
          created_at, updated_at;

-- name: update_submission_status(id, status)<!
-- record_class: SubmissionRow
-- Set a submission's status (e.g. cancelled or failed).
UPDATE airlock.package_submissions
   SET status = :status::airlock.submission_status
 WHERE id = :id
RETURNING id, user_id, project_name, project_version, lockfile_version, status,
          created_at, updated_at;

-- name: delete_submission(id)!
-- Delete a submission (hard delete); returns 1, or 0 if there was none.
-- Cascades to its requests, their workflows, check results and usage rows.
DELETE FROM airlock.package_submissions WHERE id = :id;
