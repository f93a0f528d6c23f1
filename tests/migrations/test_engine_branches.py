"""The TimescaleDB and native branches of a migration declare the same tables.

A time-series migration (0003, 0007, 0008, 0011, 0012) creates its table inside a DO block, once
per branch: a hypertable when TimescaleDB is there, a natively partitioned table otherwise. The
two CREATE TABLE statements are written twice, so they could drift apart (a column, a
constraint, a default added to one branch only), and CI, which has no TimescaleDB, would never
notice. This test parses both with pglast (PostgreSQL's own parser) and compares the trees,
ignoring only what must differ: ``PARTITION BY`` (native branch) and source positions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from pglast import parse_plpgsql, parse_sql

from registry_sql.paths import migrations_dir

# PostgreSQL 15 runs this module too (no database needed, but it guards every leg's migrations).
pytestmark = pytest.mark.compat

DO_BLOCK = re.compile(r"^DO\s+(\$\w*\$)(.*?)\1\s*;", re.DOTALL | re.MULTILINE)


def _create_tables(node: Any, out: list[str]) -> None:
    """Every SQL statement text under a parsed PL/pgSQL body that is a CREATE TABLE."""
    if isinstance(node, dict):
        query = node.get("PLpgSQL_stmt_execsql", {}).get("sqlstmt", {})
        text = query.get("PLpgSQL_expr", {}).get("query") if isinstance(query, dict) else None
        if isinstance(text, str) and re.match(r"\s*CREATE\s+TABLE\b", text, re.IGNORECASE):
            out.append(text)
        for value in node.values():
            _create_tables(value, out)
    elif isinstance(node, list):
        for value in node:
            _create_tables(value, out)


def _normalised(statement: str) -> tuple[str, dict[str, Any]]:
    stmt: Any = parse_sql(statement)[0].stmt
    tree = stmt(skip_none=True)
    tree.pop("partspec", None)

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "location"}
        if isinstance(node, (list, tuple)):
            return [strip(v) for v in node]
        return node

    name = f"{stmt.relation.schemaname}.{stmt.relation.relname}"
    return name, strip(tree)


def declarations() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Table name -> [(migration file, normalised CREATE TABLE tree)] for tables that a DO block
    declares (in its branches)."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for path in sorted(migrations_dir().glob("*.sql")):
        if path.name.endswith(".rollback.sql"):
            continue
        for match in DO_BLOCK.finditer(path.read_text(encoding="utf-8")):
            body = match.group(2)
            statements: list[str] = []
            _create_tables(parse_plpgsql(f"DO $__$ {body} $__$;"), statements)
            for statement in statements:
                name, tree = _normalised(statement)
                found[name].append((path.name, tree))
    return found


TWICE = {name: trees for name, trees in declarations().items() if len(trees) > 1}


def test_the_time_series_tables_are_declared_in_both_branches() -> None:
    assert set(TWICE) >= {
        "core.audit_log",
        "model_registry.download_history",
        "model_registry.system_health_metrics",
        "mlops.run_metrics",
        "mlops.model_monitoring",
    }


@pytest.mark.parametrize("table", sorted(TWICE))
def test_both_branches_declare_the_same_table(table: str) -> None:
    (file_a, first), *others = TWICE[table]
    for file_b, other in others:
        assert other == first, (
            f"{table}: the CREATE TABLE in {file_b} differs from the one in {file_a} (beyond "
            "PARTITION BY): keep the TimescaleDB and native branches identical"
        )


def test_a_drift_would_be_seen() -> None:
    """The comparison is not vacuous: one more column makes the trees differ."""
    _, a = _normalised("CREATE TABLE s.t (x int NOT NULL) PARTITION BY RANGE (x)")
    _, b = _normalised("CREATE TABLE s.t (x int NOT NULL)")
    _, c = _normalised("CREATE TABLE s.t (x int NOT NULL, y int)")
    assert a == b
    assert a != c
