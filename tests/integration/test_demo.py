"""`registry-sql demo` (what `make demo` runs) completes on a database, twice in a row."""

from __future__ import annotations

import pytest

from registry_sql.demo import run_demo


def test_demo_runs_every_tour_and_is_repeatable(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_demo(empty_url) == 0
    first = capsys.readouterr().out
    assert "applied-migration checksums: OK" in first
    for segment in ("== core:", "== model_registry:", "== mlops:"):
        assert segment in first
    assert "Tour complete." in first
    assert run_demo(empty_url) == 0  # sample data already there: seeded once, toured again
    second = capsys.readouterr().out
    assert "already up to date" in second and "Tour complete." in second
