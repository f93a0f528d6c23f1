-- 0036_model_registry_column_comments: COMMENT ON COLUMN for every column of schema model_registry that had none.
--
-- WHY: the generated schema reference (`registry-sql docs`, docs/schema/model_registry.md) and
-- psql's \d+ show these comments to DBAs and reviewers; issue 16 asks for a comment on every
-- table and every non-obvious column. Comments only: no lock beyond a brief one per table,
-- no data touched. The released migrations 0001-0013 stay as they were (checksums).
-- depends: 0035_core_column_comments

SET LOCAL lock_timeout = '5s';

-- model_registry.download_history
COMMENT ON COLUMN model_registry.download_history.id IS
    'Event id (with downloaded_at, the primary key of this time-partitioned table).';
COMMENT ON COLUMN model_registry.download_history.package_id IS
    'The package requested (model_registry.packages.id); its history goes when the package is deleted (ON DELETE CASCADE).';
COMMENT ON COLUMN model_registry.download_history.user_id IS
    'The user who requested it (core.users.id); NULL once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN model_registry.download_history.downloaded_at IS
    'When the download was requested: the partitioning (time) column.';
COMMENT ON COLUMN model_registry.download_history.access_check_output IS
    'Output of the package''s access control script, when one ran.';
COMMENT ON COLUMN model_registry.download_history.ip_address IS
    'Client address.';
COMMENT ON COLUMN model_registry.download_history.user_agent IS
    'Client user agent.';

-- model_registry.package_lineage
COMMENT ON COLUMN model_registry.package_lineage.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN model_registry.package_lineage.parent_package_id IS
    'The upstream package (model_registry.packages.id).';
COMMENT ON COLUMN model_registry.package_lineage.child_package_id IS
    'The package derived from it (model_registry.packages.id).';
COMMENT ON COLUMN model_registry.package_lineage.relationship IS
    'How the child derives from the parent (fine-tune, quantization, ...).';
COMMENT ON COLUMN model_registry.package_lineage.created_at IS
    'When the row was inserted (default now()).';

-- model_registry.package_scores
COMMENT ON COLUMN model_registry.package_scores.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN model_registry.package_scores.package_id IS
    'The package scored (model_registry.packages.id).';
COMMENT ON COLUMN model_registry.package_scores.ramp_up_time IS
    'Trustworthiness metric in [0, 1]: how quickly a new user can start with the package.';
COMMENT ON COLUMN model_registry.package_scores.bus_factor IS
    'Metric in [0, 1]: how many maintainers the package depends on (higher is safer).';
COMMENT ON COLUMN model_registry.package_scores.license_score IS
    'Metric in [0, 1]: license compatibility.';
COMMENT ON COLUMN model_registry.package_scores.performance_claims IS
    'Metric in [0, 1]: evidence behind the performance claims.';
COMMENT ON COLUMN model_registry.package_scores.size_score IS
    'Metric in [0, 1]: summary of size_score_detail (fit on target hardware).';
COMMENT ON COLUMN model_registry.package_scores.dataset_and_code_score IS
    'Metric in [0, 1]: availability of the training dataset and code.';
COMMENT ON COLUMN model_registry.package_scores.dataset_quality IS
    'Metric in [0, 1]: quality of the dataset.';
COMMENT ON COLUMN model_registry.package_scores.code_quality IS
    'Metric in [0, 1]: quality of the code.';
COMMENT ON COLUMN model_registry.package_scores.reproducibility IS
    'Metric in [0, 1]: whether the published results reproduce.';
COMMENT ON COLUMN model_registry.package_scores.reviewedness IS
    'Metric in [0, 1]: share of the code that went through review.';
COMMENT ON COLUMN model_registry.package_scores.tree_score IS
    'Metric in [0, 1]: derived from the scores of the packages it descends from (package_lineage).';
COMMENT ON COLUMN model_registry.package_scores.net_score IS
    'Overall score in [0, 1], combining the metrics.';
COMMENT ON COLUMN model_registry.package_scores.size_score_detail IS
    'Size score per hardware target, as a JSON object.';
COMMENT ON COLUMN model_registry.package_scores.metric_latencies_ms IS
    'How long computing each metric took, in milliseconds, as a JSON object.';
COMMENT ON COLUMN model_registry.package_scores.scored_at IS
    'When the scores were computed.';
COMMENT ON COLUMN model_registry.package_scores.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN model_registry.package_scores.updated_at IS
    'When the row last changed; kept current by the trg_package_scores__set_updated_at trigger.';

-- model_registry.packages
COMMENT ON COLUMN model_registry.packages.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN model_registry.packages.name IS
    'Package name; with version, unique (uq_packages__name_version).';
COMMENT ON COLUMN model_registry.packages.version IS
    'Version string of the package.';
COMMENT ON COLUMN model_registry.packages.package_type IS
    'What the package holds (model, dataset, code).';
COMMENT ON COLUMN model_registry.packages.description IS
    'Free text; optional.';
COMMENT ON COLUMN model_registry.packages.tags IS
    'Search tags.';
COMMENT ON COLUMN model_registry.packages.s3_key IS
    'Object key of the package file in the bucket.';
COMMENT ON COLUMN model_registry.packages.s3_bucket IS
    'Bucket that stores the package file.';
COMMENT ON COLUMN model_registry.packages.file_size_bytes IS
    'Size of the package file in bytes.';
COMMENT ON COLUMN model_registry.packages.checksum_sha256 IS
    'SHA-256 of the package file (hex).';
COMMENT ON COLUMN model_registry.packages.uploaded_by IS
    'User who uploaded the package (core.users.id).';
COMMENT ON COLUMN model_registry.packages.is_sensitive IS
    'TRUE: downloads run access_control_script first.';
COMMENT ON COLUMN model_registry.packages.source_url IS
    'Where the package came from (e.g. a Hugging Face URL).';
COMMENT ON COLUMN model_registry.packages.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN model_registry.packages.updated_at IS
    'When the row last changed; kept current by the trg_packages__set_updated_at trigger.';

-- model_registry.system_health_metrics
COMMENT ON COLUMN model_registry.system_health_metrics.id IS
    'Sample id (with recorded_at, the primary key of this time-partitioned table).';
COMMENT ON COLUMN model_registry.system_health_metrics.metric_name IS
    'Name of the measured quantity.';
COMMENT ON COLUMN model_registry.system_health_metrics.metric_value IS
    'Measured value, in unit.';
COMMENT ON COLUMN model_registry.system_health_metrics.unit IS
    'Unit of metric_value.';
COMMENT ON COLUMN model_registry.system_health_metrics.labels IS
    'Dimensions of the sample (host, endpoint, ...), as a JSON object.';
COMMENT ON COLUMN model_registry.system_health_metrics.recorded_at IS
    'When the sample was taken: the partitioning (time) column.';

-- model_registry.v_user_permissions
COMMENT ON COLUMN model_registry.v_user_permissions.user_id IS
    'The user (core.users.id).';
COMMENT ON COLUMN model_registry.v_user_permissions.username IS
    'The user''s name.';
COMMENT ON COLUMN model_registry.v_user_permissions.email IS
    'The user''s e-mail.';
COMMENT ON COLUMN model_registry.v_user_permissions.is_admin IS
    'Holds the registry''s admin permission.';
COMMENT ON COLUMN model_registry.v_user_permissions.can_upload IS
    'Holds the upload permission.';
COMMENT ON COLUMN model_registry.v_user_permissions.can_search IS
    'Holds the search permission.';
COMMENT ON COLUMN model_registry.v_user_permissions.can_download IS
    'Holds the download permission.';
