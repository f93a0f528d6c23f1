"""Every named query of sql/core/ is called by a test: a new query without a test fails here.

A query counts as tested when a test_core_*.py file calls it through the generated layer as
``core.<name>(`` (sync) or ``aio.<name>(`` (async).
"""

from __future__ import annotations

import re
from pathlib import Path

from registry_sql import core, paths
from registry_sql.codegen.source import load_schema

HERE = Path(__file__).parent


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(HERE.glob("test_core_*.py")))


def test_every_core_query_is_called_by_a_test() -> None:
    queries = load_schema(paths.sql_dir(), "core")
    names = {q.name for q in queries}
    assert len(names) >= 79
    source = _test_sources()
    called = set(re.findall(r"\b(?:core|aio)\.([a-z_][a-z0-9_]*)\(", source))
    missing = sorted(names - called)
    assert not missing, f"core queries without an integration test: {missing}"


def test_every_core_query_has_a_generated_function() -> None:
    for q in load_schema(paths.sql_dir(), "core"):
        assert callable(getattr(core, q.name, None)), f"registry_sql.core.{q.name} is missing"
