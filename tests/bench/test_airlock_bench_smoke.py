"""Smoke run of the airlock benchmark (``python -m benchmarks.airlock``, part of ``make bench``).

Tiny sizes on a fresh clone of the migrated template: it checks the harness writes a report with
the four cases (and that every workflow was claimed, which the harness asserts), not the speed.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import airlock as bench


def test_airlock_bench_smoke(migrated_url: str, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS_airlock.md"
    results = bench.run(["--url", migrated_url, "--in-place", "--entries", "120",
                         "--workflows", "40", "--workers", "3", "--reps", "1",
                         "--out", str(out)])
    assert len(results["cases"]) == 4
    assert all(len(rates) == 1 and rates[0] > 0 for rates in results["cases"].values())
    report = out.read_text()
    assert "submit_lockfile (one statement)" in report and "claims/s" in report
