"""The wheel ships sql/ and migrations/, and an installed package finds them (no checkout)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling (the build backend) is not installed in this environment")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("registry_sql-*.whl")
    return built


def test_wheel_contains_every_sql_file_and_migration(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"registry_sql/_data/{path.relative_to(ROOT).as_posix()}"
        for folder in ("sql", "migrations")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in {".sql", ".py"} and "__pycache__" not in path.parts
    }
    assert expected, "no SQL files found in the checkout"
    assert expected <= names, sorted(expected - names)
    assert "registry_sql/core/queries.py" in names  # the generated layer ships too


def test_installed_package_resolves_its_shipped_folders(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_SQL_")}
    env["PYTHONPATH"] = str(site)
    code = (
        "import registry_sql.paths as p, registry_sql.migrate as m;"
        "print(p.sql_dir()); print(p.migrations_dir());"
        "print(m.migration_checksum('0001_core_foundation') is not None)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        check=True, capture_output=True, text=True, env=env, cwd=tmp_path,
    ).stdout.split()
    assert out == [
        str(site / "registry_sql" / "_data" / "sql"),
        str(site / "registry_sql" / "_data" / "migrations"),
        "True",
    ]
