"""Every named query of sql/airlock/ is called by a test: a new query without a test fails here."""

from __future__ import annotations

import re
from pathlib import Path

from registry_sql import airlock, paths
from registry_sql.airlock import aio
from registry_sql.codegen.source import load_schema

HERE = Path(__file__).parent


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(HERE.glob("test_airlock_*.py")))


def test_every_airlock_query_is_called_by_a_test() -> None:
    names = {q.name for q in load_schema(paths.sql_dir(), "airlock")}
    assert len(names) >= 40
    called = set(re.findall(r"\b(?:airlock|airlock_aio|aio)\.([a-z_][a-z0-9_]*)\(",
                            _test_sources()))
    missing = sorted(names - called)
    assert not missing, f"airlock queries without an integration test: {missing}"


def test_every_airlock_query_has_a_generated_function() -> None:
    for q in load_schema(paths.sql_dir(), "airlock"):
        assert callable(getattr(airlock, q.name, None)), f"registry_sql.airlock.{q.name} missing"
        assert callable(getattr(aio, q.name, None)), f"registry_sql.airlock.aio.{q.name} missing"
