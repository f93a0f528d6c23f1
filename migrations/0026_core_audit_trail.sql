-- 0026_core_audit_trail: an audit trail that cannot be forged, shortened or
-- silenced by anyone below superuser.
--
-- WHY: a hostile review (issue 19) found that
--   * registry_app could INSERT every column of core.audit_log, occurred_at
--     included: an event dated 2019, or five months ahead (which then made
--     maintain_partitions skip that month), was accepted;
--   * registry_owner could set retention = '1 microsecond' on core.audit_log in
--     core.partitioned_tables, and the next maintain_partitions() dropped a
--     month of audit rows (0025 takes that DML away from the group);
--   * with session_replication_role = replica the immutability triggers did
--     not fire (they were not ENABLE ALWAYS);
--   * audit rows carry tenant data but had no row-level security.
-- Now:
--   * the database stamps every event: occurred_at must be statement_timestamp()
--     (the time of the writing statement, the column default since 0020), db_user is session_user
--     (the login), db_role is current_user (the effective role), db_txid the
--     transaction id. organization_id and actor_* stay what they were: claims
--     made by the service, recorded next to the database's own facts.
--     Superusers may insert other times (imports of historical records); their
--     rows are stamped with their role like any other.
--   * registry_app and registry_owner get INSERT on the claim columns only;
--   * the retention of core.audit_log cannot go below core.audit_retention_floor()
--     (7 years, see docs/security.md): a CHECK on core.partitioned_tables, and
--     core.maintain_partitions() (0027) never drops younger audit partitions;
--   * every trigger on core.audit_log is ENABLE ALWAYS (0027 copies that state
--     onto the partitions);
--   * row-level security: a session reads and writes the events of its tenant
--     (app.org_id), or, with no tenant set, the platform events (organization_id
--     NULL). registry_readonly reads every event (the platform-wide reader).
-- depends: 0025_core_least_privilege

SET LOCAL lock_timeout = '5s';

-- ---------------------------------------------------------------------------
-- The retention floor, one definition for the CHECK and the maintenance.
-- ---------------------------------------------------------------------------
CREATE FUNCTION core.audit_retention_floor()
    RETURNS interval
    LANGUAGE sql
    IMMUTABLE
    PARALLEL SAFE
AS $fn$ SELECT INTERVAL '7 years' $fn$;
COMMENT ON FUNCTION core.audit_retention_floor() IS
    'Shortest retention core.audit_log may have (7 years; docs/security.md says why). Changing it is a migration.';
GRANT EXECUTE ON FUNCTION core.audit_retention_floor() TO registry_owner, registry_app, registry_readonly;
REVOKE ALL ON FUNCTION core.audit_retention_floor() FROM PUBLIC;

ALTER TABLE core.partitioned_tables
    ADD CONSTRAINT ck_partitioned_tables__audit_retention_floor
    CHECK (parent <> 'core.audit_log'::regclass OR retention IS NULL
           OR retention >= core.audit_retention_floor()) NOT VALID;
-- The registry holds one row per time-series table (a handful): validating it
-- in this transaction holds the lock for an instant.
-- squawk-ignore constraint-missing-not-valid
ALTER TABLE core.partitioned_tables VALIDATE CONSTRAINT ck_partitioned_tables__audit_retention_floor;
COMMENT ON CONSTRAINT ck_partitioned_tables__audit_retention_floor ON core.partitioned_tables IS
    'core.audit_log is kept at least core.audit_retention_floor() (7 years): use a longer retention, or NULL to keep it forever.';

-- ---------------------------------------------------------------------------
-- Database stamps.
-- ---------------------------------------------------------------------------
ALTER TABLE core.audit_log ADD COLUMN db_user text NULL;
ALTER TABLE core.audit_log ADD COLUMN db_role text NULL;
ALTER TABLE core.audit_log ADD COLUMN db_txid bigint NULL;
COMMENT ON COLUMN core.audit_log.db_user IS
    'Set by the database (trg_audit_log__stamp): session_user, the login that wrote the event. NULL only for events written before 0026.';
COMMENT ON COLUMN core.audit_log.db_role IS
    'Set by the database (trg_audit_log__stamp): current_user, the effective role. NULL only for events written before 0026.';
COMMENT ON COLUMN core.audit_log.db_txid IS
    'Set by the database (trg_audit_log__stamp): pg_current_xact_id() of the writing transaction. NULL only for events written before 0026.';
COMMENT ON COLUMN core.audit_log.actor_user_id IS
    'Claim: the acting user id as the service states it (snapshot, deliberately no FK). db_user/db_role say which database login wrote it.';
-- The other claim columns (organization_id, actor_*) keep their comments (0035):
-- the table comment says what is a claim and what the database sets.
COMMENT ON TABLE core.audit_log IS
    'Append-only audit trail of all applications (UPDATE/DELETE/TRUNCATE raise RS001, ENABLE ALWAYS). Time-partitioned on occurred_at; no FKs; retention never below core.audit_retention_floor(). Set by the database: occurred_at (statement_timestamp()), db_user, db_role, db_txid; claims of the service: organization_id, actor_*. Row-level security per tenant (app.org_id).';

-- SECURITY INVOKER on purpose: session_user/current_user are the writer's.
CREATE FUNCTION core.stamp_audit_event()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NEW.occurred_at IS DISTINCT FROM statement_timestamp()
       AND NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION USING
            ERRCODE = '42501',
            MESSAGE = 'core.audit_log.occurred_at is set by the database: do not supply it',
            DETAIL  = 'occurred_at must be statement_timestamp(), the time of the writing statement (only a superuser may import other times).',
            HINT    = 'Leave occurred_at out of the INSERT (core.create_audit_event does).',
            SCHEMA  = 'core',
            TABLE   = 'audit_log',
            COLUMN  = 'occurred_at';
    END IF;
    NEW.db_user  := session_user;
    NEW.db_role  := current_user;
    NEW.db_txid  := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION core.stamp_audit_event() IS
    'Trigger function on core.audit_log: rejects a caller-supplied occurred_at (except superusers) and sets db_user, db_role, db_txid.';
REVOKE ALL ON FUNCTION core.stamp_audit_event() FROM PUBLIC;

-- Cloned onto every partition (and chunk) by PostgreSQL.
CREATE TRIGGER trg_audit_log__stamp
    BEFORE INSERT ON core.audit_log
    FOR EACH ROW EXECUTE FUNCTION core.stamp_audit_event();

-- Fire whatever session_replication_role says. On the parent this also
-- changes the cloned row triggers of the partitions; the TRUNCATE triggers of
-- partitions are separate triggers, changed below (and by
-- core.maintain_partitions() from 0027 on, for new partitions).
ALTER TABLE core.audit_log ENABLE ALWAYS TRIGGER trg_audit_log__stamp;
ALTER TABLE core.audit_log ENABLE ALWAYS TRIGGER trg_audit_log__no_update_delete;
ALTER TABLE core.audit_log ENABLE ALWAYS TRIGGER trg_audit_log__no_truncate;

-- ---------------------------------------------------------------------------
-- Writers state claims only. GRANT/REVOKE on a partitioned table does not
-- reach its partitions: the loop below revokes INSERT there too.
-- ---------------------------------------------------------------------------
REVOKE INSERT ON core.audit_log FROM registry_app, registry_owner;
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
        EXECUTE format('REVOKE INSERT ON %s FROM registry_app, registry_owner', v_part);
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = v_part AND tgname = 'trg_audit_log__no_truncate') THEN
            EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER trg_audit_log__no_truncate', v_part);
        END IF;
    END LOOP;
END
$partitions$;
GRANT INSERT (application, organization_id, actor_type, actor_user_id, actor_username,
              actor_api_key_id, action, event_level, entity_type, entity_id, old_values,
              new_values, changed_fields, details, reason, correlation_id, session_id,
              ip_address, user_agent)
    ON core.audit_log TO registry_app, registry_owner;

-- ---------------------------------------------------------------------------
-- Row-level security.
-- ---------------------------------------------------------------------------
ALTER TABLE core.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_audit_log__tenant ON core.audit_log
    USING (organization_id IS NOT DISTINCT FROM NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id IS NOT DISTINCT FROM NULLIF(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY rls_audit_log__readonly ON core.audit_log
    FOR SELECT TO registry_readonly USING (true);
