-- Rollback of 0040_airlock_schema.
--
-- WHY: removes the airlock schema: its view, 7 tables, functions, 7 enums.
-- This DESTROYS every submission, request, workflow, check result, usage row
-- and allowlist entry: export first unless the data is disposable. Indexes,
-- constraints, triggers and grants go with their tables; no CASCADE, so a
-- forgotten dependant fails loudly.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-table, ban-drop-type, ban-drop-schema

SET LOCAL lock_timeout = '5s';

DROP VIEW airlock.v_users;
DROP FUNCTION airlock.license_allowed(text);
DROP TABLE airlock.license_allowlist;
DROP TABLE airlock.package_usage;
DROP TABLE airlock.check_results;
DROP TABLE airlock.workflows;
DROP FUNCTION airlock.sync_request_status();
DROP FUNCTION airlock.enforce_workflow_transition();
DROP TABLE airlock.package_requests;
DROP TABLE airlock.packages;
DROP TABLE airlock.package_submissions;
DROP FUNCTION airlock.submission_from_lockfile();
DROP FUNCTION airlock.lockfile_problem(jsonb);
DROP TYPE airlock.check_status;
DROP TYPE airlock.check_type;
DROP TYPE airlock.workflow_stage;
DROP TYPE airlock.workflow_status;
DROP TYPE airlock.package_status;
DROP TYPE airlock.request_status;
DROP TYPE airlock.submission_status;
DROP SCHEMA airlock;
