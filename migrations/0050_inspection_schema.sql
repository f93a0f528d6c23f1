-- 0050_inspection_schema: the `inspection` schema of seed 003 (manufacturing
-- quality inspection, catalog §1.3): 14 enums, 7 tables, their checks,
-- indexes and updated_at triggers.
--
-- WHY: parts and their tolerances, production lots, inspections of lots
-- (manual and AI-assisted), defects found by a model served on Triton or by a
-- person and their human review, inference jobs with timings, file artifacts
-- (SHA-256, tags, storage tiers) and reports (formats, access, expiry). These
-- are regulated records (FDA 21 CFR Part 11):
--   * users are referenced with ON DELETE NO ACTION (records stay attributable;
--     core users are soft-deleted, never removed);
--   * the application role gets SELECT, INSERT, UPDATE and no DELETE (catalog
--     Q5, docs/security.md): a record is corrected, never removed, by a
--     service; registry_owner (operators) may delete, and the cascades of
--     §1.3.9 apply then (a lot takes its inspections, their defects and
--     inference jobs with it; artifacts and reports lose the link);
--   * every change is written to core.audit_log by triggers (0051).
-- The seed's AuditActionEnum and EventLevelEnum are core.audit_action and
-- core.event_level (0002); the other 14 enums live here.
-- Deviation from the catalog (docs/schema/inspection.md): reports.expired_at,
-- because report_status has no 'expired' label and an expired report keeps
-- its row (no DELETE for the application).
-- depends: 0026_core_audit_trail

SET LOCAL lock_timeout = '5s';

CREATE SCHEMA inspection;
COMMENT ON SCHEMA inspection IS
    'Manufacturing quality inspection (seed 003): parts, lots, inspections, defects, inference jobs, artifacts, reports. Regulated records: every change is in core.audit_log.';

REVOKE ALL ON SCHEMA inspection FROM PUBLIC;
GRANT USAGE ON SCHEMA inspection TO registry_owner, registry_app, registry_readonly;

-- ---------------------------------------------------------------------------
-- Enums (catalog §1.3.3: counts stated, values proposed). Ordered ones are
-- declared in ascending order so comparisons such as severity >= 'major' work.
-- ---------------------------------------------------------------------------
CREATE TYPE inspection.part_type AS ENUM
    ('raw_material', 'component', 'sub_assembly', 'assembly', 'finished_good');
COMMENT ON TYPE inspection.part_type IS 'Kind of part (PartTypeEnum, 5).';
CREATE TYPE inspection.lot_status AS ENUM
    ('pending', 'in_inspection', 'approved', 'rejected', 'quarantined');
COMMENT ON TYPE inspection.lot_status IS 'State of a production lot (LotStatusEnum, 5).';
CREATE TYPE inspection.inspection_type AS ENUM
    ('incoming', 'in_process', 'final', 'first_article', 'audit', 'reinspection');
COMMENT ON TYPE inspection.inspection_type IS 'Kind of inspection (InspectionTypeEnum, 6).';
CREATE TYPE inspection.inspection_status AS ENUM
    ('pending', 'in_progress', 'completed', 'failed', 'cancelled');
COMMENT ON TYPE inspection.inspection_status IS 'State of an inspection (InspectionStatusEnum, 5).';
CREATE TYPE inspection.defect_type AS ENUM
    ('scratch', 'dent', 'crack', 'discoloration', 'contamination', 'porosity', 'burr',
     'misalignment', 'dimensional_deviation', 'missing_component', 'other');
COMMENT ON TYPE inspection.defect_type IS 'Classification of a defect (DefectTypeEnum, 11).';
CREATE TYPE inspection.defect_severity AS ENUM ('cosmetic', 'minor', 'major', 'critical');
COMMENT ON TYPE inspection.defect_severity IS 'Defect severity, ascending (DefectSeverityEnum, 4).';
CREATE TYPE inspection.detection_method AS ENUM ('ml_inference', 'manual', 'rule_based', 'hybrid');
COMMENT ON TYPE inspection.detection_method IS 'How a defect was found (DetectionMethodEnum, 4).';
CREATE TYPE inspection.review_status AS ENUM
    ('pending', 'in_review', 'confirmed', 'false_positive', 'escalated');
COMMENT ON TYPE inspection.review_status IS 'Human review of a defect (ReviewStatusEnum, 5).';
CREATE TYPE inspection.inference_status AS ENUM
    ('pending', 'running', 'completed', 'failed', 'timeout', 'cancelled');
COMMENT ON TYPE inspection.inference_status IS 'State of an inference job (InferenceStatusEnum, 6).';
CREATE TYPE inspection.artifact_type AS ENUM
    ('raw_image', 'processed_image', 'annotation', 'inference_output', 'report_file', 'log');
COMMENT ON TYPE inspection.artifact_type IS 'Kind of stored file (ArtifactTypeEnum, 6).';
CREATE TYPE inspection.storage_location AS ENUM ('hot', 'warm', 'cold', 'archive');
COMMENT ON TYPE inspection.storage_location IS 'Storage tier, hottest first (StorageLocationEnum, 4).';
CREATE TYPE inspection.report_type AS ENUM
    ('inspection_summary', 'lot_quality', 'defect_analysis', 'trend_analysis', 'compliance',
     'audit_trail');
COMMENT ON TYPE inspection.report_type IS 'Kind of report (ReportTypeEnum, 6).';
CREATE TYPE inspection.report_status AS ENUM ('pending', 'generating', 'completed', 'failed');
COMMENT ON TYPE inspection.report_status IS 'Report generation state (ReportStatusEnum, 4).';
CREATE TYPE inspection.report_format AS ENUM ('pdf', 'csv', 'xlsx', 'json', 'html');
COMMENT ON TYPE inspection.report_format IS 'File format of a report (ReportFormatEnum, 5).';

-- ---------------------------------------------------------------------------
-- inspection.parts: "Part definitions with specifications and tolerances".
-- ---------------------------------------------------------------------------
CREATE TABLE inspection.parts (
    id             uuid                 NOT NULL DEFAULT gen_random_uuid(),
    part_number    text                 NOT NULL,
    revision       text                 NOT NULL DEFAULT 'A',
    name           text                 NOT NULL,
    description    text                 NULL,
    part_type      inspection.part_type NOT NULL,
    material       text                 NULL,
    specifications jsonb                NOT NULL DEFAULT '{}'::jsonb,
    tolerances     jsonb                NOT NULL DEFAULT '{}'::jsonb,
    is_active      boolean              NOT NULL DEFAULT true,
    created_at     timestamptz          NOT NULL DEFAULT now(),
    updated_at     timestamptz          NOT NULL DEFAULT now(),
    created_by     uuid                 NULL,
    updated_by     uuid                 NULL,
    CONSTRAINT parts_pkey PRIMARY KEY (id),
    CONSTRAINT uq_parts__part_number UNIQUE (part_number),
    CONSTRAINT ck_parts__part_number_nonempty CHECK (length(btrim(part_number)) > 0),
    CONSTRAINT ck_parts__revision_nonempty CHECK (length(btrim(revision)) > 0),
    CONSTRAINT ck_parts__name_nonempty CHECK (length(btrim(name)) > 0),
    CONSTRAINT ck_parts__specifications_object CHECK (jsonb_typeof(specifications) = 'object'),
    CONSTRAINT ck_parts__tolerances_object CHECK (jsonb_typeof(tolerances) = 'object'),
    -- Each tolerance is {"nominal": n, "plus": p, "minus": m}: an object whose
    -- plus/minus, when given, are numbers >= 0.
    CONSTRAINT ck_parts__tolerances_limits CHECK (NOT jsonb_path_exists(tolerances,
        '$.* ? (@.type() != "object" || exists(@.plus ? (@.type() != "number" || @ < 0))
                || exists(@.minus ? (@.type() != "number" || @ < 0))
                || exists(@.nominal ? (@.type() != "number")))')),
    CONSTRAINT fk_parts__created_by FOREIGN KEY (created_by) REFERENCES core.users (id),
    CONSTRAINT fk_parts__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id)
);
COMMENT ON TABLE inspection.parts IS
    'Part definitions with specifications and tolerances (seed 003). part_number is unique.';
COMMENT ON COLUMN inspection.parts.id IS 'Primary key.';
COMMENT ON COLUMN inspection.parts.part_number IS 'Part number, unique (catalog Q6: not per revision).';
COMMENT ON COLUMN inspection.parts.revision IS 'Drawing revision (default ''A'').';
COMMENT ON COLUMN inspection.parts.name IS 'Human-readable name.';
COMMENT ON COLUMN inspection.parts.description IS 'Free text.';
COMMENT ON COLUMN inspection.parts.part_type IS 'Kind of part.';
COMMENT ON COLUMN inspection.parts.material IS 'Material (e.g. ''6061-T6 aluminium'').';
COMMENT ON COLUMN inspection.parts.specifications IS 'Dimensions, finish, and so on (JSON object).';
COMMENT ON COLUMN inspection.parts.tolerances IS
    'Per-dimension limits: {"<dimension>": {"nominal": n, "plus": p, "minus": m}}, plus/minus >= 0.';
COMMENT ON COLUMN inspection.parts.is_active IS 'False once the part is no longer produced.';
COMMENT ON COLUMN inspection.parts.created_at IS 'Set on insert.';
COMMENT ON COLUMN inspection.parts.updated_at IS 'Set by trg_parts__set_updated_at on every update.';
COMMENT ON COLUMN inspection.parts.created_by IS 'User who created the row (NO ACTION: stays attributable).';
COMMENT ON COLUMN inspection.parts.updated_by IS 'User who last changed the row.';
COMMENT ON CONSTRAINT ck_parts__tolerances_limits ON inspection.parts IS
    'tolerances: each tolerance must be an object {"nominal": n, "plus": p, "minus": m} with numbers, plus and minus 0 or more';

CREATE INDEX ix_parts__part_type ON inspection.parts (part_type);
CREATE INDEX ix_parts__active ON inspection.parts (part_number) WHERE is_active;
CREATE INDEX ix_parts__specifications ON inspection.parts USING gin (specifications jsonb_path_ops);
CREATE INDEX ix_parts__tolerances ON inspection.parts USING gin (tolerances jsonb_path_ops);

CREATE TRIGGER trg_parts__set_updated_at
    BEFORE UPDATE ON inspection.parts
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- inspection.lots: "Manufacturing batches with production metadata".
-- ---------------------------------------------------------------------------
CREATE TABLE inspection.lots (
    id                  uuid                  NOT NULL DEFAULT gen_random_uuid(),
    lot_number          text                  NOT NULL,
    part_id             uuid                  NOT NULL,
    status              inspection.lot_status NOT NULL DEFAULT 'pending',
    -- squawk-ignore prefer-bigint-over-int
    quantity            integer               NOT NULL,
    -- squawk-ignore prefer-bigint-over-int
    quantity_rejected   integer               NOT NULL DEFAULT 0,
    production_date     date                  NULL,
    production_line     text                  NULL,
    supplier            text                  NULL,
    production_metadata jsonb                 NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz           NOT NULL DEFAULT now(),
    updated_at          timestamptz           NOT NULL DEFAULT now(),
    created_by          uuid                  NULL,
    updated_by          uuid                  NULL,
    CONSTRAINT lots_pkey PRIMARY KEY (id),
    CONSTRAINT uq_lots__lot_number UNIQUE (lot_number),
    CONSTRAINT ck_lots__lot_number_nonempty CHECK (length(btrim(lot_number)) > 0),
    CONSTRAINT ck_lots__quantity_positive CHECK (quantity > 0),
    CONSTRAINT ck_lots__quantity_rejected_range CHECK (quantity_rejected BETWEEN 0 AND quantity),
    CONSTRAINT ck_lots__production_metadata_object
        CHECK (jsonb_typeof(production_metadata) = 'object'),
    CONSTRAINT fk_lots__part_id FOREIGN KEY (part_id) REFERENCES inspection.parts (id),
    CONSTRAINT fk_lots__created_by FOREIGN KEY (created_by) REFERENCES core.users (id),
    CONSTRAINT fk_lots__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id)
);
COMMENT ON TABLE inspection.lots IS
    'Production lots (batches of one part) with production metadata. A part with lots cannot be deleted (NO ACTION).';
COMMENT ON COLUMN inspection.lots.id IS 'Primary key.';
COMMENT ON COLUMN inspection.lots.lot_number IS 'Lot number, unique.';
COMMENT ON COLUMN inspection.lots.part_id IS 'The part this lot is a batch of.';
COMMENT ON COLUMN inspection.lots.status IS 'Lot state: pending, in_inspection, approved, rejected, quarantined.';
COMMENT ON COLUMN inspection.lots.quantity IS 'Units in the lot (> 0).';
COMMENT ON COLUMN inspection.lots.quantity_rejected IS 'Units rejected, 0..quantity.';
COMMENT ON COLUMN inspection.lots.production_date IS 'Date of production.';
COMMENT ON COLUMN inspection.lots.production_line IS 'Production line that made the lot.';
COMMENT ON COLUMN inspection.lots.supplier IS 'Supplier, for incoming inspections.';
COMMENT ON COLUMN inspection.lots.production_metadata IS 'Production metadata (JSON object: shift, machine, parameters).';
COMMENT ON COLUMN inspection.lots.created_at IS 'Set on insert.';
COMMENT ON COLUMN inspection.lots.updated_at IS 'Set by trg_lots__set_updated_at on every update.';
COMMENT ON COLUMN inspection.lots.created_by IS 'User who created the row (NO ACTION: stays attributable).';
COMMENT ON COLUMN inspection.lots.updated_by IS 'User who last changed the row.';
COMMENT ON CONSTRAINT ck_lots__quantity_rejected_range ON inspection.lots IS
    'quantity_rejected must be between 0 and the lot''s quantity';

-- Also the index of fk_lots__part_id.
CREATE INDEX ix_lots__part_status ON inspection.lots (part_id, status);
CREATE INDEX ix_lots__status ON inspection.lots (status);
CREATE INDEX ix_lots__production_date ON inspection.lots (production_date);
CREATE INDEX ix_lots__open ON inspection.lots (created_at)
    WHERE status IN ('pending', 'in_inspection', 'quarantined');
CREATE INDEX ix_lots__production_metadata ON inspection.lots
    USING gin (production_metadata jsonb_path_ops);
CREATE INDEX ix_lots__created_at ON inspection.lots (created_at DESC, id DESC);

CREATE TRIGGER trg_lots__set_updated_at
    BEFORE UPDATE ON inspection.lots
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- inspection.inspections: "Quality inspection instances" of a lot.
-- ---------------------------------------------------------------------------
CREATE TABLE inspection.inspections (
    id                  uuid                         NOT NULL DEFAULT gen_random_uuid(),
    lot_id              uuid                         NOT NULL,
    inspection_type     inspection.inspection_type   NOT NULL,
    status              inspection.inspection_status NOT NULL DEFAULT 'pending',
    -- 1..10 (CHECK below): smallint is enough.
    -- squawk-ignore prefer-bigint-over-smallint
    priority            smallint                     NOT NULL DEFAULT 5,
    inspector_id        uuid                         NULL,
    station_id          text                         NULL,
    serial_number       text                         NULL,
    -- squawk-ignore prefer-bigint-over-int
    sample_size         integer                      NULL,
    result              text                         NULL,
    started_at          timestamptz                  NULL,
    completed_at        timestamptz                  NULL,
    notes               text                         NULL,
    inspection_metadata jsonb                        NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz                  NOT NULL DEFAULT now(),
    updated_at          timestamptz                  NOT NULL DEFAULT now(),
    created_by          uuid                         NULL,
    updated_by          uuid                         NULL,
    CONSTRAINT inspections_pkey PRIMARY KEY (id),
    CONSTRAINT ck_inspections__priority_range CHECK (priority BETWEEN 1 AND 10),
    CONSTRAINT ck_inspections__completed_after_started CHECK (completed_at >= started_at),
    CONSTRAINT ck_inspections__completed_has_time
        CHECK (status <> 'completed' OR completed_at IS NOT NULL),
    CONSTRAINT ck_inspections__sample_size_positive CHECK (sample_size > 0),
    -- text + CHECK rather than a 17th enum (catalog §1.3.2).
    CONSTRAINT ck_inspections__result_values CHECK (result IN ('pass', 'fail', 'conditional')),
    CONSTRAINT ck_inspections__inspection_metadata_object
        CHECK (jsonb_typeof(inspection_metadata) = 'object'),
    CONSTRAINT fk_inspections__lot_id FOREIGN KEY (lot_id)
        REFERENCES inspection.lots (id) ON DELETE CASCADE,
    CONSTRAINT fk_inspections__inspector_id FOREIGN KEY (inspector_id) REFERENCES core.users (id),
    CONSTRAINT fk_inspections__created_by FOREIGN KEY (created_by) REFERENCES core.users (id),
    CONSTRAINT fk_inspections__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id)
);
COMMENT ON TABLE inspection.inspections IS
    'Quality inspections of a lot (manual or AI-assisted). Deleting the lot deletes them (and their defects and inference jobs). Changing a completed inspection needs a reason (app.change_reason).';
COMMENT ON COLUMN inspection.inspections.id IS 'Primary key.';
COMMENT ON COLUMN inspection.inspections.lot_id IS 'The inspected lot (ON DELETE CASCADE).';
COMMENT ON COLUMN inspection.inspections.inspection_type IS 'Kind of inspection.';
COMMENT ON COLUMN inspection.inspections.status IS 'pending, in_progress, completed, failed, cancelled.';
COMMENT ON COLUMN inspection.inspections.priority IS 'Queue priority 1 (lowest) .. 10 (highest), default 5.';
COMMENT ON COLUMN inspection.inspections.inspector_id IS 'Inspector (core.users, NO ACTION).';
COMMENT ON COLUMN inspection.inspections.station_id IS 'Camera or inspection station.';
COMMENT ON COLUMN inspection.inspections.serial_number IS 'Unit serial number, for unit-level inspections.';
COMMENT ON COLUMN inspection.inspections.sample_size IS 'Units sampled (> 0).';
COMMENT ON COLUMN inspection.inspections.result IS 'Outcome: pass, fail or conditional.';
COMMENT ON COLUMN inspection.inspections.started_at IS 'When the inspection started.';
COMMENT ON COLUMN inspection.inspections.completed_at IS 'When it ended; required for status completed.';
COMMENT ON COLUMN inspection.inspections.notes IS 'Inspector''s notes.';
COMMENT ON COLUMN inspection.inspections.inspection_metadata IS 'Free-form metadata (JSON object: camera settings, environment).';
COMMENT ON COLUMN inspection.inspections.created_at IS 'Set on insert.';
COMMENT ON COLUMN inspection.inspections.updated_at IS 'Set by trg_inspections__set_updated_at on every update.';
COMMENT ON COLUMN inspection.inspections.created_by IS 'User who created the row (NO ACTION: stays attributable).';
COMMENT ON COLUMN inspection.inspections.updated_by IS 'User who last changed the row.';
COMMENT ON CONSTRAINT ck_inspections__completed_after_started ON inspection.inspections IS
    'completed_at cannot be before started_at';
COMMENT ON CONSTRAINT ck_inspections__completed_has_time ON inspection.inspections IS
    'completed_at: a completed inspection needs completed_at (use complete_inspection)';
COMMENT ON CONSTRAINT ck_inspections__priority_range ON inspection.inspections IS
    'priority must be between 1 and 10';
COMMENT ON CONSTRAINT ck_inspections__result_values ON inspection.inspections IS
    'result must be ''pass'', ''fail'' or ''conditional''';

-- Also the index of fk_inspections__lot_id.
CREATE INDEX ix_inspections__lot_created ON inspection.inspections (lot_id, created_at DESC);
CREATE INDEX ix_inspections__status_created ON inspection.inspections (status, created_at DESC);
CREATE INDEX ix_inspections__type_created ON inspection.inspections
    (inspection_type, created_at DESC);
CREATE INDEX ix_inspections__inspector_id ON inspection.inspections (inspector_id);
-- The work queue (next_inspections_in_queue): open inspections, most urgent first.
CREATE INDEX ix_inspections__queue ON inspection.inspections (priority DESC, created_at)
    WHERE status IN ('pending', 'in_progress');
CREATE INDEX ix_inspections__created_at ON inspection.inspections (created_at);
CREATE INDEX ix_inspections__metadata ON inspection.inspections
    USING gin (inspection_metadata jsonb_path_ops);

CREATE TRIGGER trg_inspections__set_updated_at
    BEFORE UPDATE ON inspection.inspections
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- inspection.artifacts: "File storage metadata", SHA-256, tiers, tags.
-- The FK to inference_jobs is added after that table (the two refer to each
-- other).
-- ---------------------------------------------------------------------------
CREATE TABLE inspection.artifacts (
    id                uuid                        NOT NULL DEFAULT gen_random_uuid(),
    artifact_type     inspection.artifact_type    NOT NULL,
    storage_location  inspection.storage_location NOT NULL DEFAULT 'hot',
    storage_uri       text                        NOT NULL,
    file_name         text                        NOT NULL,
    content_type      text                        NULL,
    file_size_bytes   bigint                      NOT NULL,
    checksum_sha256   text                        NOT NULL,
    tags              text[]                      NOT NULL DEFAULT '{}',
    inspection_id     uuid                        NULL,
    lot_id            uuid                        NULL,
    inference_job_id  uuid                        NULL,
    artifact_metadata jsonb                       NOT NULL DEFAULT '{}'::jsonb,
    tier_changed_at   timestamptz                 NULL,
    retention_until   timestamptz                 NULL,
    created_at        timestamptz                 NOT NULL DEFAULT now(),
    updated_at        timestamptz                 NOT NULL DEFAULT now(),
    created_by        uuid                        NULL,
    updated_by        uuid                        NULL,
    CONSTRAINT artifacts_pkey PRIMARY KEY (id),
    CONSTRAINT uq_artifacts__storage_uri UNIQUE (storage_uri),
    CONSTRAINT ck_artifacts__storage_uri_nonempty CHECK (length(btrim(storage_uri)) > 0),
    CONSTRAINT ck_artifacts__file_name_nonempty CHECK (length(btrim(file_name)) > 0),
    CONSTRAINT ck_artifacts__size_nonneg CHECK (file_size_bytes >= 0),
    CONSTRAINT ck_artifacts__checksum_format CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_artifacts__tags_no_nulls CHECK (array_position(tags, NULL) IS NULL),
    CONSTRAINT ck_artifacts__artifact_metadata_object
        CHECK (jsonb_typeof(artifact_metadata) = 'object'),
    CONSTRAINT fk_artifacts__inspection_id FOREIGN KEY (inspection_id)
        REFERENCES inspection.inspections (id) ON DELETE SET NULL,
    CONSTRAINT fk_artifacts__lot_id FOREIGN KEY (lot_id)
        REFERENCES inspection.lots (id) ON DELETE SET NULL,
    CONSTRAINT fk_artifacts__created_by FOREIGN KEY (created_by) REFERENCES core.users (id),
    CONSTRAINT fk_artifacts__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id)
);
COMMENT ON TABLE inspection.artifacts IS
    'Stored files (images, model outputs, report files): location, size, SHA-256, tags, storage tier. The file outlives the rows it belongs to (links are SET NULL).';
COMMENT ON COLUMN inspection.artifacts.id IS 'Primary key.';
COMMENT ON COLUMN inspection.artifacts.artifact_type IS 'Kind of file.';
COMMENT ON COLUMN inspection.artifacts.storage_location IS 'Storage tier: hot, warm, cold, archive.';
COMMENT ON COLUMN inspection.artifacts.storage_uri IS 'Where the file is (s3://..., file://...), unique.';
COMMENT ON COLUMN inspection.artifacts.file_name IS 'Original file name.';
COMMENT ON COLUMN inspection.artifacts.content_type IS 'MIME type.';
COMMENT ON COLUMN inspection.artifacts.file_size_bytes IS 'Size in bytes (>= 0).';
COMMENT ON COLUMN inspection.artifacts.checksum_sha256 IS 'SHA-256 of the content, 64 lowercase hex characters.';
COMMENT ON COLUMN inspection.artifacts.tags IS 'Labels for tag search (tags @> all / && any).';
COMMENT ON COLUMN inspection.artifacts.inspection_id IS 'Inspection the file belongs to (SET NULL when deleted).';
COMMENT ON COLUMN inspection.artifacts.lot_id IS 'Lot the file belongs to (SET NULL when deleted).';
COMMENT ON COLUMN inspection.artifacts.inference_job_id IS 'Inference job that produced the file (SET NULL when deleted).';
COMMENT ON COLUMN inspection.artifacts.artifact_metadata IS 'Image size, camera settings, ... (JSON object).';
COMMENT ON COLUMN inspection.artifacts.tier_changed_at IS 'When storage_location last changed (move_artifact_tier).';
COMMENT ON COLUMN inspection.artifacts.retention_until IS 'Keep the file at least until then.';
COMMENT ON COLUMN inspection.artifacts.created_at IS 'Set on insert.';
COMMENT ON COLUMN inspection.artifacts.updated_at IS 'Set by trg_artifacts__set_updated_at on every update.';
COMMENT ON COLUMN inspection.artifacts.created_by IS 'User who registered the file (NO ACTION: stays attributable).';
COMMENT ON COLUMN inspection.artifacts.updated_by IS 'User who last changed the row.';
COMMENT ON CONSTRAINT ck_artifacts__size_nonneg ON inspection.artifacts IS
    'file_size_bytes must be 0 or more';
COMMENT ON CONSTRAINT ck_artifacts__checksum_format ON inspection.artifacts IS
    'checksum_sha256 must be 64 lowercase hex characters (a SHA-256 digest)';

CREATE INDEX ix_artifacts__checksum_sha256 ON inspection.artifacts (checksum_sha256);
CREATE INDEX ix_artifacts__inspection_id ON inspection.artifacts (inspection_id);
CREATE INDEX ix_artifacts__lot_id ON inspection.artifacts (lot_id);
CREATE INDEX ix_artifacts__type_created ON inspection.artifacts (artifact_type, created_at DESC);
CREATE INDEX ix_artifacts__tags ON inspection.artifacts USING gin (tags);
CREATE INDEX ix_artifacts__metadata ON inspection.artifacts
    USING gin (artifact_metadata jsonb_path_ops);
-- Tier-migration candidates (list_tier_candidates).
CREATE INDEX ix_artifacts__hot_tier ON inspection.artifacts (created_at)
    WHERE storage_location = 'hot';
CREATE INDEX ix_artifacts__retention ON inspection.artifacts (retention_until)
    WHERE retention_until IS NOT NULL;

CREATE TRIGGER trg_artifacts__set_updated_at
    BEFORE UPDATE ON inspection.artifacts
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- inspection.inference_jobs: ML inference on Triton, with timings. Created by
-- the system (no created_by/updated_by; the trail records the actor).
-- ---------------------------------------------------------------------------
CREATE TABLE inspection.inference_jobs (
    id                  uuid                        NOT NULL DEFAULT gen_random_uuid(),
    inspection_id       uuid                        NOT NULL,
    input_artifact_id   uuid                        NULL,
    status              inspection.inference_status NOT NULL DEFAULT 'pending',
    model_name          text                        NOT NULL,
    model_version       text                        NULL,
    triton_server_url   text                        NULL,
    triton_request_id   text                        NULL,
    parameters          jsonb                       NOT NULL DEFAULT '{}'::jsonb,
    results             jsonb                       NOT NULL DEFAULT '{}'::jsonb,
    queue_time_ms       double precision            NULL,
    preprocess_time_ms  double precision            NULL,
    inference_time_ms   double precision            NULL,
    postprocess_time_ms double precision            NULL,
    total_time_ms       double precision            NULL,
    gpu_id              text                        NULL,
    -- A handful of retries at most.
    -- squawk-ignore prefer-bigint-over-smallint
    retry_count         smallint                    NOT NULL DEFAULT 0,
    error_message       text                        NULL,
    queued_at           timestamptz                 NOT NULL DEFAULT now(),
    started_at          timestamptz                 NULL,
    completed_at        timestamptz                 NULL,
    created_at          timestamptz                 NOT NULL DEFAULT now(),
    updated_at          timestamptz                 NOT NULL DEFAULT now(),
    CONSTRAINT inference_jobs_pkey PRIMARY KEY (id),
    CONSTRAINT ck_inference_jobs__model_name_nonempty CHECK (length(btrim(model_name)) > 0),
    CONSTRAINT ck_inference_jobs__timings_nonneg CHECK (
        queue_time_ms >= 0 AND preprocess_time_ms >= 0 AND inference_time_ms >= 0
        AND postprocess_time_ms >= 0 AND total_time_ms >= 0),
    CONSTRAINT ck_inference_jobs__time_order CHECK (
        started_at >= queued_at AND completed_at >= started_at),
    CONSTRAINT ck_inference_jobs__retry_nonneg CHECK (retry_count >= 0),
    CONSTRAINT ck_inference_jobs__failed_has_error
        CHECK (status NOT IN ('failed', 'timeout') OR error_message IS NOT NULL),
    CONSTRAINT ck_inference_jobs__parameters_object CHECK (jsonb_typeof(parameters) = 'object'),
    CONSTRAINT ck_inference_jobs__results_object CHECK (jsonb_typeof(results) = 'object'),
    CONSTRAINT fk_inference_jobs__inspection_id FOREIGN KEY (inspection_id)
        REFERENCES inspection.inspections (id) ON DELETE CASCADE,
    CONSTRAINT fk_inference_jobs__input_artifact_id FOREIGN KEY (input_artifact_id)
        REFERENCES inspection.artifacts (id) ON DELETE SET NULL
);
COMMENT ON TABLE inspection.inference_jobs IS
    'ML inference jobs (Triton): queue state, model, results, timings. Workers claim pending jobs with FOR UPDATE SKIP LOCKED. Deleted with their inspection.';
COMMENT ON COLUMN inspection.inference_jobs.id IS 'Primary key.';
COMMENT ON COLUMN inspection.inference_jobs.inspection_id IS 'Inspection the job serves (ON DELETE CASCADE).';
COMMENT ON COLUMN inspection.inference_jobs.input_artifact_id IS 'Image sent to Triton (SET NULL when deleted).';
COMMENT ON COLUMN inspection.inference_jobs.status IS 'pending, running, completed, failed, timeout, cancelled.';
COMMENT ON COLUMN inspection.inference_jobs.model_name IS 'Triton model name.';
COMMENT ON COLUMN inspection.inference_jobs.model_version IS 'Triton model version.';
COMMENT ON COLUMN inspection.inference_jobs.triton_server_url IS 'Triton endpoint that ran the job.';
COMMENT ON COLUMN inspection.inference_jobs.triton_request_id IS 'Triton request id, for correlation with the server''s logs.';
COMMENT ON COLUMN inspection.inference_jobs.parameters IS 'Thresholds, batch size, ... (JSON object).';
COMMENT ON COLUMN inspection.inference_jobs.results IS 'Raw detections (JSON object, e.g. {"detections": [...]}).';
COMMENT ON COLUMN inspection.inference_jobs.queue_time_ms IS 'Time spent queued, ms (>= 0).';
COMMENT ON COLUMN inspection.inference_jobs.preprocess_time_ms IS 'Preprocessing time, ms (>= 0).';
COMMENT ON COLUMN inspection.inference_jobs.inference_time_ms IS 'Model execution time, ms (>= 0).';
COMMENT ON COLUMN inspection.inference_jobs.postprocess_time_ms IS 'Postprocessing time, ms (>= 0).';
COMMENT ON COLUMN inspection.inference_jobs.total_time_ms IS 'End-to-end time, ms (>= 0); the latency percentiles use it.';
COMMENT ON COLUMN inspection.inference_jobs.gpu_id IS 'GPU that ran the model.';
COMMENT ON COLUMN inspection.inference_jobs.retry_count IS 'Attempts before this one (>= 0).';
COMMENT ON COLUMN inspection.inference_jobs.error_message IS 'Why the job failed or timed out; required then.';
COMMENT ON COLUMN inspection.inference_jobs.queued_at IS 'When the job was enqueued.';
COMMENT ON COLUMN inspection.inference_jobs.started_at IS 'When a worker claimed it (>= queued_at).';
COMMENT ON COLUMN inspection.inference_jobs.completed_at IS 'When it ended (>= started_at).';
COMMENT ON COLUMN inspection.inference_jobs.created_at IS 'Set on insert.';
COMMENT ON COLUMN inspection.inference_jobs.updated_at IS 'Set by trg_inference_jobs__set_updated_at on every update.';
COMMENT ON CONSTRAINT ck_inference_jobs__timings_nonneg ON inspection.inference_jobs IS
    'total_time_ms: timings (queue, preprocess, inference, postprocess, total) must be 0 or more';
COMMENT ON CONSTRAINT ck_inference_jobs__time_order ON inspection.inference_jobs IS
    'started_at: timestamps must be in order: queued_at <= started_at <= completed_at';
COMMENT ON CONSTRAINT ck_inference_jobs__retry_nonneg ON inspection.inference_jobs IS
    'retry_count must be 0 or more';
COMMENT ON CONSTRAINT ck_inference_jobs__failed_has_error ON inspection.inference_jobs IS
    'error_message: a failed or timed-out job needs an error_message (use fail_inference_job)';

CREATE INDEX ix_inference_jobs__inspection_id ON inspection.inference_jobs (inspection_id);
CREATE INDEX ix_inference_jobs__input_artifact_id ON inspection.inference_jobs (input_artifact_id);
CREATE INDEX ix_inference_jobs__status_created ON inspection.inference_jobs (status, created_at);
-- The claim queue (claim_inference_jobs).
CREATE INDEX ix_inference_jobs__active ON inspection.inference_jobs (created_at)
    WHERE status IN ('pending', 'running');
CREATE INDEX ix_inference_jobs__model ON inspection.inference_jobs
    (model_name, model_version, created_at DESC);
CREATE INDEX ix_inference_jobs__created_at ON inspection.inference_jobs (created_at);
CREATE INDEX ix_inference_jobs__results ON inspection.inference_jobs
    USING gin (results jsonb_path_ops);

CREATE TRIGGER trg_inference_jobs__set_updated_at
    BEFORE UPDATE ON inspection.inference_jobs
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- The second half of the artifacts <-> inference_jobs cycle. Both tables were
-- created above in this transaction and are empty: validation is instant.
-- squawk-ignore adding-foreign-key-constraint
ALTER TABLE inspection.artifacts
    ADD CONSTRAINT fk_artifacts__inference_job_id FOREIGN KEY (inference_job_id)
        REFERENCES inspection.inference_jobs (id) ON DELETE SET NULL;
CREATE INDEX ix_artifacts__inference_job_id ON inspection.artifacts (inference_job_id);

-- ---------------------------------------------------------------------------
-- inspection.defects: "Defect detection and classification" and its review.
-- ---------------------------------------------------------------------------
CREATE TABLE inspection.defects (
    id               uuid                        NOT NULL DEFAULT gen_random_uuid(),
    inspection_id    uuid                        NOT NULL,
    defect_type      inspection.defect_type      NOT NULL,
    severity         inspection.defect_severity  NOT NULL,
    detection_method inspection.detection_method NOT NULL,
    confidence       numeric(5, 4)               NULL,
    location         jsonb                       NOT NULL,
    description      text                        NULL,
    review_status    inspection.review_status    NOT NULL DEFAULT 'pending',
    reviewed_by      uuid                        NULL,
    reviewed_at      timestamptz                 NULL,
    review_notes     text                        NULL,
    inference_job_id uuid                        NULL,
    artifact_id      uuid                        NULL,
    defect_metadata  jsonb                       NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz                 NOT NULL DEFAULT now(),
    updated_at       timestamptz                 NOT NULL DEFAULT now(),
    created_by       uuid                        NULL,
    updated_by       uuid                        NULL,
    CONSTRAINT defects_pkey PRIMARY KEY (id),
    CONSTRAINT ck_defects__confidence_range CHECK (confidence BETWEEN 0 AND 1),
    CONSTRAINT ck_defects__ml_has_confidence
        CHECK (detection_method NOT IN ('ml_inference', 'hybrid') OR confidence IS NOT NULL),
    -- A bounding box in pixels: x, y >= 0; width, height > 0 when given.
    -- CASE keeps the casts behind their type tests.
    CONSTRAINT ck_defects__location_shape CHECK (
        jsonb_typeof(location) = 'object'
        AND CASE WHEN jsonb_typeof(location -> 'x') = 'number'
                  AND jsonb_typeof(location -> 'y') = 'number'
                 THEN (location ->> 'x')::numeric >= 0 AND (location ->> 'y')::numeric >= 0
                 ELSE false END
        AND CASE WHEN NOT location ? 'width' THEN true
                 WHEN jsonb_typeof(location -> 'width') = 'number'
                 THEN (location ->> 'width')::numeric > 0
                 ELSE false END
        AND CASE WHEN NOT location ? 'height' THEN true
                 WHEN jsonb_typeof(location -> 'height') = 'number'
                 THEN (location ->> 'height')::numeric > 0
                 ELSE false END),
    CONSTRAINT ck_defects__review_complete CHECK (
        review_status IN ('pending', 'in_review')
        OR (reviewed_by IS NOT NULL AND reviewed_at IS NOT NULL)),
    CONSTRAINT ck_defects__defect_metadata_object CHECK (jsonb_typeof(defect_metadata) = 'object'),
    CONSTRAINT fk_defects__inspection_id FOREIGN KEY (inspection_id)
        REFERENCES inspection.inspections (id) ON DELETE CASCADE,
    CONSTRAINT fk_defects__reviewed_by FOREIGN KEY (reviewed_by) REFERENCES core.users (id),
    CONSTRAINT fk_defects__inference_job_id FOREIGN KEY (inference_job_id)
        REFERENCES inspection.inference_jobs (id) ON DELETE SET NULL,
    CONSTRAINT fk_defects__artifact_id FOREIGN KEY (artifact_id)
        REFERENCES inspection.artifacts (id) ON DELETE SET NULL,
    CONSTRAINT fk_defects__created_by FOREIGN KEY (created_by) REFERENCES core.users (id),
    CONSTRAINT fk_defects__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id)
);
COMMENT ON TABLE inspection.defects IS
    'Defects found in an inspection, by a model or a person, and their human review. Create-only except for the review fields; changing a reviewed defect needs a reason (app.change_reason). Deleted with their inspection.';
COMMENT ON COLUMN inspection.defects.id IS 'Primary key.';
COMMENT ON COLUMN inspection.defects.inspection_id IS 'Inspection that found the defect (ON DELETE CASCADE).';
COMMENT ON COLUMN inspection.defects.defect_type IS 'Classification.';
COMMENT ON COLUMN inspection.defects.severity IS 'cosmetic < minor < major < critical.';
COMMENT ON COLUMN inspection.defects.detection_method IS 'ml_inference, manual, rule_based, hybrid.';
COMMENT ON COLUMN inspection.defects.confidence IS 'Model confidence in [0, 1]; required for ml_inference and hybrid.';
COMMENT ON COLUMN inspection.defects.location IS 'Bounding box in pixels {"x", "y", "width", "height"} (x, y >= 0; width, height > 0), optionally a "polygon".';
COMMENT ON COLUMN inspection.defects.description IS 'Free text.';
COMMENT ON COLUMN inspection.defects.review_status IS 'pending, in_review, confirmed, false_positive, escalated.';
COMMENT ON COLUMN inspection.defects.reviewed_by IS 'Reviewer (core.users, NO ACTION); required once reviewed.';
COMMENT ON COLUMN inspection.defects.reviewed_at IS 'When it was reviewed; required once reviewed.';
COMMENT ON COLUMN inspection.defects.review_notes IS 'Reviewer''s notes.';
COMMENT ON COLUMN inspection.defects.inference_job_id IS 'Inference job that detected it (SET NULL when deleted).';
COMMENT ON COLUMN inspection.defects.artifact_id IS 'Image showing the defect (SET NULL when deleted).';
COMMENT ON COLUMN inspection.defects.defect_metadata IS 'Free-form metadata (JSON object: model class id, raw score).';
COMMENT ON COLUMN inspection.defects.created_at IS 'Set on insert.';
COMMENT ON COLUMN inspection.defects.updated_at IS 'Set by trg_defects__set_updated_at on every update.';
COMMENT ON COLUMN inspection.defects.created_by IS 'User who recorded it (NO ACTION: stays attributable).';
COMMENT ON COLUMN inspection.defects.updated_by IS 'User who last changed the row.';
COMMENT ON CONSTRAINT ck_defects__confidence_range ON inspection.defects IS
    'confidence must be between 0 and 1';
COMMENT ON CONSTRAINT ck_defects__ml_has_confidence ON inspection.defects IS
    'confidence: a defect detected by ml_inference or hybrid needs a confidence';
COMMENT ON CONSTRAINT ck_defects__location_shape ON inspection.defects IS
    'location must be a bounding box {"x": >= 0, "y": >= 0, "width": > 0, "height": > 0} in pixels (width and height optional)';
COMMENT ON CONSTRAINT ck_defects__review_complete ON inspection.defects IS
    'reviewed_by: a reviewed defect (confirmed, false_positive, escalated) needs reviewed_by and reviewed_at (use review_defect)';

-- Also the index of fk_defects__inspection_id.
CREATE INDEX ix_defects__inspection_severity ON inspection.defects (inspection_id, severity);
CREATE INDEX ix_defects__type_created ON inspection.defects (defect_type, created_at DESC);
CREATE INDEX ix_defects__severity_created ON inspection.defects (severity, created_at DESC);
-- The review queue (list_defects_pending_review).
CREATE INDEX ix_defects__pending_review ON inspection.defects (created_at)
    WHERE review_status IN ('pending', 'in_review');
CREATE INDEX ix_defects__inference_job_id ON inspection.defects (inference_job_id);
CREATE INDEX ix_defects__artifact_id ON inspection.defects (artifact_id);
CREATE INDEX ix_defects__reviewed_by ON inspection.defects (reviewed_by);
CREATE INDEX ix_defects__detection_method ON inspection.defects (detection_method);
CREATE INDEX ix_defects__metadata ON inspection.defects USING gin (defect_metadata jsonb_path_ops);

CREATE TRIGGER trg_defects__set_updated_at
    BEFORE UPDATE ON inspection.defects
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- inspection.reports: generation tracking, formats, access, expiry.
-- ---------------------------------------------------------------------------
CREATE TABLE inspection.reports (
    id                    uuid                     NOT NULL DEFAULT gen_random_uuid(),
    report_type           inspection.report_type   NOT NULL,
    status                inspection.report_status NOT NULL DEFAULT 'pending',
    format                inspection.report_format NOT NULL,
    title                 text                     NOT NULL,
    parameters            jsonb                    NOT NULL DEFAULT '{}'::jsonb,
    period_start          timestamptz              NULL,
    period_end            timestamptz              NULL,
    lot_id                uuid                     NULL,
    inspection_id         uuid                     NULL,
    artifact_id           uuid                     NULL,
    is_public             boolean                  NOT NULL DEFAULT false,
    allowed_roles         text[]                   NOT NULL DEFAULT '{}',
    allowed_user_ids      uuid[]                   NOT NULL DEFAULT '{}',
    expires_at            timestamptz              NULL,
    expired_at            timestamptz              NULL,
    generation_started_at timestamptz              NULL,
    generated_at          timestamptz              NULL,
    error_message         text                     NULL,
    -- squawk-ignore prefer-bigint-over-int
    download_count        integer                  NOT NULL DEFAULT 0,
    created_at            timestamptz              NOT NULL DEFAULT now(),
    updated_at            timestamptz              NOT NULL DEFAULT now(),
    created_by            uuid                     NULL,
    updated_by            uuid                     NULL,
    CONSTRAINT reports_pkey PRIMARY KEY (id),
    CONSTRAINT ck_reports__title_nonempty CHECK (length(btrim(title)) > 0),
    CONSTRAINT ck_reports__parameters_object CHECK (jsonb_typeof(parameters) = 'object'),
    CONSTRAINT ck_reports__expiry_after_creation CHECK (expires_at > created_at),
    CONSTRAINT ck_reports__period_order CHECK (period_end >= period_start),
    CONSTRAINT ck_reports__completed_has_artifact
        CHECK (status <> 'completed' OR artifact_id IS NOT NULL OR expired_at IS NOT NULL),
    CONSTRAINT ck_reports__failed_has_error CHECK (status <> 'failed' OR error_message IS NOT NULL),
    CONSTRAINT ck_reports__allowed_roles_no_nulls
        CHECK (array_position(allowed_roles, NULL) IS NULL),
    CONSTRAINT ck_reports__allowed_user_ids_no_nulls
        CHECK (array_position(allowed_user_ids, NULL) IS NULL),
    CONSTRAINT ck_reports__download_count_nonneg CHECK (download_count >= 0),
    CONSTRAINT fk_reports__lot_id FOREIGN KEY (lot_id)
        REFERENCES inspection.lots (id) ON DELETE SET NULL,
    CONSTRAINT fk_reports__inspection_id FOREIGN KEY (inspection_id)
        REFERENCES inspection.inspections (id) ON DELETE SET NULL,
    CONSTRAINT fk_reports__artifact_id FOREIGN KEY (artifact_id)
        REFERENCES inspection.artifacts (id) ON DELETE SET NULL,
    CONSTRAINT fk_reports__created_by FOREIGN KEY (created_by) REFERENCES core.users (id),
    CONSTRAINT fk_reports__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id)
);
COMMENT ON TABLE inspection.reports IS
    'Generated reports: request -> generating -> completed/failed, format, access (owner, public, listed users, listed roles), expiry. An expired report keeps its row (expired_at) and loses its file link.';
COMMENT ON COLUMN inspection.reports.id IS 'Primary key.';
COMMENT ON COLUMN inspection.reports.report_type IS 'Kind of report.';
COMMENT ON COLUMN inspection.reports.status IS 'pending, generating, completed, failed.';
COMMENT ON COLUMN inspection.reports.format IS 'pdf, csv, xlsx, json, html.';
COMMENT ON COLUMN inspection.reports.title IS 'Title shown to readers.';
COMMENT ON COLUMN inspection.reports.parameters IS 'Filters and options of the generation (JSON object).';
COMMENT ON COLUMN inspection.reports.period_start IS 'Start of the period reported on.';
COMMENT ON COLUMN inspection.reports.period_end IS 'End of the period reported on (>= period_start).';
COMMENT ON COLUMN inspection.reports.lot_id IS 'Lot reported on (SET NULL when deleted).';
COMMENT ON COLUMN inspection.reports.inspection_id IS 'Inspection reported on (SET NULL when deleted).';
COMMENT ON COLUMN inspection.reports.artifact_id IS 'The generated file; required when completed and not expired.';
COMMENT ON COLUMN inspection.reports.is_public IS 'Readable by everyone (until it expires).';
COMMENT ON COLUMN inspection.reports.allowed_roles IS 'core.roles names (application inspection) whose holders may read it.';
COMMENT ON COLUMN inspection.reports.allowed_user_ids IS 'Users who may read it (catalog Q7: an array, not FK-checked).';
COMMENT ON COLUMN inspection.reports.expires_at IS 'After this nobody may read it; must be after created_at.';
COMMENT ON COLUMN inspection.reports.expired_at IS 'When expire_report ran (the file link was cleared). Deviation: report_status has no expired label.';
COMMENT ON COLUMN inspection.reports.generation_started_at IS 'When generation started.';
COMMENT ON COLUMN inspection.reports.generated_at IS 'When generation completed.';
COMMENT ON COLUMN inspection.reports.error_message IS 'Why generation failed; required for failed.';
COMMENT ON COLUMN inspection.reports.download_count IS 'Times the report was read through get_report_if_allowed.';
COMMENT ON COLUMN inspection.reports.created_at IS 'Set on insert.';
COMMENT ON COLUMN inspection.reports.updated_at IS 'Set by trg_reports__set_updated_at on every update.';
COMMENT ON COLUMN inspection.reports.created_by IS 'The requester, who may always read it until it expires (NO ACTION).';
COMMENT ON COLUMN inspection.reports.updated_by IS 'User who last changed the row.';
COMMENT ON CONSTRAINT ck_reports__expiry_after_creation ON inspection.reports IS
    'expires_at must be after created_at';
COMMENT ON CONSTRAINT ck_reports__period_order ON inspection.reports IS
    'period_end cannot be before period_start';
COMMENT ON CONSTRAINT ck_reports__completed_has_artifact ON inspection.reports IS
    'artifact_id: a completed report needs its file (artifact_id) until it expires (use complete_report)';
COMMENT ON CONSTRAINT ck_reports__failed_has_error ON inspection.reports IS
    'error_message: a failed report needs an error_message (use fail_report)';
COMMENT ON CONSTRAINT ck_reports__download_count_nonneg ON inspection.reports IS
    'download_count must be 0 or more';

CREATE INDEX ix_reports__type_created ON inspection.reports (report_type, created_at DESC);
CREATE INDEX ix_reports__in_progress ON inspection.reports (created_at)
    WHERE status IN ('pending', 'generating');
CREATE INDEX ix_reports__created_by ON inspection.reports (created_by);
CREATE INDEX ix_reports__expiring ON inspection.reports (expires_at)
    WHERE expires_at IS NOT NULL AND status = 'completed';
CREATE INDEX ix_reports__lot_id ON inspection.reports (lot_id);
CREATE INDEX ix_reports__inspection_id ON inspection.reports (inspection_id);
CREATE INDEX ix_reports__artifact_id ON inspection.reports (artifact_id);
CREATE INDEX ix_reports__parameters ON inspection.reports USING gin (parameters jsonb_path_ops);
CREATE INDEX ix_reports__allowed_roles ON inspection.reports USING gin (allowed_roles);

CREATE TRIGGER trg_reports__set_updated_at
    BEFORE UPDATE ON inspection.reports
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- Privileges (catalog Q5, docs/security.md): regulated records are corrected,
-- never deleted, by services: registry_app has no DELETE. Operators
-- (registry_owner) may delete; the trail (0051) records it and asks for a
-- reason where one is required. Nobody but the owner login can disable the
-- triggers (ALTER TABLE needs ownership; TRIGGER is not granted).
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON inspection.parts, inspection.lots, inspection.inspections,
    inspection.defects, inspection.inference_jobs, inspection.artifacts, inspection.reports
    TO registry_app;
GRANT SELECT ON inspection.parts, inspection.lots, inspection.inspections,
    inspection.defects, inspection.inference_jobs, inspection.artifacts, inspection.reports
    TO registry_readonly;
GRANT SELECT, INSERT, UPDATE, DELETE ON inspection.parts, inspection.lots,
    inspection.inspections, inspection.defects, inspection.inference_jobs,
    inspection.artifacts, inspection.reports
    TO registry_owner;
