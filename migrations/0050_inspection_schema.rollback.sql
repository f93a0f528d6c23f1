-- Rollback of 0050_inspection_schema.
--
-- WHY: removes the inspection schema: its 7 tables, 14 enums and the schema.
-- This DESTROYS every inspection record (the audit rows in core.audit_log
-- stay: the trail is append-only). Export first unless the data is
-- disposable. Indexes, constraints, triggers and grants go with their tables;
-- no CASCADE, so a forgotten dependant fails loudly.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-table, ban-drop-type, ban-drop-schema, ban-drop-constraint

SET LOCAL lock_timeout = '5s';

DROP TABLE inspection.reports;
DROP TABLE inspection.defects;
-- artifacts and inference_jobs refer to each other: drop one link first.
ALTER TABLE inspection.artifacts DROP CONSTRAINT fk_artifacts__inference_job_id;
DROP TABLE inspection.inference_jobs;
DROP TABLE inspection.artifacts;
DROP TABLE inspection.inspections;
DROP TABLE inspection.lots;
DROP TABLE inspection.parts;
DROP TYPE inspection.report_format;
DROP TYPE inspection.report_status;
DROP TYPE inspection.report_type;
DROP TYPE inspection.storage_location;
DROP TYPE inspection.artifact_type;
DROP TYPE inspection.inference_status;
DROP TYPE inspection.review_status;
DROP TYPE inspection.detection_method;
DROP TYPE inspection.defect_severity;
DROP TYPE inspection.defect_type;
DROP TYPE inspection.inspection_status;
DROP TYPE inspection.inspection_type;
DROP TYPE inspection.lot_status;
DROP TYPE inspection.part_type;
DROP SCHEMA inspection;
