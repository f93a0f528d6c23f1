-- Rollback of 0005_model_registry_packages.
--
-- WHY: removes the package catalog, its scores, the two enums and the schema.
-- This DESTROYS every package row: export first unless the data is disposable.
-- Indexes, constraints, triggers and grants go with their tables; no CASCADE,
-- so a forgotten dependant fails loudly.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-table, ban-drop-type, ban-drop-schema

SET LOCAL lock_timeout = '5s';

DROP TABLE model_registry.package_scores;
DROP TABLE model_registry.packages;
DROP TYPE model_registry.lineage_relationship;
DROP TYPE model_registry.package_type;
DROP SCHEMA model_registry;
