-- 0027_core_maintain_partitions_catalog: core.maintain_partitions() finds
-- partitions through the catalog wherever they live, gives them no grants of
-- their own, copies trigger firing states, and honours the audit retention
-- floor.
--
-- WHY:
--   * a partition moved to another schema (an archive schema, as DBAs do:
--     ALTER TABLE core.audit_log_p202401 SET SCHEMA archive) broke
--     `registry-sql maintain`: triggers, grants and drops addressed partitions
--     as <parent's schema>.<name>. Every partition is now addressed by its oid
--     (pg_inherits), whatever its schema (issue 20).
--   * partitions received the parent's grants, but row-level security sits on
--     the parent only: a member of registry_owner read
--     mlops.run_metrics_default directly and saw every tenant (issue 19). All
--     access goes through the parent now; partitions keep no grants (action
--     privileges_revoked, replacing privileges_copied).
--   * ENABLE ALWAYS on core.audit_log's triggers (0026) must hold on the
--     TRUNCATE triggers the function copies onto partitions (action
--     trigger_state_synced).
--   * the retention of core.audit_log is never applied below
--     core.audit_retention_floor() (action retention_floor_applied).
-- The migration runs the function once, as `registry-sql maintain` would, so
-- existing partitions lose their grants and get the trigger states now.
-- depends: 0026_core_audit_trail

SET LOCAL lock_timeout = '5s';

CREATE OR REPLACE FUNCTION core.maintain_partitions(p_now timestamptz DEFAULT now())
    RETURNS TABLE (parent text, action text, partition_name text)
    LANGUAGE plpgsql
    -- Partition bounds and names are computed in UTC whatever the session's zone.
    SET TimeZone = 'UTC'
    SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    r           record;
    t           record;
    g           record;
    v_schema    text;
    v_table     text;
    v_keycol    text;
    v_keytype   regtype;
    v_default   regclass;
    v_months    integer;
    v_fixed     interval;
    v_start     timestamptz;
    v_lo        timestamptz;
    v_hi        timestamptz;
    v_name      text;
    v_fmt       text;
    v_has_rows  boolean;
    v_total     integer;
    v_upper     text;
    v_done      text[];
    v_retention interval;
    i           integer;
BEGIN
    FOR r IN
        SELECT pt.parent AS rel, pt.partition_interval AS iv, pt.premake AS premake,
               pt.retention AS retention
          FROM core.partitioned_tables pt
         ORDER BY pt.parent::text
    LOOP
        -- Validate the registration against the catalog.
        SELECT n.nspname, c.relname, a.attname, a.atttypid::regtype, NULLIF(p.partdefid, 0)::regclass
          INTO v_schema, v_table, v_keycol, v_keytype, v_default
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_partitioned_table p ON p.partrelid = c.oid
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0]
         WHERE c.oid = r.rel AND p.partstrat = 'r' AND p.partnatts = 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'core.partitioned_tables: % is not range-partitioned on a single column', r.rel
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Register only tables created with PARTITION BY RANGE (<time column>).';
        END IF;
        IF v_keytype NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
            RAISE EXCEPTION 'core.partitioned_tables: partition key %.% of % has type %, expected timestamptz, timestamp or date',
                v_table, v_keycol, r.rel, v_keytype USING ERRCODE = 'invalid_parameter_value';
        END IF;

        v_months := (extract(year FROM r.iv) * 12 + extract(month FROM r.iv))::integer;
        v_fixed  := r.iv - make_interval(months => v_months);
        IF v_months > 0 AND v_fixed <> INTERVAL '0' THEN
            RAISE EXCEPTION 'core.partitioned_tables: interval % of % mixes months and days', r.iv, r.rel
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use whole months (''1 month'') or a fixed length (''7 days'').';
        END IF;

        -- Start of the period containing p_now, aligned so that successive calls
        -- always produce the same boundaries.
        IF v_months > 0 THEN
            v_total := extract(year FROM p_now)::integer * 12 + extract(month FROM p_now)::integer - 1;
            v_total := v_total - v_total % v_months;
            v_start := make_timestamptz(v_total / 12, v_total % 12 + 1, 1, 0, 0, 0, 'UTC');
            v_fmt   := 'YYYYMM';
        ELSE
            -- 2000-01-03 is a Monday: 7-day partitions start on Mondays.
            v_start := date_bin(v_fixed, p_now, TIMESTAMPTZ '2000-01-03 00:00:00+00');
            v_fmt   := CASE WHEN v_fixed >= INTERVAL '1 day' AND extract(epoch FROM v_fixed)::bigint % 86400 = 0
                            THEN 'YYYYMMDD' ELSE 'YYYYMMDD_HH24MI' END;
        END IF;

        -- 1. Create current + premake partitions (in the parent's schema). A
        --    partition of that name in ANY schema (an archive schema, say)
        --    counts as existing: partitions are found through pg_inherits.
        FOR i IN 0 .. r.premake LOOP
            v_lo   := v_start + r.iv * i;
            v_hi   := v_lo + r.iv;
            v_name := v_table || '_p' || to_char(v_lo, v_fmt);
            IF length(v_name) > 63 THEN
                RAISE EXCEPTION 'partition name % is longer than 63 characters', v_name
                    USING ERRCODE = 'name_too_long', HINT = 'Use a shorter parent table name.';
            END IF;

            CONTINUE WHEN EXISTS (
                SELECT 1 FROM pg_inherits inh
                  JOIN pg_class c ON c.oid = inh.inhrelid
                 WHERE inh.inhparent = r.rel AND c.relname = v_name);

            IF EXISTS (SELECT 1 FROM pg_class c
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE c.relname = v_name AND n.nspname = v_schema) THEN
                parent := r.rel::text; action := 'skipped_name_taken'; partition_name := v_name;
                RETURN NEXT;
                CONTINUE;
            END IF;

            IF v_default IS NOT NULL THEN
                EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I >= $1 AND %I < $2)',
                               v_default, v_keycol, v_keycol)
                   INTO v_has_rows
                  USING v_lo, v_hi;
                IF v_has_rows THEN
                    parent := r.rel::text; action := 'skipped_default_has_rows'; partition_name := v_name;
                    RETURN NEXT;
                    CONTINUE;
                END IF;
            END IF;

            BEGIN
                EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                               v_schema, v_name, r.rel,
                               CASE v_keytype
                                   WHEN 'timestamptz'::regtype THEN v_lo::text
                                   WHEN 'timestamp'::regtype THEN v_lo::timestamp::text
                                   ELSE v_lo::date::text END,
                               CASE v_keytype
                                   WHEN 'timestamptz'::regtype THEN v_hi::text
                                   WHEN 'timestamp'::regtype THEN v_hi::timestamp::text
                                   ELSE v_hi::date::text END);
                parent := r.rel::text; action := 'created'; partition_name := v_name;
                RETURN NEXT;
            EXCEPTION
                WHEN check_violation THEN
                    -- A row reached the DEFAULT partition after our check.
                    parent := r.rel::text; action := 'skipped_default_has_rows'; partition_name := v_name;
                    RETURN NEXT;
                WHEN invalid_object_definition THEN
                    -- Overlaps a partition created by hand with other bounds.
                    parent := r.rel::text; action := 'skipped_overlap'; partition_name := v_name;
                    RETURN NEXT;
            END;
        END LOOP;

        -- 2. Every partition, wherever its schema: the parent's statement-level
        --    (TRUNCATE) triggers, the parent's trigger firing states (ENABLE
        --    ALWAYS survives session_replication_role = replica), and no
        --    privileges of its own (row-level security sits on the parent only,
        --    so a grant on a partition would read around it).
        FOR t IN
            SELECT c.oid AS reloid, c.relname AS relname, c.relowner AS relowner
              FROM pg_inherits inh
              JOIN pg_class c ON c.oid = inh.inhrelid
             WHERE inh.inhparent = r.rel
             ORDER BY c.relname, c.oid
        LOOP
            v_done := NULL;
            FOR g IN
                SELECT tg.tgname AS tgname,
                       tg.tgenabled AS tgenabled,
                       (tg.tgtype & 2) <> 0 AS is_before,
                       substring(pg_get_triggerdef(tg.oid) FROM 'EXECUTE FUNCTION (.*)$') AS call
                  FROM pg_trigger tg
                 WHERE tg.tgrelid = r.rel
                   AND NOT tg.tgisinternal
                   AND (tg.tgtype & 1) = 0          -- statement level
                   AND (tg.tgtype & 32) <> 0        -- TRUNCATE
                   AND NOT EXISTS (SELECT 1 FROM pg_trigger x
                                    WHERE x.tgrelid = t.reloid AND x.tgname = tg.tgname)
                 ORDER BY tg.tgname
            LOOP
                EXECUTE format('CREATE TRIGGER %I %s TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s',
                               g.tgname, CASE WHEN g.is_before THEN 'BEFORE' ELSE 'AFTER' END,
                               t.reloid::regclass, g.call);
                v_done := array_append(v_done, g.tgname::text);
            END LOOP;
            IF v_done IS NOT NULL THEN
                parent := r.rel::text; action := 'trigger_added'; partition_name := t.relname;
                RETURN NEXT;
            END IF;

            -- Same-named triggers (cloned row triggers and the TRUNCATE copies)
            -- fire as the parent's do.
            v_done := NULL;
            FOR g IN
                SELECT x.tgname AS tgname, pt.tgenabled AS tgenabled
                  FROM pg_trigger pt
                  JOIN pg_trigger x ON x.tgrelid = t.reloid AND x.tgname = pt.tgname
                 WHERE pt.tgrelid = r.rel
                   AND NOT pt.tgisinternal
                   AND x.tgenabled <> pt.tgenabled
                 ORDER BY x.tgname
            LOOP
                EXECUTE format('ALTER TABLE %s %s TRIGGER %I', t.reloid::regclass,
                               CASE g.tgenabled WHEN 'A' THEN 'ENABLE ALWAYS' WHEN 'R' THEN 'ENABLE REPLICA'
                                                WHEN 'D' THEN 'DISABLE' ELSE 'ENABLE' END,
                               g.tgname);
                v_done := array_append(v_done, g.tgname::text);
            END LOOP;
            IF v_done IS NOT NULL THEN
                parent := r.rel::text; action := 'trigger_state_synced'; partition_name := t.relname;
                RETURN NEXT;
            END IF;

            v_done := NULL;
            FOR g IN
                SELECT DISTINCT acl.grantee AS grantee
                  FROM (SELECT c.relacl AS acl FROM pg_class c WHERE c.oid = t.reloid
                        UNION ALL
                        SELECT a.attacl FROM pg_attribute a
                         WHERE a.attrelid = t.reloid AND a.attnum > 0 AND a.attacl IS NOT NULL) src
                 CROSS JOIN LATERAL aclexplode(src.acl) acl
                 WHERE acl.grantee <> t.relowner
                 ORDER BY acl.grantee
            LOOP
                EXECUTE format('REVOKE ALL ON %s FROM %s', t.reloid::regclass,
                               CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END);  -- regrole output is already quoted
                v_done := array_append(v_done, g.grantee::text);
            END LOOP;
            IF v_done IS NOT NULL THEN
                parent := r.rel::text; action := 'privileges_revoked'; partition_name := t.relname;
                RETURN NEXT;
            END IF;
        END LOOP;

        -- 3. Retention: drop partitions wholly older than p_now - retention.
        --    core.audit_log is never cut below core.audit_retention_floor(),
        --    whatever the registry says (the CHECK on core.partitioned_tables
        --    holds that too, unless someone with the right disabled it).
        v_retention := r.retention;
        IF v_retention IS NOT NULL AND r.rel = to_regclass('core.audit_log')
           AND v_retention < core.audit_retention_floor() THEN
            v_retention := core.audit_retention_floor();
            parent := r.rel::text; action := 'retention_floor_applied'; partition_name := NULL;
            RETURN NEXT;
        END IF;
        IF v_retention IS NOT NULL THEN
            FOR t IN
                SELECT c.oid AS reloid, c.relname AS relname,
                       substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)') AS upper_bound
                  FROM pg_inherits inh
                  JOIN pg_class c ON c.oid = inh.inhrelid
                 WHERE inh.inhparent = r.rel AND c.oid IS DISTINCT FROM v_default::oid
                 ORDER BY c.relname, c.oid
            LOOP
                v_upper := t.upper_bound;
                CONTINUE WHEN v_upper IS NULL;  -- MAXVALUE or unexpected bound
                IF (CASE v_keytype
                        WHEN 'timestamptz'::regtype THEN v_upper::timestamptz
                        WHEN 'timestamp'::regtype THEN v_upper::timestamp AT TIME ZONE 'UTC'
                        ELSE v_upper::date::timestamp AT TIME ZONE 'UTC' END) <= p_now - v_retention
                THEN
                    EXECUTE format('DROP TABLE %s', t.reloid::regclass);
                    parent := r.rel::text; action := 'dropped'; partition_name := t.relname;
                    RETURN NEXT;
                END IF;
            END LOOP;
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION core.maintain_partitions(timestamptz) IS
    'Creates upcoming partitions, copies TRUNCATE triggers and trigger states onto partitions (in any schema), revokes direct grants on partitions, drops partitions past retention (core.audit_log: never below core.audit_retention_floor()), for every table in core.partitioned_tables.';

-- Applies the above to the partitions that exist (native path; on the
-- TimescaleDB path nothing is registered and this does nothing).
SELECT count(*) AS maintenance_actions FROM core.maintain_partitions();
