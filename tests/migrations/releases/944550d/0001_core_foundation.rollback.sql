-- Rollback of 0001_core_foundation.
--
-- WHY: returns the database to its state before the registry was installed.
-- The group roles are cluster-wide: another registry database in the same
-- cluster may still use them, so a role is only dropped when nothing depends on
-- it any more (no privileges or objects in any database, no members).

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-function, ban-drop-schema

SET LOCAL lock_timeout = '5s';

DROP FUNCTION core.forbid_modification();
DROP FUNCTION core.set_updated_at();

-- RESTRICT (the default): fails if a later migration left an object behind,
-- which is what we want to know.
DROP SCHEMA core;

-- pg_trgm may be used by objects outside the registry; keep it in that case.
DO $ext$
BEGIN
    DROP EXTENSION IF EXISTS pg_trgm;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'extension pg_trgm kept: other objects in this database depend on it';
END
$ext$;

-- Every privilege this database gave the roles went away with the schema and
-- its objects above. What remains is another database's business.
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['registry_readonly', 'registry_app', 'registry_owner'] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role);
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                     JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
                    WHERE r.rolname = v_role) THEN
            RAISE NOTICE 'role % kept: it still has members (service login roles)', v_role;
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE format('DROP ROLE %I', v_role);
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role % kept: objects or privileges in another database depend on it', v_role;
        END;
    END LOOP;
END
$roles$;
