/*
  inspection.reports: request -> generating -> completed / failed, access
  control (owner, public, listed users, listed roles) and expiry. Writes run
  inside `transaction(conn, user_id=...)`. Reports are never deleted by
  services: expire_report clears the file link and stamps expired_at.
*/

-- name: create_report(report_type, format, title, parameters, period_start, period_end, lot_id, inspection_id, is_public, allowed_roles, allowed_user_ids, expires_at, created_by)<!
-- record_class: ReportRow
-- Request a report (status pending); created_by is the requester, who may read it.
INSERT INTO inspection.reports (
    report_type, format, title, parameters, period_start, period_end, lot_id, inspection_id,
    is_public, allowed_roles, allowed_user_ids, expires_at, created_by, updated_by
)
VALUES (
    :report_type, :format, :title, COALESCE(:parameters::jsonb, '{}'::jsonb),
    :period_start,
    :period_end, :lot_id, :inspection_id, COALESCE(:is_public::boolean, false),
    COALESCE(:allowed_roles::text[], '{}'), COALESCE(:allowed_user_ids::uuid[], '{}'),
    :expires_at, :created_by, :created_by
)
RETURNING
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by;

-- name: get_report(id)^
-- record_class: ReportRow
-- Get a report by id, without an access check (administration; readers use get_report_if_allowed).
SELECT
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by
FROM inspection.reports
WHERE id = :id;

-- name: mark_report_generating(id)<!
-- record_class: ReportRow
-- A generator took the report (generating, generation_started_at now); NotFound unless pending.
UPDATE inspection.reports
SET status                = 'generating',
    generation_started_at = now()
WHERE id = :id
  AND status = 'pending'
RETURNING
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by;

-- name: complete_report(id, artifact_id)<!
-- record_class: ReportRow
-- The report's file is stored (artifact_id): completed, generated_at now; NotFound unless generating.
UPDATE inspection.reports
SET status       = 'completed',
    artifact_id  = :artifact_id::uuid,
    generated_at = now()
WHERE id = :id
  AND status = 'generating'
RETURNING
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by;

-- name: fail_report(id, error_message)<!
-- record_class: ReportRow
-- Generation failed: failed with its error; NotFound unless pending or generating.
UPDATE inspection.reports
SET status        = 'failed',
    error_message = :error_message::text
WHERE id = :id
  AND status IN ('pending', 'generating')
RETURNING
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by;

-- name: get_report_if_allowed(id, user_id)^
-- record_class: ReportRow
-- Get a completed, unexpired report the user may read: the requester, a public report, a
-- listed user, or a holder of a listed role (core.user_roles of application inspection).
-- NotFound otherwise: a stranger cannot tell a hidden report from a missing one.
SELECT
    r.id, r.report_type, r.status, r.format, r.title, r.parameters, r.period_start,
    r.period_end, r.lot_id, r.inspection_id, r.artifact_id, r.is_public, r.allowed_roles,
    r.allowed_user_ids, r.expires_at, r.expired_at, r.generation_started_at, r.generated_at,
    r.error_message, r.download_count, r.created_at, r.updated_at, r.created_by, r.updated_by
FROM inspection.reports r
WHERE r.id = :id
  AND r.status = 'completed'
  AND r.expired_at IS NULL
  AND (r.expires_at IS NULL OR r.expires_at > statement_timestamp())
  AND (
      r.is_public
      OR r.created_by = :user_id::uuid
      OR :user_id::uuid = ANY(r.allowed_user_ids)
      OR EXISTS (
          SELECT 1
          FROM core.user_roles ur
          JOIN core.roles ro ON ro.id = ur.role_id
          WHERE ur.user_id = :user_id::uuid
            AND ro.application = 'inspection'
            AND ro.name = ANY(r.allowed_roles)
      )
  );

-- name: record_report_download(id)<!
-- record_class: ReportRow
-- Count one download of a completed report (call after get_report_if_allowed).
UPDATE inspection.reports
SET download_count = download_count + 1
WHERE id = :id
  AND status = 'completed'
RETURNING
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by;

-- name: list_expired_reports(limit)
-- record_class: ReportRow
-- Reports past expires_at that expire_report has not handled yet, oldest expiry first.
SELECT
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by
FROM inspection.reports
WHERE expires_at <= statement_timestamp()
  AND expired_at IS NULL
ORDER BY expires_at, id
LIMIT :limit::int;

-- name: expire_report(id, updated_by)<!
-- record_class: ExpireReportRow
-- Expire a report past its expires_at: clear its file link and stamp expired_at. Returns the
-- released artifact id (the cleanup job deletes that file); NotFound if not expired or done.
WITH old AS (
    SELECT id, artifact_id
    FROM inspection.reports
    WHERE id = :id
      AND expires_at <= statement_timestamp()
      AND expired_at IS NULL
    FOR UPDATE
)
UPDATE inspection.reports r
SET expired_at  = statement_timestamp(),
    artifact_id = NULL,
    updated_by  = :updated_by
FROM old
WHERE r.id = old.id
RETURNING r.id, r.expired_at AS "expired_at!", old.artifact_id AS released_artifact_id;

-- name: list_reports(report_type, status, created_by, limit, offset)
-- record_class: ReportRow
-- List reports, newest first, optionally of one type, status or requester, without an access check (administration; limit/offset, count_reports gives the total).
SELECT
    id, report_type, status, format, title, parameters, period_start, period_end, lot_id,
    inspection_id, artifact_id, is_public, allowed_roles, allowed_user_ids, expires_at,
    expired_at, generation_started_at, generated_at, error_message, download_count, created_at,
    updated_at, created_by, updated_by
FROM inspection.reports
WHERE (:report_type::inspection.report_type IS NULL OR report_type = :report_type)
  AND (:status::inspection.report_status IS NULL OR status = :status)
  AND (:created_by::uuid IS NULL OR created_by = :created_by)
ORDER BY created_at DESC, id DESC
LIMIT :limit::int OFFSET COALESCE(:offset::int, 0);

-- name: count_reports(report_type, status, created_by)$
-- The number of reports list_reports pages through.
SELECT count(*) AS "total!"
FROM inspection.reports
WHERE (:report_type::inspection.report_type IS NULL OR report_type = :report_type)
  AND (:status::inspection.report_status IS NULL OR status = :status)
  AND (:created_by::uuid IS NULL OR created_by = :created_by);
