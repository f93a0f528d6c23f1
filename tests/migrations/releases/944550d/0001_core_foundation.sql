-- 0001_core_foundation: the `core` schema, its extension, the group roles and the
-- shared trigger functions.
--
-- WHY: every application schema (model_registry, mlops, airlock, inspection,
-- splunk_ta) builds on `core`: its users, RBAC and audit log, and two trigger
-- functions every later migration attaches to its tables. The three group roles
-- are created here, before any table, so that every migration can GRANT to them.
--
-- Requirements on the migrating role: CREATE on the database, CREATEROLE (or
-- superuser) the first time the roles are created in the cluster, and the right
-- to create the pg_trgm extension (it is a trusted extension since PG 13, so
-- database owners may create it).
--
-- Objects are owned by the role that runs the migrations. Run every migration
-- as the same dedicated login role, a member of registry_owner.

SET LOCAL lock_timeout = '5s';

-- pg_trgm powers the trigram search index on core.users (and later package
-- search). It lives in schema `public`, the conventional place, so the
-- `%`/similarity() operators and the gin_trgm_ops operator class resolve with the
-- default search_path of every service. IF NOT EXISTS: a DBA may have
-- installed it already.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- Cluster-wide group roles. Roles are shared by all databases of a cluster, so
-- they are only created when missing (another registry database in the same
-- cluster may have created them) and a concurrent creation is tolerated.
--   registry_owner     DDL: may create objects in the registry schemas
--   registry_app       DML only: SELECT/INSERT/UPDATE/DELETE, never TRUNCATE;
--                      INSERT+SELECT only on core.audit_log
--   registry_readonly  SELECT only
-- All NOLOGIN (services log in as their own role, a member of registry_app)
-- and NOBYPASSRLS (row-level security in mlops must apply to them).
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['registry_owner', 'registry_app', 'registry_readonly'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            BEGIN
                -- format(%I) quotes a name from the constant list above; CREATE ROLE
                -- takes no bind parameters.
                EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION', v_role);
            EXCEPTION WHEN duplicate_object THEN
                NULL;  -- created concurrently by another database's migration
            END;
        ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                      WHERE rolname = v_role AND (rolsuper OR rolbypassrls)) THEN
            RAISE WARNING 'role % already exists with SUPERUSER or BYPASSRLS; row-level security will not apply to its members', v_role
                USING HINT = format('ALTER ROLE %I NOSUPERUSER NOBYPASSRLS;', v_role);
        END IF;
    END LOOP;
END
$roles$;

CREATE SCHEMA core;
COMMENT ON SCHEMA core IS
    'Shared by all registry applications: organizations, users, identities, RBAC, API keys, auth tokens, the append-only audit log.';

-- New schemas grant nothing to PUBLIC; stated explicitly for reviewers.
REVOKE ALL ON SCHEMA core FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA core TO registry_owner;
GRANT USAGE ON SCHEMA core TO registry_app, registry_readonly;

-- core.set_updated_at(): BEFORE UPDATE FOR EACH ROW trigger function. The
-- database, not the application, maintains updated_at (catalog C17). now() is the
-- transaction start time, so all rows touched by one transaction agree.
CREATE FUNCTION core.set_updated_at()
    RETURNS trigger
    LANGUAGE plpgsql
AS $fn$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION core.set_updated_at() IS
    'Trigger function: sets NEW.updated_at := now(). Attach as trg_<table>__set_updated_at BEFORE UPDATE FOR EACH ROW.';

-- core.forbid_modification(): rejects UPDATE, DELETE and TRUNCATE on append-only
-- tables (core.audit_log). Raised with our own SQLSTATE RS001 ("immutable
-- record"), which registry_sql.errors maps to ImmutableRecord. The TABLE and
-- SCHEMA diagnostic fields carry the logical table name.
--
-- Optional trigger argument: the logical table ('core.audit_log'). Pass it when
-- the trigger sits on a partition or chunk, so the message names the table the
-- user wrote to rather than the physical partition. Without an argument the
-- root of the partition tree is used.
CREATE FUNCTION core.forbid_modification()
    RETURNS trigger
    LANGUAGE plpgsql
AS $fn$
DECLARE
    v_schema text;
    v_table  text;
BEGIN
    IF TG_NARGS > 0 THEN
        v_schema := split_part(TG_ARGV[0], '.', 1);
        v_table  := split_part(TG_ARGV[0], '.', 2);
    ELSE
        SELECT n.nspname, c.relname INTO v_schema, v_table
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = coalesce(pg_catalog.pg_partition_root(TG_RELID), TG_RELID);
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'RS001',
        MESSAGE = format('append-only table %s.%s: %s is not allowed', v_schema, v_table, TG_OP),
        DETAIL  = format('Rejected by trigger %s on %s.%s.', TG_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME),
        HINT    = 'Records in this table are immutable. Write a new event instead (for example a correcting entry that references the original).',
        SCHEMA  = v_schema,
        TABLE   = v_table;
END
$fn$;
COMMENT ON FUNCTION core.forbid_modification() IS
    'Trigger function for append-only tables: raises SQLSTATE RS001 on UPDATE, DELETE or TRUNCATE. Optional argument: the logical table name.';

-- Trigger functions cannot be called directly; revoking EXECUTE from PUBLIC
-- documents that nobody is meant to.
REVOKE ALL ON FUNCTION core.set_updated_at() FROM PUBLIC;
REVOKE ALL ON FUNCTION core.forbid_modification() FROM PUBLIC;
