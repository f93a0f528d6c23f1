-- 0070_pre_core_timescaledb_rowstore_under_rls: on TimescaleDB, the time-series tables that
-- are under row-level security stay rowstore (no columnstore/compression). On plain PostgreSQL
-- and on Citus it only creates the two helper functions below, inert there (they return at once
-- when the timescaledb extension is not installed), and 0071 drops them again on every engine.
--
-- WHY: TimescaleDB 2.29 refuses row security on a hypertable with columnstore enabled, and
-- columnstore on a table with row security (either order: SQLSTATE 0A000). The released
-- migrations enable both on three tables: core.audit_log (columnstore in 0003, RLS in 0026),
-- mlops.run_metrics (both in 0011) and mlops.model_monitoring (both in 0012), so on a
-- TimescaleDB server with the community license `yoyo apply` stopped at 0011. Released files
-- never change (checksums), so the decision is made here, once: row security wins. Tenant
-- isolation (DESIGN §8) and the audit trail's row policy are enforced by the database for
-- every role; compression only saves disk. On TimescaleDB those three tables are hypertables
-- without columnstore (chunks, chunk exclusion and the retention policy of model_monitoring
-- stay); download_history keeps its columnstore, system_health_metrics its continuous
-- aggregate (neither is under RLS). See docs/scale-out.md, "TimescaleDB".
--
-- How: this migration runs BEFORE 0011 (the `runs-before` line below: registry-sql's yoyo
-- backend, used by `yoyo apply` with yoyo.ini and by `registry-sql migrate`, orders it just
-- before its target when both are pending; on a database where 0011 is applied it runs in
-- number order like any other). It creates core.timescaledb_keep_rowstore() (columnstore off on
-- those three tables, when they have it) and its event trigger function on every engine (plain
-- CREATE FUNCTION: no superuser needed; the same definitions on every engine, so this migration
-- and its rollback are exercised by the plain PostgreSQL tests too). On TimescaleDB only, it
--   1. turns columnstore off on core.audit_log now (decompressing chunks first, if any);
--   2. installs the event trigger trg_registry_sql__timescaledb_rowstore, which, after each
--      COMMENT or CREATE INDEX, turns columnstore off on those three tables again: 0011 and
--      0012 enable it inside their DO blocks and then, in the next statements, COMMENT on the
--      table and enable row security; the trigger acts in between. Event triggers need a
--      superuser: on TimescaleDB, migrate as one (creating the extension needed it too, on
--      most installations).
-- 0071_core_timescaledb_rowstore_done drops the event trigger and both functions once 0026 is
-- applied.
-- runs-before: 0011_mlops_models_experiments
-- depends: 0010_mlops_projects

SET LOCAL lock_timeout = '5s';

-- Columnstore off on the three tables (those that exist and have it on). Identifiers come
-- from the catalog (format %I), never from input. The same text as in 0071's rollback.
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
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb') THEN
        RETURN;  -- plain PostgreSQL, Citus, the embedded server: no event trigger
    END IF;

    -- Not on ALTER TABLE: 0011 and 0012 add the compression policy after their ALTER TABLE
    -- ... SET (timescaledb.compress) inside the same DO block, which needs columnstore on.
    CREATE EVENT TRIGGER trg_registry_sql__timescaledb_rowstore
        ON ddl_command_end
        WHEN TAG IN ('COMMENT', 'CREATE INDEX')
        EXECUTE FUNCTION core.timescaledb_keep_rowstore_trigger();

    PERFORM core.timescaledb_keep_rowstore();
END
$rowstore$;
