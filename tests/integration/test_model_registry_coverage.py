"""Every named query of sql/model_registry/ is called by a test: a new query without a test
fails here.

A query counts as tested when a test_model_registry_*.py file calls it through the generated
layer as ``mr.<name>(`` (using its ``_sql`` constant in an EXPLAIN does not count).
"""

from __future__ import annotations

import re
from pathlib import Path

from registry_sql import model_registry, paths
from registry_sql.codegen.source import load_schema

HERE = Path(__file__).parent


def test_every_model_registry_query_is_called_by_a_test() -> None:
    queries = load_schema(paths.sql_dir(), "model_registry")
    names = {q.name for q in queries}
    assert len(names) >= 35
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(HERE.glob("test_model_registry_*.py"))
    )
    called = set(re.findall(r"\bmr\.([a-z_][a-z0-9_]*)\(", source))
    missing = sorted(names - called)
    assert not missing, f"model_registry queries without an integration test: {missing}"


def test_every_model_registry_query_has_a_generated_function() -> None:
    for q in load_schema(paths.sql_dir(), "model_registry"):
        assert callable(getattr(model_registry, q.name, None)), q.name
