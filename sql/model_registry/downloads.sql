/*
  model_registry.download_history: every download attempt with its access
  decision (seed 000 "Download Tracking - Full audit trail").

  Time-partitioned on downloaded_at (7-day native partitions or a TimescaleDB
  hypertable) with PRIMARY KEY (id, downloaded_at). Lists page with a keyset
  on (downloaded_at, id), newest first: pass the last row's downloaded_at / id
  as after_downloaded_at / after_id. Time bounds (downloaded_from inclusive,
  downloaded_to exclusive) let the planner prune partitions: pass them.

  Append-only: registry_app may INSERT and SELECT only. Rows go with their
  package (ON DELETE CASCADE) and keep user_id NULL when the user is deleted.
*/

-- name: check_download(package_id, user_id, access_script_allowed, access_check_output, ip_address, user_agent)<!
-- record_class: DownloadDecisionRow
-- Decide whether a user may download a package, record the decision and audit it, in ONE statement.
-- The decision: granted when the user holds model_registry:package:download
-- (core.user_has_permission, global grants) AND, for a sensitive package,
-- the service ran the package's access_control_script and passes
-- access_script_allowed = true (None or false deny). A non-sensitive package
-- ignores access_script_allowed. access_check_output is the script's output,
-- stored after the denial reason, if any.
-- One statement with data-modifying CTEs, so the download_history row and
-- its core.audit_log event (application model_registry, action download,
-- entity package/<id>, event_level info when granted, warning when denied,
-- details with package, version, decision and reason) are written together
-- or not at all, in the caller's transaction. organization_id and
-- correlation_id of the audit event come from registry_sql.db.transaction
-- (SET LOCAL app.org_id / app.correlation_id).
-- Raises NotFound when the package does not exist (nothing is written).
-- The caller serves the file only when access_granted is true.
WITH pkg AS (
    SELECT p.id, p.name, p.version, p.is_sensitive,
           core.user_has_permission(:user_id::uuid, 'model_registry:package:download')
               AS has_permission
      FROM model_registry.packages p
     WHERE p.id = :package_id::uuid
),
verdict AS (
    SELECT pkg.id, pkg.name, pkg.version, pkg.is_sensitive,
           CASE
               WHEN NOT pkg.has_permission
                   THEN 'denied: the user lacks permission model_registry:package:download'
               WHEN pkg.is_sensitive AND :access_script_allowed::boolean IS NULL
                   THEN 'denied: sensitive package and its access control script was not run'
               WHEN pkg.is_sensitive AND NOT :access_script_allowed::boolean
                   THEN 'denied: the access control script refused the download'
           END AS denial
      FROM pkg
),
dl AS (
    INSERT INTO model_registry.download_history (
        package_id, user_id, access_granted, access_check_output, ip_address, user_agent
    )
    -- COALESCE(:p, ...) marks the last three parameters optional (None).
    SELECT v.id, :user_id::uuid, v.denial IS NULL,
           NULLIF(concat_ws('; ', v.denial, COALESCE(:access_check_output::text, '')), ''),
           COALESCE(:ip_address::inet, NULL), COALESCE(:user_agent::text, NULL)
      FROM verdict v
    RETURNING id, package_id, user_id, downloaded_at, access_granted, access_check_output
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, actor_username,
        action, event_level, entity_type, entity_id, details, correlation_id,
        ip_address, user_agent
    )
    SELECT 'model_registry',
           NULLIF(current_setting('app.org_id', true), '')::uuid,
           'user',
           dl.user_id,
           (SELECT u.username FROM core.users u WHERE u.id = dl.user_id),
           'download',
           CASE WHEN dl.access_granted THEN 'info' ELSE 'warning' END::core.event_level,
           'package',
           dl.package_id::text,
           jsonb_build_object(
               'download_id', dl.id,
               'package', v.name,
               'version', v.version,
               'is_sensitive', v.is_sensitive,
               'access_granted', dl.access_granted,
               'reason', v.denial),
           NULLIF(current_setting('app.correlation_id', true), ''),
           COALESCE(:ip_address::inet, NULL), COALESCE(:user_agent::text, NULL)
      FROM dl CROSS JOIN verdict v
    RETURNING id, occurred_at
)
SELECT
    dl.id AS "download_id!",
    dl.package_id AS "package_id!",
    dl.user_id AS "user_id?",
    dl.downloaded_at AS "downloaded_at!",
    dl.access_granted AS "access_granted!",
    dl.access_check_output AS "access_check_output?",
    audit.id AS "audit_event_id!",
    audit.occurred_at AS "audited_at!"
FROM dl CROSS JOIN audit;

-- name: record_download(package_id, user_id, access_granted, access_check_output, ip_address, user_agent)<!
-- record_class: DownloadRow
-- Record one download attempt whose decision the caller already made (no audit event; see check_download).
INSERT INTO model_registry.download_history (
    package_id, user_id, access_granted, access_check_output, ip_address, user_agent
)
VALUES (:package_id, :user_id, :access_granted, :access_check_output, :ip_address,
    :user_agent)
RETURNING
    id, package_id, user_id, downloaded_at, access_granted, access_check_output,
    ip_address, user_agent;

-- name: copy_downloads()!
-- record_class: DownloadIn
-- Bulk-ingest download events with COPY (streams any iterable; returns the row count).
-- For imports and backfills: downloaded_at is taken as given. Rows outside
-- every partition land in the DEFAULT partition (see docs/schema/model_registry.md).
COPY model_registry.download_history (
    package_id, user_id, downloaded_at, access_granted, access_check_output, ip_address, user_agent
) FROM STDIN;

-- name: list_downloads_for_package(package_id, downloaded_from, downloaded_to, after_downloaded_at, after_id, limit)
-- record_class: DownloadRow
-- List the download attempts of a package, newest first (keyset paginated, optional time window).
-- plan: no seq scan on model_registry.download_history
SELECT
    id, package_id, user_id, downloaded_at, access_granted, access_check_output,
    ip_address, user_agent
FROM model_registry.download_history
WHERE package_id = :package_id   /* ix_download_history__package_time */
  AND (:downloaded_from::timestamptz IS NULL OR downloaded_at >= :downloaded_from)
  AND (:downloaded_to::timestamptz IS NULL OR downloaded_at < :downloaded_to)
  AND (:after_downloaded_at::timestamptz IS NULL
       OR (downloaded_at, id) < (:after_downloaded_at, :after_id::uuid))
ORDER BY downloaded_at DESC, id DESC
LIMIT :limit::int;

-- name: list_downloads_for_user(user_id, downloaded_from, downloaded_to, after_downloaded_at, after_id, limit)
-- record_class: DownloadRow
-- List the download attempts of a user, newest first (keyset paginated, optional time window).
-- plan: no seq scan on model_registry.download_history
SELECT
    id, package_id, user_id, downloaded_at, access_granted, access_check_output,
    ip_address, user_agent
FROM model_registry.download_history
WHERE user_id = :user_id   /* ix_download_history__user_time */
  AND (:downloaded_from::timestamptz IS NULL OR downloaded_at >= :downloaded_from)
  AND (:downloaded_to::timestamptz IS NULL OR downloaded_at < :downloaded_to)
  AND (:after_downloaded_at::timestamptz IS NULL
       OR (downloaded_at, id) < (:after_downloaded_at, :after_id::uuid))
ORDER BY downloaded_at DESC, id DESC
LIMIT :limit::int;

-- name: list_denied_downloads(downloaded_from, downloaded_to, after_downloaded_at, after_id, limit)
-- record_class: DownloadRow
-- List denied download attempts (security review), newest first (keyset paginated).
SELECT
    id, package_id, user_id, downloaded_at, access_granted, access_check_output,
    ip_address, user_agent
FROM model_registry.download_history
WHERE NOT access_granted   /* ix_download_history__denied (partial) */
  AND (:downloaded_from::timestamptz IS NULL OR downloaded_at >= :downloaded_from)
  AND (:downloaded_to::timestamptz IS NULL OR downloaded_at < :downloaded_to)
  AND (:after_downloaded_at::timestamptz IS NULL
       OR (downloaded_at, id) < (:after_downloaded_at, :after_id::uuid))
ORDER BY downloaded_at DESC, id DESC
LIMIT :limit::int;

-- name: count_downloads_per_day(package_id, downloaded_from, downloaded_to)
-- record_class: DailyDownloadsRow
-- Download attempts per package per UTC day in a time window (granted and denied), optionally of one package.
-- downloaded_from is inclusive, downloaded_to exclusive; both are required so
-- the scan stays within the window's partitions. Days without downloads are
-- not returned. Ordered by package, then day.
-- stream: yes
SELECT
    package_id,
    (date_bin(INTERVAL '1 day', downloaded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')
        AT TIME ZONE 'UTC')::date AS "day!",
    count(*) AS "downloads!",
    count(*) FILTER (WHERE access_granted) AS "granted!",
    count(*) FILTER (WHERE NOT access_granted) AS "denied!"
FROM model_registry.download_history
WHERE (:package_id::uuid IS NULL OR package_id = :package_id)
  AND downloaded_at >= :downloaded_from::timestamptz
  AND downloaded_at < :downloaded_to::timestamptz
GROUP BY package_id, "day!"
ORDER BY package_id, "day!";

-- name: count_downloads(package_id, access_granted)$
-- Count the download attempts of a package (all time), optionally only granted or only denied ones.
SELECT count(*) AS "total!"
FROM model_registry.download_history
WHERE package_id = :package_id
  AND (:access_granted::boolean IS NULL OR access_granted = :access_granted);
