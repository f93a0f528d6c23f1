"""Upgrade equals install: a database of the previous release, upgraded with the current
migrations, has exactly the schema of a fresh install (pgmq's practice).

The previous release's migrations are kept as released in ``tests/migrations/releases/<commit>/``
(see the README there). A released migration edited afterwards, or a new migration that only
works from zero or only on top of an old database, makes the two schemas (or the recorded
checksums) differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from migration_support import (
    MIGRATION_IDS,
    catalog_snapshot,
    discovered_migration_ids,
    dump_schema,
    extra_empty_db,
    runs_before_targets,
)

from registry_sql import migrate
from registry_sql.paths import migrations_dir

RELEASES = Path(__file__).resolve().parent / "releases"
PREVIOUS_RELEASE = RELEASES / "944550d"


def test_the_released_migrations_are_still_there_unchanged() -> None:
    released = discovered_migration_ids(PREVIOUS_RELEASE)
    assert released and set(released) <= set(MIGRATION_IDS)
    # Every new migration sorts (by number) after every released one, so an upgraded database
    # applies them after what it has; in a fresh install's apply order the released ones keep
    # their order, and a new one comes in among them only by `-- runs-before:` a released one.
    new = [m for m in MIGRATION_IDS if m not in released]
    assert min(new) > max(released), "a new migration sorts before a released one"
    assert [m for m in MIGRATION_IDS if m in released] == released
    moved = runs_before_targets()
    for mid in MIGRATION_IDS[: MIGRATION_IDS.index(released[-1])]:
        assert mid in released or set(moved.get(mid, ())) & set(released), (
            f"{mid} is applied among the released migrations without `-- runs-before:`"
        )
    current = migrations_dir()
    for mid in released:
        assert migrate.migration_checksum(mid, PREVIOUS_RELEASE) == migrate.migration_checksum(
            mid, current
        ), f"{mid} was edited after its release: put the change in a new migration"


def test_upgrade_from_the_previous_release_equals_a_fresh_install(
    pg_server: Any, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = discovered_migration_ids(PREVIOUS_RELEASE)
    monkeypatch.setenv("REGISTRY_SQL_MIGRATIONS_DIR", str(PREVIOUS_RELEASE))
    migrate._hook_module.cache_clear()
    try:
        assert migrate.apply(empty_url) == released
    finally:
        monkeypatch.delenv("REGISTRY_SQL_MIGRATIONS_DIR")
        migrate._hook_module.cache_clear()

    upgraded = migrate.apply(empty_url)
    # In number order: a `-- runs-before:` migration whose target is applied takes its place.
    assert upgraded == sorted(m for m in MIGRATION_IDS if m not in released)
    assert migrate.checksum_problems(empty_url) == []

    with extra_empty_db(pg_server) as fresh_url:
        assert migrate.apply(fresh_url) == MIGRATION_IDS
        assert dump_schema(pg_server, empty_url) == dump_schema(pg_server, fresh_url), (
            "upgrading the previous release gave another schema than a fresh install"
        )
        assert catalog_snapshot(empty_url) == catalog_snapshot(fresh_url)
