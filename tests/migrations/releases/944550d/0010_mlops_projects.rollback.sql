-- Rollback of 0010_mlops_projects.
--
-- WHY: removes the mlops schema's first tables, their enum and the schema
-- itself. Policies, indexes, triggers and grants go with their tables. No
-- CASCADE: a forgotten dependency fails loudly.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-table, ban-drop-type

SET LOCAL lock_timeout = '5s';

DROP TABLE mlops.project_members;
DROP TABLE mlops.projects;
DROP TYPE mlops.project_role;
DROP SCHEMA mlops;
