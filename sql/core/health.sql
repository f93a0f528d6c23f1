/*
  Connectivity and schema checks for health endpoints and start-up probes
  (catalog F40, C24). Cheap, read-only, no table access except the migration
  bookkeeping.

  Every `--` line under a `-- name: ` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary).
*/

-- name: health_check()$
-- Round-trip to the database: returns 1 when the connection works.
SELECT 1 AS "ok!";

-- name: get_server_version()$
-- The server's version number (e.g. 180001 for 18.1), from server_version_num.
SELECT current_setting('server_version_num')::int AS "server_version_num!";

-- name: find_schema_version()$
-- The id of the newest applied migration (e.g. '0003_core_audit_log'), or None before the first migration.
-- Reads yoyo's bookkeeping table public._yoyo_migration (migration_table in
-- yoyo.ini). Ids start with a zero-padded sequence number, so the greatest
-- id is the newest.
SELECT max(migration_id) AS "schema_version?"
FROM public._yoyo_migration;
