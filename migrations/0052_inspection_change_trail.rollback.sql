-- Rollback of 0052_inspection_change_trail.
--
-- WHY: removes the change-trail triggers from the inspection tables and the
-- reason rule. Changes made afterwards are NOT recorded in core.audit_log:
-- only roll back together with 0050, or to re-create the triggers at once.
-- The events already written stay.

-- squawk-ignore-file ban-drop-function

SET LOCAL lock_timeout = '5s';

DO $trail$
DECLARE
    v_table text;
    v_event text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['parts', 'lots', 'inspections', 'defects', 'inference_jobs',
                                   'artifacts', 'reports'] LOOP
        FOREACH v_event IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE format('DROP TRIGGER %I ON inspection.%I',
                           'trg_' || v_table || '__trail_' || v_event, v_table);
        END LOOP;
    END LOOP;
END
$trail$;

DROP TRIGGER trg_inspections__require_reason ON inspection.inspections;
DROP TRIGGER trg_defects__require_reason ON inspection.defects;
DROP FUNCTION inspection.require_change_reason();
