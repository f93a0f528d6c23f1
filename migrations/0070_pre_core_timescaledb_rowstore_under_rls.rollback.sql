-- Rollback of 0070_pre_core_timescaledb_rowstore_under_rls.
--
-- WHY: back to what 0010 left: the two helper functions are gone (every engine); on TimescaleDB
-- also the event trigger, and core.audit_log has columnstore again (0003's settings and 90-day
-- policy; community license only, as in 0003). Rolled back after 0011 (the backend orders it
-- so), when core.audit_log is not under row security yet (0026 is rolled back before).

SET LOCAL lock_timeout = '5s';

DO $rowstore$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb') THEN
        RETURN;
    END IF;
    DROP EVENT TRIGGER IF EXISTS trg_registry_sql__timescaledb_rowstore;
    IF current_setting('timescaledb.license', true) = 'timescale'
       AND EXISTS (SELECT 1 FROM timescaledb_information.hypertables AS h
                    WHERE h.hypertable_schema = 'core' AND h.hypertable_name = 'audit_log'
                      AND NOT h.compression_enabled)
    THEN
        ALTER TABLE core.audit_log SET (
            timescaledb.compress,
            timescaledb.compress_segmentby = 'application',
            timescaledb.compress_orderby = 'occurred_at DESC, id'
        );
        PERFORM add_compression_policy('core.audit_log', INTERVAL '90 days');
    END IF;
END
$rowstore$;

-- After the event trigger that uses it (TimescaleDB); on every engine.
DROP FUNCTION core.timescaledb_keep_rowstore_trigger();
DROP FUNCTION core.timescaledb_keep_rowstore();
