/*
  airlock.workflows and airlock.check_results: the review pipeline of each
  package request, and the work queue the pipeline's workers pull from
  (catalog §1.2.3, §1.2.8).

  The state machine is enforced by the table's trigger (trg_workflows__transition):
    pending -> running -> awaiting_approval -> approved | rejected
    running -> failed;  pending, running, awaiting_approval -> cancelled.
  An illegal transition raises InvalidInput naming the from/to states
  (ck_workflows__status_transition); approving or rejecting needs decided_by and
  decided_at, a rejection a reason. The request's status follows its workflow
  (trg_workflows__sync_request).

  Work queue: claim_next_workflows locks the oldest pending workflows with
  FOR UPDATE SKIP LOCKED, so concurrent workers each get different ones, and
  marks them running in the same statement (ix_workflows__active).
  Check results are append-only: a re-run adds a row; list_latest_check_results
  gives the newest per check type (DISTINCT ON).
*/

-- name: create_workflow(package_request_id)<!
-- record_class: WorkflowRow
-- Queue a workflow for a request (pending, stage queued); Conflict when the request has one.
INSERT INTO airlock.workflows (package_request_id)
VALUES (:package_request_id)
RETURNING id, package_request_id, status, current_stage, decided_by, decided_at,
          decision_reason, completed_at, created_at, updated_at;

-- name: get_workflow(id)^
-- record_class: WorkflowRow
-- Get a workflow by id.
SELECT id, package_request_id, status, current_stage, decided_by, decided_at,
       decision_reason, completed_at, created_at, updated_at
  FROM airlock.workflows
 WHERE id = :id;

-- name: claim_next_workflows(limit)
-- record_class: ClaimedWorkflowRow
-- Claim up to `limit` of the oldest pending workflows for this worker: they become running, stage fetch.
-- FOR UPDATE SKIP LOCKED: concurrent workers never get the same workflow and
-- never wait for each other; each claimed workflow is returned once, with
-- its package name and version. The submissions concerned become processing.
-- Commit soon after claiming (the claim is the commit).
WITH next AS (
    SELECT w.id
      FROM airlock.workflows AS w
     WHERE w.status = 'pending' AND w.current_stage = 'queued'   /* ix_workflows__active */
     ORDER BY w.created_at   -- the index order: no sort, the scan stops after `limit` rows
     LIMIT :limit::int
       FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE airlock.workflows AS w
       SET status = 'running', current_stage = 'fetch'
      FROM next
     WHERE w.id = next.id
    RETURNING w.id, w.package_request_id, w.status, w.current_stage, w.created_at
),
touched AS (
    UPDATE airlock.package_submissions AS s
       SET status = 'processing'
     WHERE s.status = 'pending'
       AND s.id IN (SELECT r.submission_id
                      FROM claimed
                      JOIN airlock.package_requests AS r ON r.id = claimed.package_request_id)
    RETURNING s.id
)
SELECT c.id, c.package_request_id, r.submission_id, r.package_name, r.package_version,
       r.integrity, c.status, c.current_stage, c.created_at
  FROM claimed AS c
  JOIN airlock.package_requests AS r ON r.id = c.package_request_id
 ORDER BY c.created_at, c.id;

-- name: advance_workflow(id, status, current_stage)<!
-- record_class: WorkflowRow
-- Move a workflow to another stage and/or status (None keeps the current one).
-- The trigger refuses illegal status transitions (InvalidInput naming from
-- and to). Approve or reject with approve_workflow / reject_workflow.
UPDATE airlock.workflows
   SET status = COALESCE(:status::airlock.workflow_status, status),
       current_stage = COALESCE(:current_stage::airlock.workflow_stage, current_stage)
 WHERE id = :id
RETURNING id, package_request_id, status, current_stage, decided_by, decided_at,
          decision_reason, completed_at, created_at, updated_at;

-- name: approve_workflow(id, decided_by, reason)<!
-- record_class: DecisionRow
-- Approve a workflow awaiting approval: workflow, request, package and a core.audit_log event in ONE statement.
-- The workflow becomes approved (decided_by, decided_at = now()); its
-- request follows (trigger); the package (name, version) becomes approved
-- (created when it was never fetched), so later submissions of this version
-- skip review; the audit event (application airlock, action approve, entity
-- workflow/<id>) takes organization, correlation, session, client address
-- and user agent from the transaction's settings (registry_sql.db.transaction).
-- All or nothing: if any part fails nothing changes. Raises NotFound when the
-- workflow does not exist, InvalidInput when it is not awaiting approval.
-- Then call refresh_submission_status in the same transaction.
WITH wf AS (
    UPDATE airlock.workflows AS w
       SET status = 'approved', decided_by = :decided_by::uuid, decided_at = now(),
           decision_reason = COALESCE(:reason::text, decision_reason)
     WHERE w.id = :id::uuid
    RETURNING w.id, w.package_request_id, w.status, w.decided_by, w.decided_at,
              w.decision_reason
),
req AS (
    SELECT r.id, r.submission_id, r.package_name, r.package_version
      FROM wf JOIN airlock.package_requests AS r ON r.id = wf.package_request_id
),
pkg AS (
    INSERT INTO airlock.packages (name, version, status)
    SELECT req.package_name, req.package_version, 'approved' FROM req
    ON CONFLICT (name, version) DO UPDATE SET status = 'approved'
    RETURNING id, status
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, actor_username,
        action, event_level, entity_type, entity_id, details, reason, correlation_id,
        session_id, ip_address, user_agent
    )
    SELECT 'airlock', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           wf.decided_by, (SELECT u.username FROM core.users u WHERE u.id = wf.decided_by),
           'approve', 'info', 'workflow', wf.id::text,
           jsonb_build_object('package', req.package_name, 'version', req.package_version,
                              'package_request_id', req.id,
                              'submission_id', req.submission_id, 'decision', 'approved'),
           COALESCE(wf.decision_reason, NULLIF(current_setting('app.change_reason', true), '')),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
      FROM wf CROSS JOIN req
    RETURNING id, occurred_at
)
SELECT wf.id AS workflow_id, wf.status, wf.decided_by, wf.decided_at, wf.decision_reason,
       req.id AS package_request_id, req.submission_id, pkg.id AS package_id,
       pkg.status AS package_status, audit.id AS audit_event_id, audit.occurred_at AS audited_at
  FROM wf CROSS JOIN req CROSS JOIN pkg CROSS JOIN audit;

-- name: reject_workflow(id, decided_by, reason)<!
-- record_class: DecisionRow
-- Reject a workflow awaiting approval (a reason is required): workflow, request, package and audit event in ONE statement.
-- The workflow becomes rejected (decided_by, decided_at = now(), reason);
-- its request follows (trigger); the package (name, version) becomes
-- rejected unless another submission's review already approved it; the audit
-- event (action reject, event_level warning) is written in the same
-- statement. All or nothing. Raises NotFound when the workflow does not
-- exist, InvalidInput when it is not awaiting approval or reason is empty.
WITH wf AS (
    UPDATE airlock.workflows AS w
       SET status = 'rejected', decided_by = :decided_by::uuid, decided_at = now(),
           decision_reason = :reason::text
     WHERE w.id = :id::uuid
    RETURNING w.id, w.package_request_id, w.status, w.decided_by, w.decided_at,
              w.decision_reason
),
req AS (
    SELECT r.id, r.submission_id, r.package_name, r.package_version
      FROM wf JOIN airlock.package_requests AS r ON r.id = wf.package_request_id
),
pkg AS (
    INSERT INTO airlock.packages (name, version, status)
    SELECT req.package_name, req.package_version, 'rejected' FROM req
    ON CONFLICT (name, version) DO UPDATE
       SET status = CASE WHEN packages.status = 'approved' THEN packages.status
                         ELSE 'rejected' END
    RETURNING id, status
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, actor_username,
        action, event_level, entity_type, entity_id, details, reason, correlation_id,
        session_id, ip_address, user_agent
    )
    SELECT 'airlock', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           wf.decided_by, (SELECT u.username FROM core.users u WHERE u.id = wf.decided_by),
           'reject', 'warning', 'workflow', wf.id::text,
           jsonb_build_object('package', req.package_name, 'version', req.package_version,
                              'package_request_id', req.id,
                              'submission_id', req.submission_id, 'decision', 'rejected'),
           wf.decision_reason,
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
      FROM wf CROSS JOIN req
    RETURNING id, occurred_at
)
SELECT wf.id AS workflow_id, wf.status, wf.decided_by, wf.decided_at, wf.decision_reason,
       req.id AS package_request_id, req.submission_id, pkg.id AS package_id,
       pkg.status AS package_status, audit.id AS audit_event_id, audit.occurred_at AS audited_at
  FROM wf CROSS JOIN req CROSS JOIN pkg CROSS JOIN audit;

-- name: cancel_workflow(id)<!
-- record_class: WorkflowRow
-- Cancel a workflow that is not finished (InvalidInput from a terminal state); its request becomes failed.
UPDATE airlock.workflows
   SET status = 'cancelled'
 WHERE id = :id
RETURNING id, package_request_id, status, current_stage, decided_by, decided_at,
          decision_reason, completed_at, created_at, updated_at;

-- name: list_workflows_by_status(status, limit)
-- record_class: ReviewQueueRow
-- Workflows in one status with their package, oldest first (e.g. the reviewers' queue: awaiting_approval).
SELECT w.id, w.package_request_id, r.submission_id, r.package_name, r.package_version,
       w.status, w.current_stage, w.created_at, w.updated_at
  FROM airlock.workflows AS w
  JOIN airlock.package_requests AS r ON r.id = w.package_request_id
 WHERE w.status = :status::airlock.workflow_status
 ORDER BY w.created_at, w.id
 LIMIT :limit::int;

-- name: count_workflows_by_status()
-- record_class: WorkflowStatusCountRow
-- How many workflows are in each status (the queue's depth is the pending count).
SELECT status, count(*) AS "count!"
  FROM airlock.workflows
 GROUP BY status
 ORDER BY status;

-- name: record_check_result(workflow_id, check_type, status, results)<!
-- record_class: CheckResultRow
-- Record the result of a check run (a re-run adds a row; the latest per type counts).
INSERT INTO airlock.check_results (workflow_id, check_type, status, results)
VALUES (:workflow_id, :check_type, :status, COALESCE(:results::jsonb, '{}'::jsonb))
RETURNING id, workflow_id, check_type, status, results, created_at;

-- name: run_license_check(workflow_id)<!
-- record_class: CheckResultRow
-- Check the license of a workflow's package against the active allowlist and record the result.
-- passed when airlock.license_allowed(license) is true (SPDX OR needs one
-- allowed side, AND both), failed when false, error when the package has no
-- fetched license or the expression is malformed. results holds the license,
-- the verdict and the active allowlist identifiers it was checked against.
-- Raises NotFound when the workflow does not exist.
INSERT INTO airlock.check_results (workflow_id, check_type, status, results)
SELECT w.id, 'license',
       CASE airlock.license_allowed(p.license)
           WHEN true THEN 'passed' WHEN false THEN 'failed' ELSE 'error'
       END::airlock.check_status,
       jsonb_build_object(
           'package', r.package_name, 'version', r.package_version, 'license', p.license,
           'allowed', airlock.license_allowed(p.license),
           'allowlist', (SELECT COALESCE(jsonb_agg(a.license_identifier
                                                   ORDER BY a.license_identifier), '[]')
                           FROM airlock.license_allowlist a WHERE a.is_active))
  FROM airlock.workflows AS w
  JOIN airlock.package_requests AS r ON r.id = w.package_request_id
  LEFT JOIN airlock.packages AS p ON p.name = r.package_name AND p.version = r.package_version
 WHERE w.id = :workflow_id
RETURNING id, workflow_id, check_type, status, results, created_at;

-- name: list_latest_check_results(workflow_id)
-- record_class: CheckResultRow
-- The latest result of each check type of a workflow (re-runs superseded).
SELECT DISTINCT ON (check_type)
       id, workflow_id, check_type, status, results, created_at
  FROM airlock.check_results   /* ix_check_results__workflow_type_created */
 WHERE workflow_id = :workflow_id
 ORDER BY check_type, created_at DESC, id DESC;

-- name: list_check_results(workflow_id)
-- record_class: CheckResultRow
-- Every check result of a workflow, oldest first (the history of re-runs).
SELECT id, workflow_id, check_type, status, results, created_at
  FROM airlock.check_results
 WHERE workflow_id = :workflow_id
 ORDER BY created_at, id;

-- name: list_recent_check_problems(limit)
-- record_class: CheckResultRow
-- The latest failed or errored check results of all workflows, newest first.
SELECT id, workflow_id, check_type, status, results, created_at
  FROM airlock.check_results
 WHERE status IN ('failed', 'error')   /* ix_check_results__problems */
 ORDER BY created_at DESC, id DESC
 LIMIT :limit::int;
