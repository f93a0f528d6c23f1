"""Rules every migration file follows (docs/migrations.md), and squawk's lint."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from migration_support import MIGRATION_IDS, REPO_ROOT, venv_tool

from registry_sql.paths import migrations_dir

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

NAME = re.compile(r"^\d{4}_[a-z][a-z0-9]*(_[a-z0-9]+)+$")
SETS_LOCK_TIMEOUT = re.compile(
    r"^\s*SET\s+LOCAL\s+lock_timeout\s*(=|TO)\s*'[^']+'\s*;", re.IGNORECASE | re.MULTILINE
)


def leading_comment(path: Path) -> str:
    """The comment lines the file starts with (blank lines before them ignored)."""
    lines = path.read_text(encoding="utf-8").lstrip().splitlines()
    comment: list[str] = []
    for line in lines:
        if not line.startswith("--"):
            break
        comment.append(line.removeprefix("--").strip())
    return " ".join(c for c in comment if c)


@pytest.mark.parametrize("migration_id", MIGRATION_IDS)
def test_migration_file_conventions(migration_id: str) -> None:
    forward = migrations_dir() / f"{migration_id}.sql"
    rollback = migrations_dir() / f"{migration_id}.rollback.sql"
    assert NAME.match(migration_id), f"{forward.name}: name it NNNN_<schema>_<what>.sql"
    assert rollback.is_file(), f"{forward.name} has no rollback file {rollback.name}"
    for path in (forward, rollback):
        assert leading_comment(path), (
            f"{path.name}: start with a comment saying what the migration does and why"
        )
        assert SETS_LOCK_TIMEOUT.search(path.read_text(encoding="utf-8")), (
            f"{path.name}: set a lock timeout before any DDL (SET LOCAL lock_timeout = '5s';)"
        )


def test_no_rollback_without_its_migration() -> None:
    ids = set(MIGRATION_IDS)
    orphans = [
        p.name
        for p in migrations_dir().glob("*.rollback.sql")
        if p.name.removesuffix(".rollback.sql") not in ids
    ]
    assert not orphans, f"rollback files without a migration: {orphans}"


def test_squawk_passes_on_the_forward_migrations() -> None:
    squawk = venv_tool("squawk")
    if squawk is None:
        pytest.skip("squawk is not installed (pip install squawk-cli, a dev dependency)")
    files = [str(migrations_dir() / f"{mid}.sql") for mid in MIGRATION_IDS]
    proc = subprocess.run(
        [str(squawk), *files],
        cwd=REPO_ROOT,  # .squawk.toml
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"squawk found problems:\n{proc.stdout}{proc.stderr}"
