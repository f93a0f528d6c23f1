-- 0052_inspection_change_trail: the FDA change trail on the seven inspection
-- tables, and the reason required to change a reviewed defect or a completed
-- inspection.
--
-- WHY: 21 CFR Part 11 asks that every change to a regulated record is
-- attributable (who, when, from where, why) and that earlier values stay
-- readable. Each table gets three AFTER ... FOR EACH STATEMENT triggers
-- calling core.capture_row_change() (0051): one core.audit_log event per
-- inserted, updated or deleted row, with the changed columns' old and new
-- values, the actor, session, client IP, user agent, correlation id and
-- reason from the transaction's settings; no actor, no change. Cascades
-- (deleting a lot) are recorded row by row too, by each reached table.
-- Once a defect has been reviewed (confirmed, false_positive, escalated) or an
-- inspection completed, changing or deleting it also needs a reason
-- (app.change_reason): BEFORE ... FOR EACH ROW triggers refuse it otherwise
-- (RS002, before anything is written).
-- Every trigger is ENABLE ALWAYS, so session_replication_role = replica does
-- not silence it; only the owner login (ALTER TABLE) or a superuser can
-- disable them (docs/security.md, residual risks).
-- depends: 0050_inspection_schema 0051_core_capture_row_change

SET LOCAL lock_timeout = '5s';

-- ---------------------------------------------------------------------------
-- The reason rule.
-- ---------------------------------------------------------------------------
CREATE FUNCTION inspection.require_change_reason()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_what text;
BEGIN
    IF TG_TABLE_NAME = 'defects' THEN
        IF OLD.review_status IN ('pending', 'in_review') THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        v_what := format('defect %s (review_status %s)', OLD.id, OLD.review_status);
    ELSIF TG_TABLE_NAME = 'inspections' THEN
        IF OLD.status <> 'completed' THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        v_what := format('inspection %s (status completed)', OLD.id);
    ELSE
        RAISE EXCEPTION 'inspection.require_change_reason() does not know table %.%',
            TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    IF NULLIF(btrim(current_setting('app.change_reason', true)), '') IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'RS002',
            MESSAGE = format('%s of %s needs a reason, and app.change_reason is not set',
                             TG_OP, v_what),
            DETAIL  = 'A reviewed defect or a completed inspection is a signed-off record (21 CFR Part 11): the trail must say why it changed. Nothing was written.',
            HINT    = 'Run the change inside transaction(conn, user_id=..., change_reason=''<why>'') (SET LOCAL app.change_reason).',
            SCHEMA  = TG_TABLE_SCHEMA,
            TABLE   = TG_TABLE_NAME,
            CONSTRAINT = TG_NAME;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
COMMENT ON FUNCTION inspection.require_change_reason() IS
    'Trigger function (BEFORE UPDATE OR DELETE FOR EACH ROW on defects and inspections): a reviewed defect or a completed inspection changes only with app.change_reason set (RS002 otherwise).';
REVOKE ALL ON FUNCTION inspection.require_change_reason() FROM PUBLIC;

CREATE TRIGGER trg_defects__require_reason
    BEFORE UPDATE OR DELETE ON inspection.defects
    FOR EACH ROW EXECUTE FUNCTION inspection.require_change_reason();
CREATE TRIGGER trg_inspections__require_reason
    BEFORE UPDATE OR DELETE ON inspection.inspections
    FOR EACH ROW EXECUTE FUNCTION inspection.require_change_reason();
ALTER TABLE inspection.defects ENABLE ALWAYS TRIGGER trg_defects__require_reason;
ALTER TABLE inspection.inspections ENABLE ALWAYS TRIGGER trg_inspections__require_reason;

-- ---------------------------------------------------------------------------
-- The trail: three statement triggers per table (a trigger with transition
-- tables serves one event). updated_at is left out of the diffs.
-- Static SQL per table: identifiers come from the constant list below only.
-- ---------------------------------------------------------------------------
DO $trail$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['parts', 'lots', 'inspections', 'defects', 'inference_jobs',
                                   'artifacts', 'reports'] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT ON inspection.%I REFERENCING NEW TABLE AS trail_new '
            'FOR EACH STATEMENT EXECUTE FUNCTION core.capture_row_change(''inspection'', ''updated_at'')',
            'trg_' || v_table || '__trail_insert', v_table);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER UPDATE ON inspection.%I '
            'REFERENCING OLD TABLE AS trail_old NEW TABLE AS trail_new '
            'FOR EACH STATEMENT EXECUTE FUNCTION core.capture_row_change(''inspection'', ''updated_at'')',
            'trg_' || v_table || '__trail_update', v_table);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER DELETE ON inspection.%I REFERENCING OLD TABLE AS trail_old '
            'FOR EACH STATEMENT EXECUTE FUNCTION core.capture_row_change(''inspection'', ''updated_at'')',
            'trg_' || v_table || '__trail_delete', v_table);
        EXECUTE format('ALTER TABLE inspection.%I ENABLE ALWAYS TRIGGER %I',
                       v_table, 'trg_' || v_table || '__trail_insert');
        EXECUTE format('ALTER TABLE inspection.%I ENABLE ALWAYS TRIGGER %I',
                       v_table, 'trg_' || v_table || '__trail_update');
        EXECUTE format('ALTER TABLE inspection.%I ENABLE ALWAYS TRIGGER %I',
                       v_table, 'trg_' || v_table || '__trail_delete');
    END LOOP;
END
$trail$;
