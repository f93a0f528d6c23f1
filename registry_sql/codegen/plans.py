"""Plan budgets: ``-- plan:`` lines under a query's header, checked on its generic plan.

``registry-sql check --plans`` migrates a scratch database, loads the seeded sample
(:func:`registry_sql.seeds.seed_all`), runs ``ANALYZE``, and asks PostgreSQL for the *generic* plan
of every query that declares a budget (every variant of a query with optional blocks): the plan a
prepared statement settles on after five executions, the one that serves production traffic.

- PostgreSQL 16+: ``EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) <query with $n>``.
- PostgreSQL 15: ``SET LOCAL plan_cache_mode = force_generic_plan``, the query prepared, then
  ``EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE stmt(NULL, ...)`` (a generic plan ignores the values).

The plans are taken as the application role (``registry_app``) when it exists, so row-level
security policies are part of them. A broken budget names ``sql/<schema>/<file>.sql:<line>`` of
the ``-- plan:`` line, the query (and variant) and the plan node that breaks it.

Budgets (one per ``-- plan:`` line):

- ``no seq scan on <schema>.<table>``: no Seq Scan of that table (or of one of its non-empty
  partitions: an empty partition's scan costs nothing);
- ``no seq scan``: no Seq Scan at all;
- ``uses <index>``: some node scans that index (Index Scan, Index Only Scan, Bitmap Index Scan);
- ``cost <= <number>``: the plan's total estimated cost stays within the number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.pq import ExecStatus

from registry_sql.codegen.source import QuerySource

_NO_SEQ_ON = re.compile(r"no\s+seq(?:uential)?\s+scan\s+on\s+(?P<rel>[a-z_][\w]*\.[a-z_][\w]*)$")
_NO_SEQ = re.compile(r"no\s+seq(?:uential)?\s+scan$")
_USES = re.compile(r"uses\s+(?:index\s+)?(?P<index>[a-z_][\w]*)$")
_COST = re.compile(r"cost\s*(?:<=|<)\s*(?P<limit>\d+(?:\.\d+)?)$")

RULE_SYNTAX = (
    "`no seq scan on <schema>.<table>`, `no seq scan`, `uses <index>` or `cost <= <number>`"
)


@dataclass(frozen=True)
class Budget:
    kind: str  # "no_seq_scan" | "uses" | "cost"
    target: str | None = None
    limit: float | None = None


def parse_rule(text: str) -> Budget | str:
    """The budget a ``-- plan:`` line declares, or a message saying what is wrong with it."""
    rule = text.strip().lower()
    if match := _NO_SEQ_ON.match(rule):
        return Budget("no_seq_scan", match.group("rel"))
    if _NO_SEQ.match(rule):
        return Budget("no_seq_scan")
    if match := _USES.match(rule):
        return Budget("uses", match.group("index"))
    if match := _COST.match(rule):
        return Budget("cost", limit=float(match.group("limit")))
    return f"`-- plan: {text}` is not a plan budget; write {RULE_SYNTAX}"


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of an EXPLAIN JSON plan, the root first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def _node_text(node: dict[str, Any]) -> str:
    text = str(node.get("Node Type"))
    if node.get("Relation Name"):
        rel = (
            f"{node.get('Schema')}.{node['Relation Name']}"
            if node.get("Schema")
            else (node["Relation Name"])
        )
        text += f" on {rel}"
        if node.get("Alias") and node["Alias"] != node["Relation Name"]:
            text += f" {node['Alias']}"
    if node.get("Index Name"):
        text += f" using {node['Index Name']}"
    return text


def outline(plan: dict[str, Any], depth: int = 0) -> list[str]:
    """The plan as indented lines: node, relation, index, estimated cost and rows."""
    cost = (
        f"(cost={plan.get('Startup Cost', 0):.2f}..{plan.get('Total Cost', 0):.2f} "
        f"rows={plan.get('Plan Rows', 0)})"
    )
    lines = [f"{'  ' * depth}{'-> ' if depth else ''}{_node_text(plan)}  {cost}"]
    for child in plan.get("Plans", []):
        lines.extend(outline(child, depth + 1))
    return lines


class GenericPlanError(Exception):
    """PostgreSQL refused to plan the query (the message names it)."""


def generic_plan(conn: psycopg.Connection[Any], source: QuerySource) -> dict[str, Any]:
    """The generic plan of ``source`` (one variant, no optional blocks left) as EXPLAIN JSON."""
    text = source.sql_for_describe()
    if conn.info.server_version >= 160000:
        explain = pgsql.SQL("EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) {}")
        row = conn.execute(explain.format(pgsql.SQL(text))).fetchone()
    else:
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        res = conn.pgconn.prepare(b"registry_sql_plan", text.encode("utf-8"))
        if res.status != ExecStatus.COMMAND_OK:
            raise GenericPlanError((res.error_message or b"").decode("utf-8", "replace").strip())
        nulls = pgsql.SQL(", ").join([pgsql.NULL] * len(source.params))
        args = pgsql.SQL("({})").format(nulls) if source.params else pgsql.SQL("")
        execute = pgsql.SQL("EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE registry_sql_plan{}")
        row = conn.execute(execute.format(args)).fetchone()
        conn.execute("DEALLOCATE registry_sql_plan")
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


@dataclass
class PlanReport:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    """One line per budget that held: ``file:line: query [variant]: budget``."""


class _Relations:
    """``schema.table`` of a plan node's relation and of the tables it is a partition of."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.cache: dict[str, set[str]] = {}
        self.empty: dict[str, bool] = {}

    def is_empty(self, node: dict[str, Any]) -> bool:
        """A relation with no pages (an empty partition): scanning it costs nothing."""
        rel = f"{node.get('Schema')}.{node.get('Relation Name')}"
        if rel not in self.empty:
            row = self.conn.execute("SELECT pg_relation_size(%s::regclass) = 0", (rel,)).fetchone()
            self.empty[rel] = bool(row and row[0])
        return self.empty[rel]

    def names(self, node: dict[str, Any]) -> set[str]:
        rel = f"{node.get('Schema')}.{node.get('Relation Name')}"
        if rel not in self.cache:
            rows = self.conn.execute(
                "SELECT n.nspname || '.' || c.relname FROM pg_partition_ancestors(%s::regclass) a"
                " JOIN pg_class c ON c.oid = a.relid JOIN pg_namespace n ON n.oid = c.relnamespace",
                (rel,),
            ).fetchall()
            self.cache[rel] = {rel} | {r[0] for r in rows}
        return self.cache[rel]


def _breaks(budget: Budget, plan: dict[str, Any], relations: _Relations) -> str | None:
    """What in ``plan`` breaks ``budget`` (None when it holds)."""
    if budget.kind == "no_seq_scan":
        for node in nodes(plan):
            if node.get("Node Type") != "Seq Scan" or relations.is_empty(node):
                continue
            if budget.target is None or budget.target in relations.names(node):
                return f"{_node_text(node)} (rows={node.get('Plan Rows')})"
        return None
    if budget.kind == "uses":
        for node in nodes(plan):
            if node.get("Index Name") == budget.target:
                return None
        return f"no node scans {budget.target}"
    assert budget.limit is not None
    cost = float(plan.get("Total Cost", 0))
    if cost > budget.limit:
        return f"{_node_text(plan)} at the top costs {cost:.2f}"
    return None


def check_queries(
    conn: psycopg.Connection[Any], sources: list[QuerySource], *, role: str | None = None
) -> PlanReport:
    """Check every budget of ``sources`` on ``conn`` (migrated, with representative data)."""
    report = PlanReport()
    relations = _Relations(conn)
    version = conn.info.server_version // 10000
    for source in sources:
        if not source.plan_rules:
            continue
        if source.is_copy:
            report.problems.append(
                f"{source.location}: {source.qualified_name}: a COPY has no plan; remove its "
                "`-- plan:` lines"
            )
            continue
        variants = (
            [source.variant(mask) for mask in range(source.variant_count)]
            if source.blocks
            else [source]
        )
        for variant in variants:
            try:
                with conn.transaction(force_rollback=True):
                    if role:
                        conn.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(role)))
                    plan = generic_plan(conn, variant)
            except (psycopg.Error, GenericPlanError) as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                report.problems.append(
                    f"{source.location}: {variant.display_name}: no generic plan: {message}"
                )
                continue
            for rule in source.plan_rules:
                budget = parse_rule(rule.text)
                assert isinstance(budget, Budget)  # load_schema rejected bad rules
                broken = _breaks(budget, plan, relations)
                where = f"{source.relpath}:{rule.line}: {variant.display_name}"
                if broken is None:
                    report.checked.append(f"{where}: plan: {rule.text}")
                    continue
                shown = "\n".join(f"      {line}" for line in outline(plan))
                report.problems.append(
                    f"{where}: plan budget `{rule.text}` broken by {broken} in the generic "
                    f"plan (PostgreSQL {version}):\n{shown}"
                )
    return report


def check(
    server_url: str, *, sql_root: Path | None = None, seed_size: int | None = None
) -> PlanReport:
    """Migrate a scratch database, seed the sample, ANALYZE, and check every plan budget."""
    from registry_sql import db, migrate
    from registry_sql.codegen import scratch_database
    from registry_sql.codegen.source import QuerySourceError, load_schema, schemas_in
    from registry_sql.paths import sql_dir
    from registry_sql.roles import APP_ROLE
    from registry_sql.seeds import DEFAULT_SIZE, seed_all

    sql_root = sql_root or sql_dir()
    report = PlanReport()
    sources: list[QuerySource] = []
    for schema in schemas_in(sql_root):
        try:
            sources.extend(load_schema(sql_root, schema))
        except QuerySourceError as exc:
            report.problems.append(str(exc))
    if report.problems:
        return report
    with scratch_database(server_url) as url:
        migrate.apply(url)
        with db.connect(url, autocommit=True) as conn:
            seed_all(conn, size=DEFAULT_SIZE if seed_size is None else seed_size)
            conn.execute("ANALYZE")
            has_role = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)
            ).fetchone()
            return check_queries(conn, sources, role=APP_ROLE if has_role else None)
