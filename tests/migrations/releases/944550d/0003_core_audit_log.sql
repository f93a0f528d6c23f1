-- 0003_core_audit_log: the shared, append-only audit trail core.audit_log, and
-- the generic partition maintenance used by every time-series table.
--
-- WHY: four applications kept their own audit tables; seed 003 (manufacturing
-- inspection) must meet FDA record-keeping, seed 004 requires immutability. One
-- table now holds every application's events (column `application`):
--   * immutable: triggers reject UPDATE, DELETE and TRUNCATE with SQLSTATE
--     RS001, on the table and on every partition; registry_app may only INSERT
--     and SELECT;
--   * no foreign keys, so deleting a user or organization never rewrites history
--     (catalog C6); actor ids are snapshots;
--   * time series (DESIGN §7): a TimescaleDB hypertable when TimescaleDB is
--     installed and preloaded, else native range partitions by month with a
--     DEFAULT partition. Same columns, keys, indexes and queries either way.
--   * no retention: audit records are kept forever (FDA). If retention is ever
--     added it must be at least the longest regulated period of any application.
-- depends: 0002_core_tables

-- squawk cannot see the CREATE TABLE inside the DO block below, so it asks for
-- CREATE INDEX CONCURRENTLY; the table is new and empty in this very
-- transaction, and neither partitioned tables nor hypertables support it.
-- squawk-ignore-file require-concurrent-index-creation

SET LOCAL lock_timeout = '5s';

-- ---------------------------------------------------------------------------
-- The table. The branch is decided once, here, at apply time:
--   TimescaleDB path: the extension is available (pg_available_extensions) AND
--     preloaded (shared_preload_libraries), otherwise CREATE EXTENSION fails;
--   native path: everything else (plain PostgreSQL, CI, the embedded server).
-- Both branches are static SQL; only the branch taken is planned.
-- PRIMARY KEY (id, occurred_at): both hypertables and partitioned tables need
-- the time column in every unique key.
-- ---------------------------------------------------------------------------
DO $audit$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'timescaledb')
       AND current_setting('shared_preload_libraries') LIKE '%timescaledb%'
    THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;

        CREATE TABLE core.audit_log (
            id               uuid              NOT NULL DEFAULT gen_random_uuid(),
            occurred_at      timestamptz       NOT NULL DEFAULT now(),
            application      core.application  NOT NULL,
            organization_id  uuid              NULL,
            actor_type       core.actor_type   NOT NULL DEFAULT 'user',
            actor_user_id    uuid              NULL,
            actor_username   text              NULL,
            actor_api_key_id uuid              NULL,
            action           core.audit_action NOT NULL,
            event_level      core.event_level  NOT NULL DEFAULT 'info',
            entity_type      text              NOT NULL,
            entity_id        text              NULL,
            old_values       jsonb             NULL,
            new_values       jsonb             NULL,
            changed_fields   text[]            NULL,
            details          jsonb             NOT NULL DEFAULT '{}'::jsonb,
            reason           text              NULL,
            correlation_id   text              NULL,
            session_id       text              NULL,
            ip_address       inet              NULL,
            user_agent       text              NULL,
            CONSTRAINT audit_log_pkey PRIMARY KEY (id, occurred_at),
            CONSTRAINT ck_audit_log__entity_type_not_empty CHECK (length(entity_type) > 0),
            CONSTRAINT ck_audit_log__details_object CHECK (jsonb_typeof(details) = 'object'),
            CONSTRAINT ck_audit_log__old_values_object CHECK (jsonb_typeof(old_values) = 'object'),
            CONSTRAINT ck_audit_log__new_values_object CHECK (jsonb_typeof(new_values) = 'object'),
            CONSTRAINT ck_audit_log__changed_fields_no_nulls
                CHECK (array_position(changed_fields, NULL) IS NULL)
        );

        -- 7-day chunks (TimescaleDB 2.x by_range API). Default indexes off: the
        -- indexes below already lead with or include occurred_at.
        PERFORM create_hypertable('core.audit_log',
                                  by_range('occurred_at', INTERVAL '7 days'),
                                  create_default_indexes => false);

        -- Compression exists only in the community (Timescale License) build;
        -- the Apache-2 build raises an error on it, so it is guarded. The primary
        -- key columns must be segmentby or orderby columns.
        IF current_setting('timescaledb.license', true) = 'timescale' THEN
            ALTER TABLE core.audit_log SET (
                timescaledb.compress,
                timescaledb.compress_segmentby = 'application',
                timescaledb.compress_orderby = 'occurred_at DESC, id'
            );
            PERFORM add_compression_policy('core.audit_log', INTERVAL '90 days');
        END IF;
        -- Deliberately no add_retention_policy (FDA).
    ELSE
        CREATE TABLE core.audit_log (
            id               uuid              NOT NULL DEFAULT gen_random_uuid(),
            occurred_at      timestamptz       NOT NULL DEFAULT now(),
            application      core.application  NOT NULL,
            organization_id  uuid              NULL,
            actor_type       core.actor_type   NOT NULL DEFAULT 'user',
            actor_user_id    uuid              NULL,
            actor_username   text              NULL,
            actor_api_key_id uuid              NULL,
            action           core.audit_action NOT NULL,
            event_level      core.event_level  NOT NULL DEFAULT 'info',
            entity_type      text              NOT NULL,
            entity_id        text              NULL,
            old_values       jsonb             NULL,
            new_values       jsonb             NULL,
            changed_fields   text[]            NULL,
            details          jsonb             NOT NULL DEFAULT '{}'::jsonb,
            reason           text              NULL,
            correlation_id   text              NULL,
            session_id       text              NULL,
            ip_address       inet              NULL,
            user_agent       text              NULL,
            CONSTRAINT audit_log_pkey PRIMARY KEY (id, occurred_at),
            CONSTRAINT ck_audit_log__entity_type_not_empty CHECK (length(entity_type) > 0),
            CONSTRAINT ck_audit_log__details_object CHECK (jsonb_typeof(details) = 'object'),
            CONSTRAINT ck_audit_log__old_values_object CHECK (jsonb_typeof(old_values) = 'object'),
            CONSTRAINT ck_audit_log__new_values_object CHECK (jsonb_typeof(new_values) = 'object'),
            CONSTRAINT ck_audit_log__changed_fields_no_nulls
                CHECK (array_position(changed_fields, NULL) IS NULL)
        ) PARTITION BY RANGE (occurred_at);

        -- Rows outside every monthly partition (far past, far future) land here
        -- instead of failing the INSERT. It should stay (nearly) empty: see
        -- core.maintain_partitions() and docs/schema/core.md.
        CREATE TABLE core.audit_log_default PARTITION OF core.audit_log DEFAULT;
    END IF;
END
$audit$;

COMMENT ON TABLE core.audit_log IS
    'Append-only audit trail of all applications (UPDATE/DELETE/TRUNCATE raise RS001). Time-partitioned on occurred_at; no FKs; kept forever.';
COMMENT ON COLUMN core.audit_log.actor_user_id IS 'Snapshot of the acting user id; deliberately no FK.';
COMMENT ON COLUMN core.audit_log.reason IS 'Reason for change (FDA 21 CFR Part 11).';

-- Indexes are created on the parent; PostgreSQL/TimescaleDB create them on every
-- partition/chunk. (Not CONCURRENTLY: the table is new and empty, and neither
-- partitioned tables nor hypertables support it.)
CREATE INDEX ix_audit_log__occurred_at ON core.audit_log (occurred_at DESC);
-- get_recent_activity
CREATE INDEX ix_audit_log__application_time ON core.audit_log (application, occurred_at DESC);
-- get_by_entity
CREATE INDEX ix_audit_log__entity ON core.audit_log (entity_type, entity_id, occurred_at DESC);
CREATE INDEX ix_audit_log__actor ON core.audit_log (actor_user_id, occurred_at DESC);
CREATE INDEX ix_audit_log__organization ON core.audit_log (organization_id, occurred_at DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX ix_audit_log__correlation_id ON core.audit_log (correlation_id)
    WHERE correlation_id IS NOT NULL;
CREATE INDEX ix_audit_log__action_time ON core.audit_log (action, occurred_at DESC);
CREATE INDEX ix_audit_log__details ON core.audit_log USING gin (details jsonb_path_ops);

-- Immutability. The row trigger is cloned onto every partition (and chunk)
-- automatically. The statement-level TRUNCATE trigger is NOT inherited by
-- partitions: core.maintain_partitions() copies it onto each partition,
-- including the DEFAULT one, so `TRUNCATE core.audit_log_p202611` fails too.
-- Privileges do not bind the table owner; these triggers do. (A superuser can
-- still disable triggers: see the FDA notes in docs/schema/core.md.)
CREATE TRIGGER trg_audit_log__no_update_delete
    BEFORE UPDATE OR DELETE ON core.audit_log
    FOR EACH ROW EXECUTE FUNCTION core.forbid_modification('core.audit_log');
CREATE TRIGGER trg_audit_log__no_truncate
    BEFORE TRUNCATE ON core.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION core.forbid_modification('core.audit_log');

REVOKE ALL ON core.audit_log FROM PUBLIC;
GRANT INSERT, SELECT ON core.audit_log TO registry_app, registry_owner;
GRANT SELECT ON core.audit_log TO registry_readonly;

-- ---------------------------------------------------------------------------
-- Generic partition maintenance (native path). Later schemas register their
-- time-series tables here too. On the TimescaleDB path chunks are created
-- automatically and nothing is registered.
-- ---------------------------------------------------------------------------
CREATE TABLE core.partitioned_tables (
    -- A table PARTITION BY RANGE on one timestamptz, timestamp or date column.
    parent             regclass NOT NULL,
    -- Width of one partition: whole months ('1 month', '3 months') or a fixed
    -- length ('1 day', '7 days'); not a mix of both.
    partition_interval interval NOT NULL,
    -- How many partitions to keep ready beyond the current one (0..120).
    -- squawk-ignore prefer-bigint-over-int
    premake            integer  NOT NULL DEFAULT 3,
    -- Drop partitions whose upper bound is older than now() - retention.
    -- NULL: keep forever.
    retention          interval NULL,
    CONSTRAINT partitioned_tables_pkey PRIMARY KEY (parent),
    CONSTRAINT ck_partitioned_tables__interval_positive CHECK (partition_interval > INTERVAL '0'),
    CONSTRAINT ck_partitioned_tables__premake_range CHECK (premake BETWEEN 0 AND 120),
    CONSTRAINT ck_partitioned_tables__retention_positive CHECK (retention > INTERVAL '0')
);
COMMENT ON TABLE core.partitioned_tables IS
    'Registry of natively range-partitioned tables maintained by core.maintain_partitions().';

REVOKE ALL ON core.partitioned_tables FROM PUBLIC;
GRANT SELECT ON core.partitioned_tables TO registry_readonly;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.partitioned_tables TO registry_owner;

-- core.maintain_partitions(p_now): for each registered table
--   1. creates the partitions covering p_now's period and `premake` periods
--      ahead (names <table>_pYYYYMM for month intervals, <table>_pYYYYMMDD for
--      day intervals, <table>_pYYYYMMDD_HH24MI for shorter ones; all in UTC);
--      a range that already has rows in the DEFAULT partition is skipped and
--      reported as skipped_default_has_rows (creating it would fail);
--   2. copies the parent's statement-level (TRUNCATE) triggers onto every
--      partition that lacks them (they are not inherited), and the parent's
--      table privileges onto every partition;
--   3. drops partitions whose upper bound is older than p_now - retention.
-- Returns one row per action taken, `action` being one of: created,
-- skipped_default_has_rows, skipped_name_taken (a relation of that name exists
-- but is not a partition of the parent), skipped_overlap (a hand-made partition
-- covers part of the range), trigger_added, privileges_copied, dropped. When
-- nothing is to be done it returns no rows, so a second call returns none
-- (except skips, which are reported until a DBA resolves them).
-- Must run as the owner of the registered tables. It takes locks on the parent
-- and the DEFAULT partition: set lock_timeout in the calling session.
-- Identifiers come from the catalogs and values from our own computations
-- (format %I / %L), never from input, which is why dynamic DDL is acceptable here.
CREATE FUNCTION core.maintain_partitions(p_now timestamptz DEFAULT now())
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

REVOKE ALL ON FUNCTION core.maintain_partitions(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.maintain_partitions(timestamptz) TO registry_owner;

-- Native path only: register audit_log (monthly, 3 months ahead, kept forever)
-- and create its first partitions now. The call also puts the no-truncate
-- trigger and the grants on the DEFAULT partition.
DO $register$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table
                WHERE partrelid = 'core.audit_log'::regclass) THEN
        INSERT INTO core.partitioned_tables (parent, partition_interval, premake, retention)
        VALUES ('core.audit_log'::regclass, INTERVAL '1 month', 3, NULL);
        PERFORM core.maintain_partitions();
    END IF;
END
$register$;
