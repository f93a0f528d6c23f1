/*
  Connectivity checks for health endpoints and start-up probes
  (catalog F40, C24). Cheap, read-only, no table access, so they work for
  every role (registry_app, registry_readonly).

  There is deliberately no schema-version query here: yoyo's bookkeeping
  table public._yoyo_migration belongs to the migrating role and
  registry_app cannot read it; use registry_sql.migrate.status() (run with
  migration credentials) instead.

  Every `--` line under a `-- name: ` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary).
*/

-- name: health_check()$
-- Round-trip to the database: returns 1 when the connection works.
SELECT 1 AS "ok!";

-- name: get_server_version()$
-- The server's version number (e.g. 180001 for 18.1), from server_version_num.
SELECT current_setting('server_version_num')::int AS "server_version_num!";
