-- Rollback of 0016_model_registry_check_messages.
--
-- WHY: removes the comments; the generic sentences derived from the constraint
-- names apply again.

SET LOCAL lock_timeout = '5s';

COMMENT ON CONSTRAINT ck_packages__sensitive_has_script ON model_registry.packages IS NULL;
COMMENT ON CONSTRAINT ck_packages__checksum_format ON model_registry.packages IS NULL;
COMMENT ON CONSTRAINT ck_packages__file_size_nonneg ON model_registry.packages IS NULL;
COMMENT ON CONSTRAINT ck_packages__name_length ON model_registry.packages IS NULL;
COMMENT ON CONSTRAINT ck_packages__version_length ON model_registry.packages IS NULL;
COMMENT ON CONSTRAINT ck_package_lineage__no_self_edge ON model_registry.package_lineage IS NULL;
COMMENT ON CONSTRAINT ck_system_health_metrics__name_nonempty ON model_registry.system_health_metrics IS NULL;
