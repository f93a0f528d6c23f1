"""The reliability suite's pytest plugin: hypothesis profiles, tallies, and the closing summary.

Loaded by every test module of ``tests/reliability`` with ``pytest_plugins =
["reliability_plugin"]`` (a uniquely named module, not a second ``conftest.py``: the ``tests/``
folders are not packages, and mypy would see two modules named ``conftest``).

Profiles (``REGISTRY_SQL_RELIABILITY_PROFILE``):

``ci``           (default, ``make test``) a few examples per generated function;
``reliability``  (``make reliability``) ten times as many.

The tests record what they did in :data:`TALLY`; the summary at the end of the run says how many
migrations were round-tripped (counted from the ``tests/migrations`` results when they ran in the
same session), faults injected and survived, bad inputs tried, and writes lost (must be 0).

(PYTEST_DONT_REWRITE: the test modules import it before pytest registers it as a plugin.)
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings

PROFILE_ENV = "REGISTRY_SQL_RELIABILITY_PROFILE"
PROFILES = {"ci": 5, "reliability": 50}
"""Hypothesis examples per generated function, by profile."""

for _name, _examples in PROFILES.items():
    settings.register_profile(
        f"registry_sql_{_name}",
        max_examples=_examples,
        deadline=None,
        derandomize=_name == "ci",  # CI: the same examples every run (no flaky discoveries)
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # the clone is per test, examples clean up
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        print_blob=True,
    )


def profile_name() -> str:
    name = os.environ.get(PROFILE_ENV, "ci").strip() or "ci"
    if name not in PROFILES:
        raise pytest.UsageError(
            f"{PROFILE_ENV}={name!r}: use one of {', '.join(PROFILES)} (e.g. {PROFILE_ENV}=ci)"
        )
    return name


def hypothesis_settings() -> settings:
    """The settings of the selected profile (applied per test, never loaded globally, so the
    rest of the suite keeps its own example counts)."""
    return settings.get_profile(f"registry_sql_{profile_name()}")


@dataclass
class Tally:
    """What the reliability tests did; thread-safe counters."""

    faults_injected: Counter[str] = field(default_factory=Counter)
    faults_survived: Counter[str] = field(default_factory=Counter)
    bad_inputs: Counter[str] = field(default_factory=Counter)
    """Per outcome: ``InvalidInput``, ``Conflict``, ..., ``stored`` (accepted and read back)."""
    failed_calls: Counter[str] = field(default_factory=Counter)
    """Calls that failed during a fault, by error class (all translated and retryable)."""
    writes_acknowledged: int = 0
    writes_lost: int = 0
    migrations_killed: int = 0
    migration_processes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fault(self, kind: str, *, survived: bool) -> None:
        with self._lock:
            self.faults_injected[kind] += 1
            if survived:
                self.faults_survived[kind] += 1

    def failed(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self.failed_calls[kind] += count

    def bad_input(self, outcome: str) -> None:
        with self._lock:
            self.bad_inputs[outcome] += 1

    def writes(self, *, acknowledged: int, lost: int) -> None:
        with self._lock:
            self.writes_acknowledged += acknowledged
            self.writes_lost += lost


TALLY = Tally()

# Migration round trips are tested in tests/migrations (test_round_trip.py); count the passing
# ones when they run in the same session (`make reliability` runs both folders).
_ROUND_TRIP_FILE = "test_round_trip.py"
_round_trips: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" or not report.passed:
        return
    path, _, name = report.nodeid.partition("::")
    if not path.endswith(_ROUND_TRIP_FILE):
        return
    if name.startswith("test_step_rollback_and_reapply"):
        # one test walks every migration: it records how many it round-tripped
        steps = dict(report.user_properties).get("round_trip_steps", 0)
        _round_trips["step"] += steps if isinstance(steps, int) else 0
    elif name.startswith("test_full_round_trip"):
        _round_trips["full"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    t = TALLY
    tr = terminalreporter
    tr.section("registry-sql reliability summary")
    tr.write_line(f"hypothesis profile:          {profile_name()} "
                  f"({PROFILES[profile_name()]} examples per function)")
    if _round_trips:
        tr.write_line(
            f"migrations round-tripped:    {_round_trips['step']} step-by-step "
            f"(down, up, dump compared; per server) + {_round_trips['full']} full "
            "up/down-to-zero/up runs"
        )
    else:
        tr.write_line("migrations round-tripped:    not run in this session (tests/migrations)")
    tr.write_line(
        f"migration processes:         {t.migration_processes} `registry-sql migrate` runs, "
        f"{t.migrations_killed} killed half-way"
    )
    injected = sum(t.faults_injected.values())
    survived = sum(t.faults_survived.values())
    kinds = ", ".join(
        f"{k} {t.faults_survived[k]}/{n}" for k, n in sorted(t.faults_injected.items())
    )
    tr.write_line(f"faults injected / survived:  {injected} / {survived} ({kinds or 'none'})")
    failed = ", ".join(f"{k} {n}" for k, n in t.failed_calls.most_common())
    tr.write_line(f"calls failed during faults:  {sum(t.failed_calls.values())} "
                  f"({failed or 'none'}; all translated, retryable)")
    tried = sum(t.bad_inputs.values())
    outcomes = ", ".join(f"{k} {n}" for k, n in t.bad_inputs.most_common())
    tr.write_line(f"bad inputs tried:            {tried} ({outcomes or 'none'})")
    tr.write_line(
        f"writes acknowledged / lost:  {t.writes_acknowledged} / {t.writes_lost} (lost must be 0)"
    )
