-- 0016_model_registry_check_messages: the sentences users read when a
-- model_registry CHECK constraint rejects a row.
--
-- WHY: the friendly message of a constraint belongs next to the constraint, not in
-- the runtime. `registry-sql generate` reads these comments from the catalog and the
-- generated registry_sql.model_registry package registers them on import, so translate_error
-- says what a valid value looks like. A comment may start with `<column>: ` to name
-- the field the message is about; otherwise the field is the first word of the
-- sentence (or the constraint's only column). Constraints without a comment get a
-- generic sentence derived from their name (ck_<table>__<column>_<rule>).
-- depends: 0015_core_check_messages

SET LOCAL lock_timeout = '5s';

COMMENT ON CONSTRAINT ck_packages__sensitive_has_script ON model_registry.packages IS
    'access_control_script: a sensitive package needs an access_control_script (the program run before each download)';
COMMENT ON CONSTRAINT ck_packages__checksum_format ON model_registry.packages IS
    'checksum_sha256 must be 64 lowercase hex characters (a SHA-256 digest)';
COMMENT ON CONSTRAINT ck_packages__file_size_nonneg ON model_registry.packages IS
    'file_size_bytes must be zero or more';
COMMENT ON CONSTRAINT ck_packages__name_length ON model_registry.packages IS
    'name must be 1 to 255 characters long';
COMMENT ON CONSTRAINT ck_packages__version_length ON model_registry.packages IS
    'version must be 1 to 64 characters long';
COMMENT ON CONSTRAINT ck_package_lineage__no_self_edge ON model_registry.package_lineage IS
    'child_package_id: a package cannot be its own parent: parent_package_id and child_package_id must differ';
COMMENT ON CONSTRAINT ck_system_health_metrics__name_nonempty ON model_registry.system_health_metrics IS
    'metric_name must not be empty';
