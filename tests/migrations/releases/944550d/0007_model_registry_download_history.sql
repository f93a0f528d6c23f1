-- 0007_model_registry_download_history: the download audit trail of seed 000
-- ("Download Tracking - Full audit trail", "Security Track").
--
-- WHY: every download attempt is recorded with its access decision
-- (access_granted: the sensitive-package access script's verdict and the
-- user's permission). It is an append-only event stream, so it is a time
-- series (DESIGN §7), built like core.audit_log (0003):
--   * TimescaleDB installed and preloaded: hypertable, 7-day chunks,
--     compression after 30 days (community build only);
--   * otherwise: native PARTITION BY RANGE (downloaded_at), 7-day partitions
--     with a DEFAULT partition, registered in core.partitioned_tables and
--     maintained by core.maintain_partitions().
-- No retention either way: it is an audit trail (catalog §1.0.7).
-- PRIMARY KEY (id, downloaded_at): the time column is in every unique key.
-- Rows are deleted with their package (ON DELETE CASCADE, catalog Q3) and
-- keep their history when the user is deleted (SET NULL).
-- depends: 0006_model_registry_lineage

-- squawk cannot see the CREATE TABLE inside the DO block below, so it asks for
-- CREATE INDEX CONCURRENTLY; the table is new and empty in this very
-- transaction, and neither partitioned tables nor hypertables support it.
-- squawk-ignore-file require-concurrent-index-creation

SET LOCAL lock_timeout = '5s';

DO $downloads$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'timescaledb')
       AND current_setting('shared_preload_libraries') LIKE '%timescaledb%'
    THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;

        CREATE TABLE model_registry.download_history (
            id                  uuid        NOT NULL DEFAULT gen_random_uuid(),
            package_id          uuid        NOT NULL,
            user_id             uuid        NULL,
            downloaded_at       timestamptz NOT NULL DEFAULT now(),
            access_granted      boolean     NOT NULL,
            access_check_output text        NULL,
            ip_address          inet        NULL,
            user_agent          text        NULL,
            CONSTRAINT download_history_pkey PRIMARY KEY (id, downloaded_at),
            CONSTRAINT fk_download_history__package_id FOREIGN KEY (package_id)
                REFERENCES model_registry.packages (id) ON DELETE CASCADE,
            CONSTRAINT fk_download_history__user_id FOREIGN KEY (user_id)
                REFERENCES core.users (id) ON DELETE SET NULL
        );

        PERFORM create_hypertable('model_registry.download_history',
                                  by_range('downloaded_at', INTERVAL '7 days'),
                                  create_default_indexes => false);

        IF current_setting('timescaledb.license', true) = 'timescale' THEN
            ALTER TABLE model_registry.download_history SET (
                timescaledb.compress,
                timescaledb.compress_segmentby = 'package_id',
                timescaledb.compress_orderby = 'downloaded_at DESC, id'
            );
            PERFORM add_compression_policy('model_registry.download_history', INTERVAL '30 days');
        END IF;
        -- Deliberately no retention policy (audit trail).
    ELSE
        CREATE TABLE model_registry.download_history (
            id                  uuid        NOT NULL DEFAULT gen_random_uuid(),
            package_id          uuid        NOT NULL,
            user_id             uuid        NULL,
            downloaded_at       timestamptz NOT NULL DEFAULT now(),
            access_granted      boolean     NOT NULL,
            access_check_output text        NULL,
            ip_address          inet        NULL,
            user_agent          text        NULL,
            CONSTRAINT download_history_pkey PRIMARY KEY (id, downloaded_at),
            CONSTRAINT fk_download_history__package_id FOREIGN KEY (package_id)
                REFERENCES model_registry.packages (id) ON DELETE CASCADE,
            CONSTRAINT fk_download_history__user_id FOREIGN KEY (user_id)
                REFERENCES core.users (id) ON DELETE SET NULL
        ) PARTITION BY RANGE (downloaded_at);

        -- Rows outside every partition (backfilled history, clock skew) land
        -- here instead of failing the INSERT.
        CREATE TABLE model_registry.download_history_default
            PARTITION OF model_registry.download_history DEFAULT;
    END IF;
END
$downloads$;

COMMENT ON TABLE model_registry.download_history IS
    'Every download attempt with its access decision (append-only by convention). Time-partitioned on downloaded_at; no retention.';
COMMENT ON COLUMN model_registry.download_history.access_granted IS
    'Decision: the user holds model_registry:package:download and, for a sensitive package, the access control script allowed it.';

CREATE INDEX ix_download_history__downloaded_at ON model_registry.download_history (downloaded_at DESC);
-- Downloads of a package over time (and the package FK).
CREATE INDEX ix_download_history__package_time ON model_registry.download_history
    (package_id, downloaded_at DESC);
-- Downloads of a user over time (and the user FK).
CREATE INDEX ix_download_history__user_time ON model_registry.download_history
    (user_id, downloaded_at DESC);
-- Security review: denied attempts only.
CREATE INDEX ix_download_history__denied ON model_registry.download_history (downloaded_at DESC)
    WHERE NOT access_granted;

-- Append-only (catalog C18): the application may only INSERT and SELECT; rows
-- go with their package through the FK cascade (run as the table owner).
REVOKE ALL ON model_registry.download_history FROM PUBLIC;
GRANT SELECT, INSERT ON model_registry.download_history TO registry_app;
GRANT SELECT ON model_registry.download_history TO registry_readonly;
GRANT ALL PRIVILEGES ON model_registry.download_history TO registry_owner;

-- Native path only: register (7-day partitions, 3 ahead, kept forever) and
-- create the first partitions now (also copies the grants onto them).
DO $register$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table
                WHERE partrelid = 'model_registry.download_history'::regclass) THEN
        INSERT INTO core.partitioned_tables (parent, partition_interval, premake, retention)
        VALUES ('model_registry.download_history'::regclass, INTERVAL '7 days', 3, NULL);
        PERFORM core.maintain_partitions();
    END IF;
END
$register$;
