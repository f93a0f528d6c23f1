-- Rollback of 0006_model_registry_lineage.
--
-- WHY: removes the lineage graph and its cycle trigger function. This DESTROYS
-- every lineage edge: export first unless the data is disposable.

-- squawk-ignore-file ban-drop-function, ban-drop-table

SET LOCAL lock_timeout = '5s';

DROP TABLE model_registry.package_lineage;
DROP FUNCTION model_registry.forbid_lineage_cycle();
