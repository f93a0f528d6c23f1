-- Rollback of 0071_core_timescaledb_rowstore_done: on TimescaleDB, the event trigger of 0070
-- again (when its function exists, i.e. on TimescaleDB only).
--
-- WHY: so that rolling back further and applying again (0026, 0012, 0011 in between) finds
-- the state 0070 left.

SET LOCAL lock_timeout = '5s';

DO $rowstore$
BEGIN
    IF to_regprocedure('core.timescaledb_keep_rowstore_trigger()') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger
                        WHERE evtname = 'trg_registry_sql__timescaledb_rowstore')
    THEN
        CREATE EVENT TRIGGER trg_registry_sql__timescaledb_rowstore
            ON ddl_command_end
            WHEN TAG IN ('COMMENT', 'CREATE INDEX')
            EXECUTE FUNCTION core.timescaledb_keep_rowstore_trigger();
    END IF;
END
$rowstore$;
