"""`make demo` installs only what the demo needs; `make venv` / `make test` install the rest; the
stamps re-install only when pyproject.toml changes. Run against a fake virtualenv whose
``python`` records what it is asked to do (nothing is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/bin/sh
echo "python $*" >> "$(dirname "$0")/../calls.log"
"""
FAKE_CLI = """#!/bin/sh
echo "registry-sql $*" >> "$(dirname "$0")/../calls.log"
"""


@pytest.fixture
def fake_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("registry-sql", FAKE_CLI)):
        path = venv / "bin" / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)
    return venv


def make(target: str, venv: Path) -> list[str]:
    """Run ``make <target>`` on the fake venv; return the calls it made."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    log = venv / "calls.log"
    log.unlink(missing_ok=True)
    proc = subprocess.run(
        ["make", target, f"VENV={venv}"],
        cwd=REPO_ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(venv)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_demo_installs_only_the_runtime_and_the_embedded_server(fake_venv: Path) -> None:
    calls = make("demo", fake_venv)
    installs = [c for c in calls if " pip install " in c]
    assert len(installs) == 1 and installs[0].endswith("-e .[embedded]"), calls
    assert calls[-1] == "registry-sql demo"
    # a second run installs nothing
    assert make("demo", fake_venv) == ["registry-sql demo"]


def test_the_full_install_adds_the_rest_and_then_serves_the_demo(fake_venv: Path) -> None:
    make("demo", fake_venv)
    calls = make("venv", fake_venv)
    assert [c for c in calls if " pip install " in c] == [
        "python -m pip install --quiet --disable-pip-version-check -e .[dev]"
    ]
    assert make("venv", fake_venv) == []  # up to date
    # a fresh clone that ran `make test` first: the demo needs no install of its own
    (fake_venv / ".registry-sql-demo-installed").unlink()
    assert make("demo", fake_venv) == ["registry-sql demo"]
