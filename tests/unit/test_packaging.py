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
    assert "registry_sql/core/users.py" in names  # the generated layer ships too
    assert "registry_sql/core/aio/users.py" in names


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


# A service written against the public API only: sync and async functions, streams (closed with
# closing()/aclosing()), COPY from a list and from an async generator, the error hierarchy.
SERVICE = '''
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, closing
from datetime import UTC, datetime
from uuid import UUID

from registry_sql import db
from registry_sql.core import UserRow, get_user_by_id
from registry_sql.core import aio as core_aio
from registry_sql.errors import Conflict, NotFound, RegistrySqlError
from registry_sql.model_registry import HealthMetricIn, PackageRow, copy_health_metrics
from registry_sql.model_registry import create_package, stream_list_package_versions
from registry_sql.model_registry import aio as mr_aio


def find_user(url: str, user_id: UUID) -> UserRow | None:
    with db.create_pool(url) as pool, db.transaction(pool) as conn:
        try:
            return get_user_by_id(conn, id=user_id)
        except NotFound:
            return None


def upload(url: str, name: str) -> PackageRow | str:
    with db.connect(url) as conn, db.transaction(conn):
        try:
            return create_package(
                conn, name=name, version="1.0.0", s3_key="k", s3_bucket="b", file_size_bytes=1
            )
        except Conflict as exc:
            field: str | None = exc.field
            return f"taken: {field}"


def versions(url: str, name: str) -> list[str]:
    with db.connect(url) as conn, db.transaction(conn):
        with closing(stream_list_package_versions(conn, name=name, batch_size=10)) as rows:
            return [row.version for row in rows]


def ingest(url: str) -> int:
    sample = HealthMetricIn("cpu", 0.5, "ratio", {}, datetime.now(UTC))
    with db.connect(url) as conn, db.transaction(conn):
        return copy_health_metrics(conn, [sample])


async def samples() -> AsyncIterator[HealthMetricIn]:
    yield HealthMetricIn("cpu", 0.25, None, {}, datetime.now(UTC))


async def aingest_and_list(url: str, name: str) -> tuple[int, list[str]]:
    async with db.create_async_pool(url) as pool, db.atransaction(pool) as conn:
        sent: int = await mr_aio.copy_health_metrics(conn, samples())
        async with aclosing(mr_aio.stream_list_package_versions(conn, name=name)) as rows:
            names = [row.version async for row in rows]
        try:
            user = await core_aio.get_user_by_id(conn, id=UUID(int=0))
            print(user.username)
        except RegistrySqlError as exc:
            print(exc.sqlstate, exc.retryable)
        return sent, names
'''


def test_types_reach_an_installed_user_mypy_strict(wheel: Path, tmp_path: Path) -> None:
    """py.typed ships: mypy --strict on a service importing the installed wheel: no errors.

    The wheel goes into a fresh venv (no pip, no network: ``pip --python`` installs it with
    ``--no-deps``); the venv sees this environment's site-packages (psycopg, pydantic, mypy) via a
    ``.pth`` file, but not the checkout (whose editable hook lives in a .pth that is not read).
    """
    assert "registry_sql/py.typed" in zipfile.ZipFile(wheel).namelist()
    fresh = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    python = fresh / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", "--disable-pip-version-check", str(wheel)],
        check=True, capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    ours = next(p for p in sys.path if p.endswith("site-packages"))
    (Path(site) / "registry_sql_test_deps.pth").write_text(ours + "\n")
    work = tmp_path / "svc"
    work.mkdir()
    (work / "service.py").write_text(SERVICE)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "MYPYPATH"}}
    found = subprocess.run(
        [str(python), "-c", "import registry_sql; print(registry_sql.__file__)"],
        check=True, capture_output=True, text=True, cwd=work, env=env,
    ).stdout.strip()
    assert found.startswith(site), found  # the installed wheel, not the checkout
    result = subprocess.run(
        [str(python), "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         str(tmp_path / "cache"), "service.py"],
        capture_output=True, text=True, cwd=work, env=env,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout
