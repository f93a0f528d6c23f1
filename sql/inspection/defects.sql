/*
  inspection.defects: defects found by a model or a person, and their human
  review. There is no general update (seed 003 has no DefectUpdate): only the
  review fields change. Writes run inside `transaction(conn, user_id=...)`;
  changing an already reviewed defect also needs `change_reason=...`
  (trigger trg_defects__require_reason).
*/

-- name: create_defect(inspection_id, defect_type, severity, detection_method, confidence, location, description, inference_job_id, artifact_id, defect_metadata, created_by)<!
-- record_class: DefectRow
-- Record one defect (location: a bounding box {"x", "y", "width", "height"} in pixels).
INSERT INTO inspection.defects (
    inspection_id, defect_type, severity, detection_method, confidence, location, description,
    inference_job_id, artifact_id, defect_metadata, created_by, updated_by
)
VALUES (
    :inspection_id, :defect_type, :severity, :detection_method, :confidence,
    :location::jsonb,
    :description, :inference_job_id, :artifact_id,
    COALESCE(:defect_metadata::jsonb, '{}'::jsonb), :created_by, :created_by
)
RETURNING
    id, inspection_id, defect_type, severity, detection_method, confidence, location,
    description, review_status, reviewed_by, reviewed_at, review_notes, inference_job_id,
    artifact_id, defect_metadata, created_at, updated_at, created_by, updated_by;

-- name: create_defects_from_inference(inference_job_id, min_confidence, created_by)!
-- Turn one completed inference result into defects, in one set-based INSERT ... SELECT.
-- Reads results->'detections' of the job: an array of {"defect_type", "severity",
-- "confidence", "location", "description"?, "metadata"?}; detections below
-- min_confidence (None: all) are skipped. Returns the number of defects created
-- (0 when the job is not completed or has no detections). All or nothing: one bad
-- detection (unknown label, box out of shape) rejects the whole result.
INSERT INTO inspection.defects (
    inspection_id, defect_type, severity, detection_method, confidence, location, description,
    inference_job_id, artifact_id, defect_metadata, created_by, updated_by
)
SELECT j.id_inspection, d.defect_type, d.severity, 'ml_inference', d.confidence, d.location,
       d.description, j.id, j.input_artifact_id, COALESCE(d.metadata, '{}'::jsonb),
       :created_by::uuid, :created_by::uuid
FROM (
    SELECT id, inspection_id AS id_inspection, input_artifact_id, results
    FROM inspection.inference_jobs
    WHERE id = :inference_job_id
      AND status = 'completed'
      AND jsonb_typeof(results -> 'detections') = 'array'
) j
CROSS JOIN LATERAL jsonb_to_recordset(j.results -> 'detections') AS d(
    defect_type inspection.defect_type, severity inspection.defect_severity,
    confidence numeric, location jsonb, description text, metadata jsonb
)
WHERE :min_confidence::numeric IS NULL OR d.confidence >= :min_confidence::numeric;

-- name: get_defect(id)^
-- record_class: DefectRow
-- Get a defect by id.
SELECT
    id, inspection_id, defect_type, severity, detection_method, confidence, location,
    description, review_status, reviewed_by, reviewed_at, review_notes, inference_job_id,
    artifact_id, defect_metadata, created_at, updated_at, created_by, updated_by
FROM inspection.defects
WHERE id = :id;

-- name: list_defects_for_inspection(inspection_id, min_severity, limit, offset)
-- record_class: DefectRow
-- List the defects of an inspection, most severe first, optionally from a severity up (limit/offset; count_defects_for_inspection gives the total).
SELECT
    id, inspection_id, defect_type, severity, detection_method, confidence, location,
    description, review_status, reviewed_by, reviewed_at, review_notes, inference_job_id,
    artifact_id, defect_metadata, created_at, updated_at, created_by, updated_by
FROM inspection.defects
WHERE inspection_id = :inspection_id
  AND (:min_severity::inspection.defect_severity IS NULL OR severity >= :min_severity)
ORDER BY severity DESC, created_at, id
LIMIT :limit::int OFFSET COALESCE(:offset::int, 0);

-- name: count_defects_for_inspection(inspection_id, min_severity)$
-- The number of defects list_defects_for_inspection pages through.
SELECT count(*) AS "total!"
FROM inspection.defects
WHERE inspection_id = :inspection_id
  AND (:min_severity::inspection.defect_severity IS NULL OR severity >= :min_severity);

-- name: list_defects_pending_review(limit)
-- record_class: DefectRow
-- The review queue: defects pending or in review, oldest first (ix_defects__pending_review).
SELECT
    id, inspection_id, defect_type, severity, detection_method, confidence, location,
    description, review_status, reviewed_by, reviewed_at, review_notes, inference_job_id,
    artifact_id, defect_metadata, created_at, updated_at, created_by, updated_by
FROM inspection.defects
WHERE review_status IN ('pending', 'in_review')
ORDER BY created_at, id
LIMIT :limit::int;

-- name: count_defects_pending_review()$
-- The length of the review queue.
SELECT count(*) AS "total!"
FROM inspection.defects
WHERE review_status IN ('pending', 'in_review');

-- name: review_defect(id, review_status, reviewed_by, review_notes)<!
-- record_class: DefectRow
-- Record a review (confirmed, false_positive, escalated, or in_review) with notes; re-reviewing needs a reason.
UPDATE inspection.defects
SET review_status = :review_status::inspection.review_status,
    reviewed_by   = :reviewed_by::uuid,
    reviewed_at   = now(),
    review_notes  = :review_notes,
    updated_by    = :reviewed_by::uuid
WHERE id = :id
RETURNING
    id, inspection_id, defect_type, severity, detection_method, confidence, location,
    description, review_status, reviewed_by, reviewed_at, review_notes, inference_job_id,
    artifact_id, defect_metadata, created_at, updated_at, created_by, updated_by;
