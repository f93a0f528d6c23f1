-- 0071_core_timescaledb_rowstore_done: drop what 0070 installed: on TimescaleDB its event
-- trigger; on every engine its two helper functions.
--
-- WHY: the trigger only had to act while the released migrations 0011, 0012 and 0026 ran
-- (they enable columnstore, then row security, on the same tables; see 0070). From here on,
-- TimescaleDB itself refuses columnstore on those tables (they are under row security), so a
-- trigger that silently changes a table after unrelated DDL has no reason to stay, and neither
-- have the functions: the schema ends the same on every engine, with nothing of 0070 left.
-- The rollback of this file creates them again (0070's definitions, verbatim).
-- depends: 0070_pre_core_timescaledb_rowstore_under_rls 0026_core_audit_trail

SET LOCAL lock_timeout = '5s';

DO $rowstore$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger
                WHERE evtname = 'trg_registry_sql__timescaledb_rowstore') THEN
        DROP EVENT TRIGGER trg_registry_sql__timescaledb_rowstore;
    END IF;
END
$rowstore$;

-- No client calls these (EXECUTE revoked from PUBLIC in 0070; only the event trigger did).
-- squawk-ignore ban-drop-function
DROP FUNCTION core.timescaledb_keep_rowstore_trigger();
-- squawk-ignore ban-drop-function
DROP FUNCTION core.timescaledb_keep_rowstore();
