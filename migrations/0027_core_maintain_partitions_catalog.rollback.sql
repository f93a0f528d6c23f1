-- Rollback of 0027_core_maintain_partitions_catalog.
--
-- WHY: restores the maintenance function of 0003 (partitions addressed in the
-- parent's schema, the parent's grants copied onto partitions) and runs it, so
-- the partitions get their grants back as before 0027.

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

        -- 1. Create current + premake partitions.
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

        -- 2. Statement-level triggers (TRUNCATE) and privileges onto every partition.
        FOR t IN
            SELECT c.relname AS relname, c.relacl AS relacl
              FROM pg_inherits inh
              JOIN pg_class c ON c.oid = inh.inhrelid
             WHERE inh.inhparent = r.rel
             ORDER BY c.relname
        LOOP
            v_done := NULL;
            FOR g IN
                SELECT tg.tgname AS tgname,
                       (tg.tgtype & 2) <> 0 AS is_before,
                       substring(pg_get_triggerdef(tg.oid) FROM 'EXECUTE FUNCTION (.*)$') AS call
                  FROM pg_trigger tg
                 WHERE tg.tgrelid = r.rel
                   AND NOT tg.tgisinternal
                   AND (tg.tgtype & 1) = 0          -- statement level
                   AND (tg.tgtype & 32) <> 0        -- TRUNCATE
                   AND NOT EXISTS (SELECT 1 FROM pg_trigger x
                                    JOIN pg_class xc ON xc.oid = x.tgrelid
                                   WHERE xc.relname = t.relname
                                     AND xc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = v_schema)
                                     AND x.tgname = tg.tgname)
                 ORDER BY tg.tgname
            LOOP
                EXECUTE format('CREATE TRIGGER %I %s TRUNCATE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %s',
                               g.tgname, CASE WHEN g.is_before THEN 'BEFORE' ELSE 'AFTER' END,
                               v_schema, t.relname, g.call);
                v_done := array_append(v_done, g.tgname::text);
            END LOOP;
            IF v_done IS NOT NULL THEN
                parent := r.rel::text; action := 'trigger_added'; partition_name := t.relname;
                RETURN NEXT;
            END IF;

            v_done := NULL;
            FOR g IN
                SELECT pa.grantee AS grantee, pa.privilege_type AS priv
                  FROM pg_class pc
                 CROSS JOIN LATERAL aclexplode(pc.relacl) pa
                 WHERE pc.oid = r.rel
                   AND pa.grantee <> pc.relowner
                   AND NOT EXISTS (SELECT 1 FROM aclexplode(t.relacl) ca
                                    WHERE ca.grantee = pa.grantee AND ca.privilege_type = pa.privilege_type)
                 ORDER BY pa.grantee, pa.privilege_type
            LOOP
                EXECUTE format('GRANT %s ON %I.%I TO %s', g.priv, v_schema, t.relname,
                               CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END);  -- regrole output is already quoted
                v_done := array_append(v_done, g.priv::text);
            END LOOP;
            IF v_done IS NOT NULL THEN
                parent := r.rel::text; action := 'privileges_copied'; partition_name := t.relname;
                RETURN NEXT;
            END IF;
        END LOOP;

        -- 3. Retention: drop partitions wholly older than p_now - retention.
        IF r.retention IS NOT NULL THEN
            FOR t IN
                SELECT c.relname AS relname,
                       substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)') AS upper_bound
                  FROM pg_inherits inh
                  JOIN pg_class c ON c.oid = inh.inhrelid
                 WHERE inh.inhparent = r.rel AND c.oid IS DISTINCT FROM v_default::oid
                 ORDER BY c.relname
            LOOP
                v_upper := t.upper_bound;
                CONTINUE WHEN v_upper IS NULL;  -- MAXVALUE or unexpected bound
                IF (CASE v_keytype
                        WHEN 'timestamptz'::regtype THEN v_upper::timestamptz
                        WHEN 'timestamp'::regtype THEN v_upper::timestamp AT TIME ZONE 'UTC'
                        ELSE v_upper::date::timestamp AT TIME ZONE 'UTC' END) <= p_now - r.retention
                THEN
                    EXECUTE format('DROP TABLE %I.%I', v_schema, t.relname);
                    parent := r.rel::text; action := 'dropped'; partition_name := t.relname;
                    RETURN NEXT;
                END IF;
            END LOOP;
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION core.maintain_partitions(timestamptz) IS
    'Creates upcoming partitions, copies TRUNCATE triggers and grants onto partitions, drops partitions past retention, for every table in core.partitioned_tables.';

SELECT count(*) AS maintenance_actions FROM core.maintain_partitions();
