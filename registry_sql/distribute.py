"""`registry-sql distribute`: lay the migrated schema out on a Citus cluster.

Run once on the Citus coordinator after `registry-sql migrate` (and again after migrations that
add tables: it is idempotent, a table already in Citus's metadata is left as it is):

* ``core``'s tables become **reference tables** (a copy on every node: small, shared, joined
  with everything), except the time-partitioned ``core.audit_log``, which Citus cannot make a
  reference table (partitioned tables can only be hash-distributed): it is **distributed by
  ``id``** (appends spread over the workers, each event one shard);
* every table whose primary key starts with ``organization_id`` (all of ``mlops``, and any
  later tenant-keyed schema) is **distributed by ``organization_id``**, all in one colocation
  group, so a tenant's rows of every table live on the same shard and joins and foreign keys
  between them stay on one node;
* the rest (``model_registry``, ``splunk_ta``: no tenant column) stays a plain table on the
  coordinator.

Tables are taken in foreign-key order (a referenced table first). Everything happens in one
transaction: a failure leaves the cluster as it was. Statements are static, table names are
bound parameters (``%s::regclass``). Refuses with a clear message when the database is not a
Citus coordinator, or when a tenant foreign key Citus refuses (``ON DELETE SET NULL``/``SET
DEFAULT`` including the distribution column) is still there (apply the migrations first).
See docs/scale-out.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, LiteralString

from registry_sql import db
from registry_sql.errors import ConfigError, MigrationError
from registry_sql.paths import schema_names

REFERENCE_SCHEMAS = ("core",)
"""Schemas whose tables become reference tables (the partitioned ones: hash by ``id``)."""

TENANT_COLUMN = "organization_id"
"""The distribution column of tenant tables (DESIGN §12)."""


# Settings this transaction needs (and the cluster should keep; docs/scale-out.md):
#  * enable_unsafe_triggers: our tables have triggers (updated_at, audit immutability);
#  * enable_local_reference_table_foreign_keys off: otherwise making core.users a reference
#    table first turns every table in its foreign-key graph into a Citus local table, which
#    fails on partitioned tables with CHECK constraints (mlops.model_monitoring, Citus 14.0);
#  * multi_shard_modify_mode sequential: creating a reference table after a distributed one in
#    the same transaction is refused after parallel shard work (this transaction only).
_SETTINGS: tuple[LiteralString, ...] = (
    "SET LOCAL citus.multi_shard_modify_mode = 'sequential'",
    "SET LOCAL citus.enable_unsafe_triggers = on",
    "SET LOCAL citus.enable_local_reference_table_foreign_keys = off",
)

_CITUS: LiteralString = (
    "SELECT e.extversion FROM pg_catalog.pg_extension AS e WHERE e.extname = 'citus'"
)

# Only once the extension is known to be there (pg_dist_node is Citus's).
_NODES: LiteralString = """
SELECT (SELECT count(*) FROM pg_dist_node AS n
         WHERE n.groupid = 0 AND n.noderole = 'primary') AS coordinators,
       (SELECT count(*) FROM pg_dist_node AS n
         WHERE n.shouldhaveshards AND n.isactive AND n.noderole = 'primary') AS workers,
       current_setting('citus.propagate_set_commands') AS propagate_set_commands
"""

_IS_COORDINATOR: LiteralString = "SELECT citus_is_coordinator()"

# Every ordinary or partitioned table (not a partition) of our schemas, whether its primary
# key starts with the tenant column, whether it is partitioned, and what Citus knows of it.
_TABLES: LiteralString = """
SELECT c.oid::regclass::text AS name,
       n.nspname AS schema_name,
       c.relkind = 'p' AS partitioned,
       COALESCE((SELECT a.attname = %(tenant)s
                   FROM pg_catalog.pg_constraint AS k
                   JOIN pg_catalog.pg_attribute AS a
                     ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
                  WHERE k.conrelid = c.oid AND k.contype = 'p'), false) AS tenant_keyed,
       (SELECT p.partmethod::text FROM pg_dist_partition AS p
         WHERE p.logicalrelid = c.oid) AS citus_method
  FROM pg_catalog.pg_class AS c
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY(%(schemas)s::text[])
   AND c.relkind IN ('r', 'p')
   AND NOT c.relispartition
 ORDER BY 1
"""

# Foreign keys between those tables (referencing -> referenced), for the order.
_FKS: LiteralString = """
SELECT k.conrelid::regclass::text, k.confrelid::regclass::text
  FROM pg_catalog.pg_constraint AS k
  JOIN pg_catalog.pg_class AS c ON c.oid = k.conrelid
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
 WHERE k.contype = 'f' AND k.conparentid = 0 AND k.conrelid <> k.confrelid
   AND n.nspname = ANY(%(schemas)s::text[])
"""

# Foreign keys Citus refuses once the tables are distributed: ON DELETE/UPDATE SET NULL or
# SET DEFAULT on a key that includes the tenant column.
_REFUSED_FKS: LiteralString = """
SELECT k.conrelid::regclass::text, k.conname
  FROM pg_catalog.pg_constraint AS k
  JOIN pg_catalog.pg_class AS c ON c.oid = k.conrelid
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
 WHERE k.contype = 'f' AND k.conparentid = 0
   AND n.nspname = ANY(%(schemas)s::text[])
   AND (k.confdeltype IN ('n', 'd') OR k.confupdtype IN ('n', 'd'))
   AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)
                  AND a.attname = %(tenant)s)
 ORDER BY 1, 2
"""

_REFERENCE: LiteralString = "SELECT create_reference_table(%s::regclass)"
_DISTRIBUTE_FIRST: LiteralString = (
    "SELECT create_distributed_table(%s::regclass, %s, colocate_with => 'none')"
)
_DISTRIBUTE_COLOCATED: LiteralString = (
    "SELECT create_distributed_table(%s::regclass, %s, colocate_with => %s)"
)


@dataclass
class Plan:
    """What `distribute` did (or found done): table -> one line each."""

    citus_version: str
    workers: int
    done: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _fk_order(names: list[str], fks: list[tuple[str, str]]) -> list[str]:
    """``names`` with every referenced table before the tables referencing it (stable)."""
    wanted = set(names)
    deps = {n: {dst for src, dst in fks if src == n and dst in wanted} for n in names}
    out: list[str] = []
    placed: set[str] = set()
    while len(out) < len(names):
        progress = False
        for n in names:
            if n not in placed and deps[n] <= placed:
                out.append(n)
                placed.add(n)
                progress = True
        if not progress:  # a cycle: keep the rest in name order
            out.extend(n for n in names if n not in placed)
            break
    return out


def _check_citus(conn: Any) -> tuple[str, int, str]:
    row = conn.execute(_CITUS, prepare=False).fetchone()
    if row is None:
        raise ConfigError(
            "distribute: this database is not a Citus coordinator (the citus extension is not "
            "installed); run it against the coordinator of a Citus cluster, after CREATE "
            "EXTENSION citus there (see docs/scale-out.md)"
        )
    version = row[0]
    coordinators, workers, propagate = conn.execute(_NODES, prepare=False).fetchone()
    if coordinators == 0 or not conn.execute(_IS_COORDINATOR, prepare=False).fetchone()[0]:
        raise ConfigError(
            "distribute: this Citus node is not the coordinator (citus_is_coordinator() is "
            "false, or no coordinator is registered); connect to the coordinator, where "
            "citus_set_coordinator_host() was run (see docs/scale-out.md)"
        )
    return str(version), int(workers), str(propagate)


def distribute(url: str) -> Plan:
    """Make ``core`` reference tables and distribute the tenant tables (see the module doc).

    ``url``: the coordinator, as the owner of the tables (a superuser or ``registry_owner``'s
    login). Raises :class:`ConfigError` when it is not a Citus coordinator, and
    :class:`MigrationError` when a foreign key Citus refuses is still in place.
    """
    with db.connect(url, autocommit=True, prepare_threshold=None) as conn:
        version, workers, propagate = _check_citus(conn)
        plan = Plan(citus_version=version, workers=workers)
        # The project's schemas (THE list: registry_sql.paths); one not created yet is skipped.
        params = {"schemas": schema_names(), "tenant": TENANT_COLUMN}
        refused = conn.execute(_REFUSED_FKS, params).fetchall()
        if refused:
            names = ", ".join(f"{rel}.{con}" for rel, con in refused)
            raise MigrationError(
                f"distribute: Citus refuses ON DELETE SET NULL/SET DEFAULT on a foreign key that "
                f"includes {TENANT_COLUMN}, and these are still there: {names}; apply the "
                "migrations first (`registry-sql migrate`: 0072 makes them NO ACTION)"
            )
        if workers == 0:
            plan.warnings.append(
                "the cluster has no worker that may hold shards: the shards stay on the "
                "coordinator until you add workers (citus_add_node) and rebalance "
                "(citus_rebalance_start)"
            )
        if propagate != "local":
            plan.warnings.append(
                f"citus.propagate_set_commands is {propagate!r}: SET LOCAL app.org_id does not "
                "reach the workers, so every tenant query returns no rows; set it to 'local' "
                "on the coordinator (ALTER SYSTEM SET citus.propagate_set_commands = 'local'; "
                "SELECT pg_reload_conf())"
            )
        # Partitioned tables first (stable): a reference table's CHECK may name one
        # (core.partitioned_tables names core.audit_log), and it must exist on the workers.
        tables = sorted(conn.execute(_TABLES, params).fetchall(), key=lambda t: not t[2])
        fks = [(str(a), str(b)) for a, b in conn.execute(_FKS, params).fetchall()]
        order = _fk_order([str(t[0]) for t in tables], fks)
        info = {str(t[0]): t for t in tables}
        colocate_with = next(
            (
                name
                for name in order
                if info[name][3] and info[name][1] not in REFERENCE_SCHEMAS and info[name][4] == "h"
            ),
            None,
        )
        with db.transaction(conn):
            for statement in _SETTINGS:
                conn.execute(statement, prepare=False)
            for name in order:
                _, schema, partitioned, tenant_keyed, method = info[name]
                if schema in REFERENCE_SCHEMAS:
                    kind = "distributed by id" if partitioned else "reference table"
                elif tenant_keyed:
                    kind = f"distributed by {TENANT_COLUMN}"
                else:
                    plan.local.append(f"{name}: stays on the coordinator (no {TENANT_COLUMN} key)")
                    continue
                if method is not None:
                    plan.already.append(f"{name}: already a Citus table ({kind})")
                    continue
                if kind == "reference table":
                    conn.execute(_REFERENCE, (name,))
                elif kind == "distributed by id":
                    conn.execute(_DISTRIBUTE_FIRST, (name, "id"))
                elif colocate_with is None:
                    conn.execute(_DISTRIBUTE_FIRST, (name, TENANT_COLUMN))
                    colocate_with = name
                else:
                    conn.execute(_DISTRIBUTE_COLOCATED, (name, TENANT_COLUMN, colocate_with))
                plan.done.append(f"{name}: {kind}")
        return plan
