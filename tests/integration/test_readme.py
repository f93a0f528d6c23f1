"""The README's example runs as written against a migrated database with the sample data."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from registry_sql.seeds import core as core_seed

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_example_runs(
    conn: psycopg.Connection[Any], app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "the README has exactly one runnable example"
    core_seed.seed(conn)
    # as a service runs: its own login role (the pool refuses a superuser)
    monkeypatch.setenv("DATABASE_URL", app_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    printed = out.getvalue().strip()
    expected = re.search(r"print\(e\)  # (.*)$", blocks[0], re.M)
    assert expected is not None
    assert printed == expected.group(1)
    slugs = conn.execute(
        "SELECT count(*) FROM core.organizations WHERE slug = 'acme-robotics'"
    ).fetchone()
    assert slugs == (1,)
