-- Rollback of 0026_core_audit_trail.
--
-- WHY: removes the database stamps (columns, trigger, function), row-level
-- security on core.audit_log, the retention floor, and gives the writers their
-- table-wide INSERT back; the immutability triggers fire ORIGIN again (as
-- before 0026). Events written since 0026 lose their db_* stamps.

-- A rollback consists of drops by definition.
-- squawk-ignore-file ban-drop-column, ban-drop-function

SET LOCAL lock_timeout = '5s';

DROP POLICY rls_audit_log__readonly ON core.audit_log;
DROP POLICY rls_audit_log__tenant ON core.audit_log;
ALTER TABLE core.audit_log NO FORCE ROW LEVEL SECURITY;
ALTER TABLE core.audit_log DISABLE ROW LEVEL SECURITY;

REVOKE INSERT (application, organization_id, actor_type, actor_user_id, actor_username,
               actor_api_key_id, action, event_level, entity_type, entity_id, old_values,
               new_values, changed_fields, details, reason, correlation_id, session_id,
               ip_address, user_agent)
    ON core.audit_log FROM registry_app, registry_owner;
GRANT INSERT ON core.audit_log TO registry_app, registry_owner;

ALTER TABLE core.audit_log ENABLE TRIGGER trg_audit_log__no_truncate;
ALTER TABLE core.audit_log ENABLE TRIGGER trg_audit_log__no_update_delete;
-- The partitions: TRUNCATE triggers back to ORIGIN, INSERT back to the
-- writers (as core.maintain_partitions() of 0003 copied it).
DO $partitions$
DECLARE
    v_part regclass;
BEGIN
    FOR v_part IN
        SELECT inh.inhrelid::regclass
          FROM pg_catalog.pg_inherits inh
         WHERE inh.inhparent = 'core.audit_log'::regclass
    LOOP
        -- %s: a regclass from the catalog, already quoted.
        EXECUTE format('GRANT INSERT ON %s TO registry_app, registry_owner', v_part);
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = v_part AND tgname = 'trg_audit_log__no_truncate') THEN
            EXECUTE format('ALTER TABLE %s ENABLE TRIGGER trg_audit_log__no_truncate', v_part);
        END IF;
    END LOOP;
END
$partitions$;
DROP TRIGGER trg_audit_log__stamp ON core.audit_log;
DROP FUNCTION core.stamp_audit_event();

-- The comments as 0003 left them.
COMMENT ON COLUMN core.audit_log.actor_user_id IS 'Snapshot of the acting user id; deliberately no FK.';
COMMENT ON TABLE core.audit_log IS
    'Append-only audit trail of all applications (UPDATE/DELETE/TRUNCATE raise RS001). Time-partitioned on occurred_at; no FKs; kept forever.';
ALTER TABLE core.audit_log DROP COLUMN db_txid;
ALTER TABLE core.audit_log DROP COLUMN db_role;
ALTER TABLE core.audit_log DROP COLUMN db_user;

ALTER TABLE core.partitioned_tables DROP CONSTRAINT ck_partitioned_tables__audit_retention_floor;
DROP FUNCTION core.audit_retention_floor();
