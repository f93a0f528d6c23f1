/*
  inspection.inspections: quality inspections of lots, and the inspection
  work queue (partial index ix_inspections__queue). Writes run inside
  `transaction(conn, user_id=...)`; changing a completed inspection also
  needs `change_reason=...` (trigger trg_inspections__require_reason).
*/

-- name: create_inspection(lot_id, inspection_type, priority, inspector_id, station_id, serial_number, sample_size, notes, inspection_metadata, created_by)<!
-- record_class: InspectionRow
-- Create a pending inspection of a lot (priority 1..10, default 5).
INSERT INTO inspection.inspections (
    lot_id, inspection_type, priority, inspector_id, station_id, serial_number, sample_size,
    notes, inspection_metadata, created_by, updated_by
)
VALUES (
    :lot_id, :inspection_type, COALESCE(:priority::smallint, 5), :inspector_id,
    :station_id, :serial_number, :sample_size, :notes,
    COALESCE(:inspection_metadata::jsonb, '{}'::jsonb),
    :created_by, :created_by
)
RETURNING
    id, lot_id, inspection_type, status, priority, inspector_id, station_id, serial_number,
    sample_size, result, started_at, completed_at, notes, inspection_metadata, created_at,
    updated_at, created_by, updated_by;

-- name: get_inspection(id)^
-- record_class: InspectionRow
-- Get an inspection by id.
SELECT
    id, lot_id, inspection_type, status, priority, inspector_id, station_id, serial_number,
    sample_size, result, started_at, completed_at, notes, inspection_metadata, created_at,
    updated_at, created_by, updated_by
FROM inspection.inspections
WHERE id = :id;

-- name: start_inspection(id, inspector_id, updated_by)<!
-- record_class: InspectionRow
-- Start a pending inspection (in_progress, started_at now); NotFound unless it is pending.
UPDATE inspection.inspections
SET status       = 'in_progress',
    started_at   = now(),
    inspector_id = COALESCE(:inspector_id::uuid, inspector_id),
    updated_by   = :updated_by
WHERE id = :id
  AND status = 'pending'
RETURNING
    id, lot_id, inspection_type, status, priority, inspector_id, station_id, serial_number,
    sample_size, result, started_at, completed_at, notes, inspection_metadata, created_at,
    updated_at, created_by, updated_by;

-- name: complete_inspection(id, result, notes, updated_by)<!
-- record_class: InspectionRow
-- Complete an open inspection with its result (pass, fail, conditional); NotFound unless pending or in progress.
UPDATE inspection.inspections
SET status       = 'completed',
    result       = :result,
    notes        = COALESCE(:notes::text, notes),
    started_at   = COALESCE(started_at, now()),
    completed_at = now(),
    updated_by   = :updated_by
WHERE id = :id
  AND status IN ('pending', 'in_progress')
RETURNING
    id, lot_id, inspection_type, status, priority, inspector_id, station_id, serial_number,
    sample_size, result, started_at, completed_at, notes, inspection_metadata, created_at,
    updated_at, created_by, updated_by;

-- name: update_inspection(id, status, priority, result, notes, completed_at, updated_by)<!
-- record_class: InspectionRow
-- Change an inspection's status, priority, result, notes or completed_at; None keeps the value. A completed one needs a reason.
UPDATE inspection.inspections
SET status       = COALESCE(:status::inspection.inspection_status, status),
    priority     = COALESCE(:priority::smallint, priority),
    result       = COALESCE(:result::text, result),
    notes        = COALESCE(:notes::text, notes),
    completed_at = COALESCE(:completed_at::timestamptz, completed_at),
    updated_by   = :updated_by
WHERE id = :id
RETURNING
    id, lot_id, inspection_type, status, priority, inspector_id, station_id, serial_number,
    sample_size, result, started_at, completed_at, notes, inspection_metadata, created_at,
    updated_at, created_by, updated_by;

-- name: list_inspections_for_lot(lot_id, status, limit, offset)
-- record_class: InspectionRow
-- List the inspections of a lot, newest first, optionally of one status (limit/offset; count_inspections_for_lot gives the total).
SELECT
    id, lot_id, inspection_type, status, priority, inspector_id, station_id, serial_number,
    sample_size, result, started_at, completed_at, notes, inspection_metadata, created_at,
    updated_at, created_by, updated_by
FROM inspection.inspections
WHERE lot_id = :lot_id
  AND (:status::inspection.inspection_status IS NULL OR status = :status)
ORDER BY created_at DESC, id DESC
LIMIT :limit::int OFFSET COALESCE(:offset::int, 0);

-- name: count_inspections_for_lot(lot_id, status)$
-- The number of inspections list_inspections_for_lot pages through.
SELECT count(*) AS "total!"
FROM inspection.inspections
WHERE lot_id = :lot_id
  AND (:status::inspection.inspection_status IS NULL OR status = :status);

-- name: next_inspections_in_queue(limit)
-- record_class: InspectionRow
-- The open inspections (pending, in progress), most urgent first, then oldest (ix_inspections__queue).
SELECT
    id, lot_id, inspection_type, status, priority, inspector_id, station_id, serial_number,
    sample_size, result, started_at, completed_at, notes, inspection_metadata, created_at,
    updated_at, created_by, updated_by
FROM inspection.inspections
WHERE status IN ('pending', 'in_progress')
ORDER BY priority DESC, created_at, id
LIMIT :limit::int;
