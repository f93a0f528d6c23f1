-- Rollback of 0053_inspection_record_history_merge.
--
-- WHY: removes the aggregate; the list_record_history of the release before
-- it does not use it.
SET LOCAL lock_timeout = '5s';

DROP AGGREGATE inspection.jsonb_merge_agg(jsonb);
