/*
  Scheduled maintenance, run by `registry-sql maintain` (daily) with the
  migrating role's credentials: core.maintain_partitions() creates the time
  partitions ahead of need and drops the ones past their retention
  (docs/schema/core.md). It is a no-op under TimescaleDB, which manages
  chunks itself.
*/

-- name: maintain_partitions()
-- record_class: MaintainPartitionsRow
-- Create time partitions ahead and drop expired ones; one row per action taken.
SELECT parent AS "parent!", action AS "action!", partition_name
FROM core.maintain_partitions();
