-- Rollback of 0051_core_capture_row_change.
--
-- WHY: removes the change-trail trigger function. Fails while a trigger still
-- uses it (roll back 0052 first); the events it wrote stay in core.audit_log.

-- squawk-ignore-file ban-drop-function

SET LOCAL lock_timeout = '5s';

DROP FUNCTION core.capture_row_change();
