-- Rollback of 0003_core_audit_log.
--
-- WHY: removes core.audit_log (with all its partitions or chunks), the
-- partition registry and core.maintain_partitions(). This DESTROYS the audit
-- trail: only roll back a database whose audit history is disposable (a test
-- or a failed first install), or export it first.
-- The immutability triggers do not fire on DROP TABLE.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-function, ban-drop-table

SET LOCAL lock_timeout = '5s';

DROP FUNCTION core.maintain_partitions(timestamptz);
DROP TABLE core.partitioned_tables;
-- Partitions (native path) and chunks (TimescaleDB path) go with the parent.
DROP TABLE core.audit_log;

-- TimescaleDB path only: drop the extension unless something else uses it.
DO $ext$
BEGIN
    DROP EXTENSION IF EXISTS timescaledb;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'extension timescaledb kept: other objects in this database depend on it';
END
$ext$;
