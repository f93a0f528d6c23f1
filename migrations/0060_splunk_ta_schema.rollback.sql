-- Rollback of 0060_splunk_ta_schema.
--
-- WHY: removes the splunk_ta schema: its tables (with their indexes,
-- triggers, grants and the default config rows), functions, enums and the
-- schema itself. The four splunk_ta roles are core.roles rows of 0004 and
-- stay. Audit events the application wrote stay in core.audit_log
-- (append-only). No CASCADE: a forgotten dependency fails loudly.

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-table, ban-drop-type, ban-drop-function, ban-drop-schema

SET LOCAL lock_timeout = '5s';

DROP FUNCTION splunk_ta.start_validation(text);
DROP TABLE splunk_ta.system_config;
DROP TABLE splunk_ta.knowledge_documents;
DROP TABLE splunk_ta.validation_runs;
DROP FUNCTION splunk_ta.enforce_validation_transition();
DROP FUNCTION splunk_ta.next_ta_version(uuid);
DROP TABLE splunk_ta.ta_revisions;
DROP TABLE splunk_ta.log_samples;
DROP TABLE splunk_ta.requests;
DROP FUNCTION splunk_ta.enforce_request_transition();
DROP TYPE splunk_ta.ta_revision_type;
DROP TYPE splunk_ta.validation_status;
DROP TYPE splunk_ta.request_status;
DROP SCHEMA splunk_ta;
