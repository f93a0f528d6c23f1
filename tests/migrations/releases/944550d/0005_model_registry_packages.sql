-- 0005_model_registry_packages: schema `model_registry`, its two enums, the
-- package catalog (packages) and the per-package metric scores
-- (package_scores) of seed 000 (catalog §1.0).
--
-- WHY: seed 000 is a "trustworthy model registry": ML models, datasets and code
-- stored as archives in S3, each (name, version) once, scored on 11 metrics
-- (8 Phase 1 + 3 Phase 2) plus a weighted net score. Its users, permissions
-- and tokens moved to `core` (catalog §3.2); what stays here are the registry's
-- own tables. There is no soft delete in this schema (the seed hard-deletes
-- with cascades), so uniqueness is plain UNIQUE, not partial indexes.
--
-- Deviation from the catalog (recorded in docs/schema/model_registry.md):
-- packages.tags (text[], GIN-indexed) was added for the tag filter of
-- search_packages, and the trigram expression index ix_packages__search_trgm
-- (name || ' ' || description) serves the name/description search next to the
-- catalog's ix_packages__name_trgm.
-- depends: 0004_core_reference_data

SET LOCAL lock_timeout = '5s';

CREATE SCHEMA model_registry;
COMMENT ON SCHEMA model_registry IS
    'Seed 000 model/package registry: packages, scores, lineage, download history, health metrics.';
REVOKE ALL ON SCHEMA model_registry FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA model_registry TO registry_owner;
GRANT USAGE ON SCHEMA model_registry TO registry_app, registry_readonly;

-- ---------------------------------------------------------------------------
-- Enums (catalog §1.0.3, values proposed). Closed classifications.
-- ---------------------------------------------------------------------------
CREATE TYPE model_registry.package_type AS ENUM ('model', 'dataset', 'code');
-- How the child package relates to its parent.
CREATE TYPE model_registry.lineage_relationship AS ENUM
    ('fine_tuned', 'adapter', 'quantized', 'merged', 'distilled',
     'trained_on_dataset', 'uses_code', 'other');

-- ---------------------------------------------------------------------------
-- model_registry.packages: one stored archive per (name, version).
-- ---------------------------------------------------------------------------
CREATE TABLE model_registry.packages (
    id                    uuid                        NOT NULL DEFAULT gen_random_uuid(),
    name                  text                        NOT NULL,
    -- Semver string ("1.0.0"); compared as text for uniqueness, sorted
    -- numerically by list_package_versions.
    version               text                        NOT NULL,
    package_type          model_registry.package_type NOT NULL DEFAULT 'model',
    description           text                        NULL,
    -- Free-form labels ("nlp", "vision"); filter with tags @> ARRAY[...].
    tags                  text[]                      NOT NULL DEFAULT '{}',
    s3_key                text                        NOT NULL,
    s3_bucket             text                        NOT NULL,
    -- bigint: model archives exceed 2^31 bytes.
    file_size_bytes       bigint                      NOT NULL,
    checksum_sha256       text                        NULL,
    uploaded_by           uuid                        NULL,
    is_sensitive          boolean                     NOT NULL DEFAULT false,
    -- Program run by the service before a sensitive package is downloaded.
    access_control_script text                        NULL,
    source_url            text                        NULL,
    created_at            timestamptz                 NOT NULL DEFAULT now(),
    updated_at            timestamptz                 NOT NULL DEFAULT now(),
    CONSTRAINT packages_pkey PRIMARY KEY (id),
    CONSTRAINT uq_packages__name_version UNIQUE (name, version),
    CONSTRAINT ck_packages__name_length CHECK (length(name) BETWEEN 1 AND 255),
    CONSTRAINT ck_packages__version_length CHECK (length(version) BETWEEN 1 AND 64),
    CONSTRAINT ck_packages__s3_key_nonempty CHECK (length(s3_key) > 0),
    CONSTRAINT ck_packages__s3_bucket_nonempty CHECK (length(s3_bucket) > 0),
    CONSTRAINT ck_packages__file_size_nonneg CHECK (file_size_bytes >= 0),
    CONSTRAINT ck_packages__tags_no_nulls CHECK (array_position(tags, NULL) IS NULL),
    CONSTRAINT ck_packages__checksum_format CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_packages__sensitive_has_script
        CHECK (NOT is_sensitive OR access_control_script IS NOT NULL),
    CONSTRAINT fk_packages__uploaded_by FOREIGN KEY (uploaded_by)
        REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE model_registry.packages IS
    'ML models, datasets and code archives stored in S3; one row per (name, version). Hard delete cascades to scores, lineage edges and downloads.';
COMMENT ON COLUMN model_registry.packages.access_control_script IS
    'Required when is_sensitive: the service runs it before a download and records the decision in download_history.';

CREATE INDEX ix_packages__uploaded_by ON model_registry.packages (uploaded_by);
-- Trigram index on name alone (catalog §1.0.4): name-only similarity lookups.
CREATE INDEX ix_packages__name_trgm ON model_registry.packages
    USING gin (name public.gin_trgm_ops);
-- Trigram index for search_packages (name OR description in one expression);
-- the query repeats this expression verbatim.
CREATE INDEX ix_packages__search_trgm ON model_registry.packages
    USING gin ((name || ' ' || coalesce(description, '')) public.gin_trgm_ops);
-- Keyset pagination order of list/search (created_at DESC, id DESC).
CREATE INDEX ix_packages__created_at ON model_registry.packages (created_at DESC, id DESC);
CREATE INDEX ix_packages__package_type ON model_registry.packages (package_type);
CREATE INDEX ix_packages__tags ON model_registry.packages USING gin (tags);

CREATE TRIGGER trg_packages__set_updated_at
    BEFORE UPDATE ON model_registry.packages
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- model_registry.package_scores: one row per package (upserted).
-- All 11 metrics and net_score are nullable (a scorer may send a subset) and,
-- when present, within [0, 1].
-- ---------------------------------------------------------------------------
CREATE TABLE model_registry.package_scores (
    id                     uuid        NOT NULL DEFAULT gen_random_uuid(),
    package_id             uuid        NOT NULL,
    -- Phase 1 (8)
    ramp_up_time           real        NULL,
    bus_factor             real        NULL,
    license_score          real        NULL,
    performance_claims     real        NULL,
    size_score             real        NULL,
    dataset_and_code_score real        NULL,
    dataset_quality        real        NULL,
    code_quality           real        NULL,
    -- Phase 2 (3)
    reproducibility        real        NULL,
    reviewedness           real        NULL,
    tree_score             real        NULL,
    -- Weighted aggregate of the 11.
    net_score              real        NULL,
    -- {"raspberry_pi": 0.2, "jetson_nano": 0.5, "desktop_pc": 0.9, "aws_server": 1.0}
    size_score_detail      jsonb       NULL,
    -- Time taken to compute each metric, in milliseconds, by metric name.
    metric_latencies_ms    jsonb       NULL,
    scored_at              timestamptz NOT NULL DEFAULT now(),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT package_scores_pkey PRIMARY KEY (id),
    CONSTRAINT uq_package_scores__package_id UNIQUE (package_id),
    CONSTRAINT fk_package_scores__package_id FOREIGN KEY (package_id)
        REFERENCES model_registry.packages (id) ON DELETE CASCADE,
    CONSTRAINT ck_package_scores__ramp_up_time_range CHECK (ramp_up_time BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__bus_factor_range CHECK (bus_factor BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__license_score_range CHECK (license_score BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__performance_claims_range CHECK (performance_claims BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__size_score_range CHECK (size_score BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__dataset_and_code_score_range CHECK (dataset_and_code_score BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__dataset_quality_range CHECK (dataset_quality BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__code_quality_range CHECK (code_quality BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__reproducibility_range CHECK (reproducibility BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__reviewedness_range CHECK (reviewedness BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__tree_score_range CHECK (tree_score BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__net_score_range CHECK (net_score BETWEEN 0 AND 1),
    CONSTRAINT ck_package_scores__size_score_detail_object
        CHECK (jsonb_typeof(size_score_detail) = 'object'),
    CONSTRAINT ck_package_scores__metric_latencies_ms_object
        CHECK (jsonb_typeof(metric_latencies_ms) = 'object')
);
COMMENT ON TABLE model_registry.package_scores IS
    'The 11 quality metrics (8 Phase 1 + 3 Phase 2) and net_score of a package, each NULL or in [0, 1]; one row per package.';

-- Ranking (top packages by net score); uq_package_scores__package_id covers the FK.
CREATE INDEX ix_package_scores__net_score ON model_registry.package_scores
    (net_score DESC NULLS LAST);

CREATE TRIGGER trg_package_scores__set_updated_at
    BEFORE UPDATE ON model_registry.package_scores
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- Privileges: DML for the application (never TRUNCATE), SELECT for read-only.
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON model_registry.packages, model_registry.package_scores
    TO registry_app;
GRANT SELECT ON model_registry.packages, model_registry.package_scores TO registry_readonly;
GRANT ALL PRIVILEGES ON model_registry.packages, model_registry.package_scores TO registry_owner;
