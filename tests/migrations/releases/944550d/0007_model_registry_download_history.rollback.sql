-- Rollback of 0007_model_registry_download_history.
--
-- WHY: removes the download audit trail (all partitions or chunks) and its
-- registration in core.partitioned_tables. This DESTROYS the download
-- history: export it first unless it is disposable.

-- squawk-ignore-file ban-drop-table

SET LOCAL lock_timeout = '5s';

DELETE FROM core.partitioned_tables
 WHERE parent = 'model_registry.download_history'::regclass;
-- Partitions (native path) and chunks (TimescaleDB path) go with the parent.
DROP TABLE model_registry.download_history;
