-- 0051_core_capture_row_change: core.capture_row_change(), the trigger
-- function that writes a change trail into core.audit_log (catalog §0.3, the
-- optional trigger of §1.3.6), used by the inspection tables (0052).
--
-- WHY: under FDA 21 CFR Part 11 every change to a regulated record must be
-- attributable (who, when, from where, why) and must not obscure earlier
-- values. Written by the database, the trail cannot be skipped by a service
-- that forgets to call an audit function, and it is in the same transaction
-- as the change: both commit or neither does.
--   * one core.audit_log row per inserted, updated or deleted row: INSERT
--     keeps the new row, DELETE the old row, UPDATE the old and new values of
--     the changed columns only (changed_fields lists them; the columns named
--     in the trigger's arguments, e.g. updated_at, are left out: the event's
--     occurred_at says when);
--   * the actor, session, client IP, user agent, correlation id and reason
--     come from transaction-local settings that registry_sql.db.transaction
--     sets (app.user_id, app.session_id, app.client_ip, app.user_agent,
--     app.correlation_id, app.change_reason); organization_id is app.org_id,
--     as core.audit_log's row-level security requires;
--   * a change with no actor (app.user_id unset) is refused (RS002, rolled
--     back with the statement): the service must say who;
--   * statement-level with transition tables: one INSERT ... SELECT per
--     statement, so a 10,000-row bulk insert writes its 10,000 events in one
--     set-based statement (benchmarks/inspection.py measures the cost). The
--     rows are first gathered from the transition table into one jsonb array,
--     and the INSERT reads that array: on Citus, where core.audit_log is a
--     distributed table, an INSERT ... SELECT cannot read a transition table
--     ("could not find named tuplestore"), and it can read a value;
--   * SECURITY INVOKER: the writer's role is stamped (db_user, db_role) by
--     trg_audit_log__stamp; the writer needs INSERT on the claim columns of
--     core.audit_log, which registry_app and registry_owner hold (0026).
-- Attach it three times per table (transition tables allow one event per
-- trigger), with the same transition table names:
--   CREATE TRIGGER trg_<t>__trail_insert AFTER INSERT ON s.t
--       REFERENCING NEW TABLE AS trail_new
--       FOR EACH STATEMENT EXECUTE FUNCTION core.capture_row_change('<application>', 'updated_at');
--   ... AFTER UPDATE REFERENCING OLD TABLE AS trail_old NEW TABLE AS trail_new ...
--   ... AFTER DELETE REFERENCING OLD TABLE AS trail_old ...
-- Arguments: the core.application label, then the columns left out of diffs.
-- The table needs a primary key column `id` (entity_id; it may not change).
-- depends: 0026_core_audit_trail

SET LOCAL lock_timeout = '5s';

CREATE FUNCTION core.capture_row_change()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_entity   text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    v_app      core.application;
    v_ignored  text[] := '{}';
    v_actor    uuid;
    v_org      uuid;
    v_ip       inet;
    v_raw      text;
    v_details  jsonb;
    v_username text;
    v_reason   text;
    v_corr     text;
    v_session  text;
    v_agent    text;
    v_fields   text[];
    v_docs     jsonb;
    v_rows     bigint;
    v_written  bigint;
BEGIN
    IF TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'core.capture_row_change() must be an AFTER ... FOR EACH STATEMENT trigger (trigger % on %)',
            TG_NAME, v_entity;
    END IF;
    IF TG_NARGS < 1 THEN
        RAISE EXCEPTION 'trigger % on %: core.capture_row_change() needs the application as its first argument',
            TG_NAME, v_entity;
    END IF;
    v_app := TG_ARGV[0]::core.application;
    IF TG_NARGS > 1 THEN
        v_ignored := TG_ARGV[1:TG_NARGS - 1];
    END IF;

    -- A statement that touched no row leaves no trace (and needs no actor).
    IF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM trail_old LIMIT 1;
    ELSE
        PERFORM 1 FROM trail_new LIMIT 1;
    END IF;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    -- Who: required.
    v_raw := NULLIF(current_setting('app.user_id', true), '');
    IF v_raw IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'RS002',
            MESSAGE = format('%s is a regulated table: every change must say who made it, and app.user_id is not set (%s refused)',
                             v_entity, TG_OP),
            DETAIL  = 'The change trail (core.audit_log) records the acting user of every INSERT, UPDATE and DELETE; nothing was written.',
            HINT    = 'Run the change inside transaction(conn, user_id=<the acting user''s id>) (SET LOCAL app.user_id).',
            SCHEMA  = TG_TABLE_SCHEMA,
            TABLE   = TG_TABLE_NAME,
            CONSTRAINT = TG_NAME;
    END IF;
    BEGIN
        v_actor := v_raw::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION USING
            ERRCODE = 'RS002',
            MESSAGE = format('app.user_id %L is not a UUID (%s on %s refused)', v_raw, TG_OP, v_entity),
            HINT    = 'Pass the acting user''s id (core.users.id) as user_id.',
            SCHEMA  = TG_TABLE_SCHEMA,
            TABLE   = TG_TABLE_NAME,
            CONSTRAINT = TG_NAME;
    END;
    v_raw := NULLIF(current_setting('app.client_ip', true), '');
    BEGIN
        v_ip := v_raw::inet;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION USING
            ERRCODE = 'RS002',
            MESSAGE = format('app.client_ip %L is not an IP address (%s on %s refused)', v_raw, TG_OP, v_entity),
            HINT    = 'Pass the client''s IPv4 or IPv6 address as client_ip.',
            SCHEMA  = TG_TABLE_SCHEMA,
            TABLE   = TG_TABLE_NAME,
            CONSTRAINT = TG_NAME;
    END;
    -- The tenant, as core.audit_log's row-level security requires
    -- (NULL: a platform event).
    v_org := NULLIF(current_setting('app.org_id', true), '')::uuid;
    -- Which trigger wrote the event (a foreign key cascade is recorded by the
    -- trigger of the table it reached, in the same transaction).
    v_details := jsonb_build_object('trigger', TG_NAME);
    -- Evaluated once per statement, not per row.
    v_username := (SELECT u.username FROM core.users u WHERE u.id = v_actor);
    v_reason  := NULLIF(current_setting('app.change_reason', true), '');
    v_corr    := NULLIF(current_setting('app.correlation_id', true), '');
    v_session := NULLIF(current_setting('app.session_id', true), '');
    v_agent   := NULLIF(current_setting('app.user_agent', true), '');
    -- Every row of a table has the same columns: the field list of a whole-row
    -- event (INSERT, DELETE) is computed once.
    IF TG_OP = 'DELETE' THEN
        SELECT ARRAY(SELECT k FROM jsonb_object_keys(to_jsonb(o) - v_ignored) AS k ORDER BY k)
          INTO v_fields FROM trail_old o LIMIT 1;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT ARRAY(SELECT k FROM jsonb_object_keys(to_jsonb(n) - v_ignored) AS k ORDER BY k)
          INTO v_fields FROM trail_new n LIMIT 1;
    END IF;

    IF TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(to_jsonb(n) - v_ignored) INTO v_docs FROM trail_new n;
        INSERT INTO core.audit_log (
            application, organization_id, actor_type, actor_user_id, actor_username, action,
            event_level, entity_type, entity_id, old_values, new_values, changed_fields,
            details, reason, correlation_id, session_id, ip_address, user_agent)
        SELECT v_app, v_org, 'user', v_actor, v_username,
               'create', 'info', v_entity, j.doc ->> 'id', NULL, j.doc, v_fields, v_details,
               v_reason, v_corr, v_session, v_ip, v_agent
          FROM jsonb_array_elements(v_docs) WITH ORDINALITY AS j (doc, n)
         ORDER BY j.n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT jsonb_agg(to_jsonb(o) - v_ignored) INTO v_docs FROM trail_old o;
        INSERT INTO core.audit_log (
            application, organization_id, actor_type, actor_user_id, actor_username, action,
            event_level, entity_type, entity_id, old_values, new_values, changed_fields,
            details, reason, correlation_id, session_id, ip_address, user_agent)
        SELECT v_app, v_org, 'user', v_actor, v_username,
               'delete', 'warning', v_entity, j.doc ->> 'id', j.doc, NULL, v_fields, v_details,
               v_reason, v_corr, v_session, v_ip, v_agent
          FROM jsonb_array_elements(v_docs) WITH ORDINALITY AS j (doc, n)
         ORDER BY j.n;
    ELSE
        -- Old and new versions are paired by position, not by id: the
        -- transition tables of one query hold every row version its foreign
        -- key cascades produced, in order (a row reached by two SET NULL
        -- cascades appears twice), and old and new are appended in step.
        WITH o AS (
            SELECT row_number() OVER () AS n, to_jsonb(t) - v_ignored AS od FROM trail_old t
        ), nw AS (
            SELECT row_number() OVER () AS n, to_jsonb(t) - v_ignored AS nd FROM trail_new t
        )
        SELECT jsonb_agg(jsonb_build_object('id', nw.nd ->> 'id', 'old', d.old_values,
                                            'new', d.new_values, 'fields', d.changed_fields)
                         ORDER BY nw.n),
               count(*)
          INTO v_docs, v_written
          FROM nw
          JOIN o ON o.n = nw.n AND o.od -> 'id' = nw.nd -> 'id'
         CROSS JOIN LATERAL (
               SELECT coalesce(jsonb_object_agg(e.key, o.od -> e.key), '{}'::jsonb) AS old_values,
                      coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) AS new_values,
                      coalesce(jsonb_agg(e.key ORDER BY e.key), '[]'::jsonb) AS changed_fields
                 FROM jsonb_each(nw.nd) e
                WHERE e.value IS DISTINCT FROM o.od -> e.key) d;
        INSERT INTO core.audit_log (
            application, organization_id, actor_type, actor_user_id, actor_username, action,
            event_level, entity_type, entity_id, old_values, new_values, changed_fields,
            details, reason, correlation_id, session_id, ip_address, user_agent)
        SELECT v_app, v_org, 'user', v_actor, v_username,
               'update', 'info', v_entity, j.doc ->> 'id',
               j.doc -> 'old', j.doc -> 'new',
               ARRAY(SELECT jsonb_array_elements_text(j.doc -> 'fields')),
               v_details,
               v_reason, v_corr, v_session, v_ip, v_agent
          FROM jsonb_array_elements(coalesce(v_docs, '[]'::jsonb)) WITH ORDINALITY AS j (doc, n)
         ORDER BY j.n;
        -- Every new version must pair with an old version of the same id: an
        -- UPDATE of the key would otherwise leave rows without a trail.
        SELECT count(*) INTO v_rows FROM trail_new;
        IF v_written <> v_rows THEN
            RAISE EXCEPTION USING
                ERRCODE = 'RS002',
                MESSAGE = format('%s: the id of a regulated record cannot change (UPDATE refused)', v_entity),
                DETAIL  = 'The change trail identifies a record by its id.',
                HINT    = 'Create a new record instead, and record why.',
                SCHEMA  = TG_TABLE_SCHEMA,
                TABLE   = TG_TABLE_NAME,
                COLUMN  = 'id',
                CONSTRAINT = TG_NAME;
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION core.capture_row_change() IS
    'Trigger function (AFTER ... FOR EACH STATEMENT, transition tables trail_old/trail_new): one core.audit_log event per changed row with the old/new values of the changed columns, actor and context from app.* settings; refuses changes without app.user_id (RS002). Arguments: application, then columns left out of diffs.';
REVOKE ALL ON FUNCTION core.capture_row_change() FROM PUBLIC;
