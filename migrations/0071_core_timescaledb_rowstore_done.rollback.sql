-- Rollback of 0071_core_timescaledb_rowstore_done: 0070's two helper functions again (every
-- engine; the same text as in 0070: the rollback round-trip test compares the schema dumps),
-- and on TimescaleDB its event trigger.
--
-- WHY: so that rolling back further and applying again (0026, 0012, 0011 in between) finds
-- the state 0070 left.

SET LOCAL lock_timeout = '5s';

CREATE FUNCTION core.timescaledb_keep_rowstore()
    RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_ext   text;
    v_rel   regclass;
    v_chunk regclass;
BEGIN
    SELECT n.nspname INTO v_ext
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'timescaledb';
    IF v_ext IS NULL THEN
        RETURN;
    END IF;
    FOR v_rel IN
        SELECT format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass
          FROM timescaledb_information.hypertables AS h
         WHERE h.compression_enabled
           AND (h.hypertable_schema, h.hypertable_name) IN
               (('core', 'audit_log'), ('mlops', 'run_metrics'), ('mlops', 'model_monitoring'))
    LOOP
        FOR v_chunk IN
            SELECT format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
              FROM timescaledb_information.chunks AS c
             WHERE c.is_compressed
               AND format('%I.%I', c.hypertable_schema, c.hypertable_name)::regclass = v_rel
        LOOP
            EXECUTE format('SELECT %I.decompress_chunk($1, true)', v_ext) USING v_chunk;
        END LOOP;
        EXECUTE format('SELECT %I.remove_compression_policy($1, if_exists => true)', v_ext)
            USING v_rel;
        EXECUTE format('ALTER TABLE %s SET (timescaledb.compress = false)', v_rel);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION core.timescaledb_keep_rowstore() IS
    '0070, until 0071: on TimescaleDB, turns columnstore off on core.audit_log, mlops.run_metrics and mlops.model_monitoring, which are under row-level security (elsewhere: returns at once).';
REVOKE ALL ON FUNCTION core.timescaledb_keep_rowstore() FROM PUBLIC;

CREATE FUNCTION core.timescaledb_keep_rowstore_trigger()
    RETURNS event_trigger
    LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM core.timescaledb_keep_rowstore();
END
$fn$;
COMMENT ON FUNCTION core.timescaledb_keep_rowstore_trigger() IS
    '0070, until 0071: event trigger function (TimescaleDB only) of trg_registry_sql__timescaledb_rowstore.';
REVOKE ALL ON FUNCTION core.timescaledb_keep_rowstore_trigger() FROM PUBLIC;


DO $rowstore$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb')
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
