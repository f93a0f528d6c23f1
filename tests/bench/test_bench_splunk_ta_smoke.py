"""Smoke run of ``benchmarks/splunk_ta.py`` (``make bench`` runs it at full size).

Tiny (60 runs, 16 workers, N = 3) on a fresh clone of the migrated template: the harness must
finish, claim every run exactly once and never see more than N running. It checks the harness,
not the speed: the claim rate is measured by ``make bench`` and never asserted here.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import splunk_ta as bench


def test_bench_splunk_ta_smoke(migrated_url: str, tmp_path: Path) -> None:
    out = tmp_path / "SPLUNK_TA.md"
    result = bench.main(
        ["--url", migrated_url, "--in-place", "--runs", "60", "--hold-ms", "0,1", "--out", str(out)]
    )
    rows = result["results"]
    assert [r["hold_ms"] for r in rows] == [0.0, 1.0]
    for r in rows:
        assert (r["workers"], r["max_parallel"], r["claims"]) == (16, 3, 60)
        assert 1 <= r["max_running_sampled"] <= 3
        assert 1 <= r["max_running_after_claim"] <= 3
        assert r["claims_per_second"] > 0
    assert "| 16 | 3 | 60 |" in out.read_text(encoding="utf-8")
