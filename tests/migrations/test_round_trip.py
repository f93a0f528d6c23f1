"""Every migration rolls back cleanly and re-applies to the identical schema.

Compared with ``pg_dump --schema-only`` of the server under test (yoyo's bookkeeping tables
excluded) and, for what a dump could hide, straight from the catalogs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from migration_support import (
    MIGRATION_IDS,
    applied_ids,
    apply_through,
    catalog_snapshot,
    dump_schema,
    extra_empty_db,
    row_counts,
    runs_before_targets,
)

from registry_sql import migrate

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat


def test_migrations_are_discovered() -> None:
    assert MIGRATION_IDS, "no migration found in the migrations folder"
    assert len(set(MIGRATION_IDS)) == len(MIGRATION_IDS)
    # Apply order is number order, except a `-- runs-before:` migration, which a fresh install
    # applies just before its (earliest) target (docs/migrations.md, "runs-before").
    moved = runs_before_targets()
    in_number_order = [m for m in MIGRATION_IDS if m not in moved]
    assert in_number_order == sorted(in_number_order), "migration ids must sort in apply order"
    for mid, targets in moved.items():
        assert set(targets) <= set(MIGRATION_IDS), f"{mid} runs before an unknown migration"
        first_target = min(MIGRATION_IDS.index(t) for t in targets)
        # just before it: only other runs-before migrations in between
        between = MIGRATION_IDS[MIGRATION_IDS.index(mid) + 1 : first_target]
        assert MIGRATION_IDS.index(mid) < first_target and set(between) <= set(moved), (
            f"{mid} is not applied just before {MIGRATION_IDS[first_target]}"
        )
        assert mid > MIGRATION_IDS[first_target], f"{mid}: runs-before is for a NEW migration"


def test_full_round_trip(pg_server: Any, empty_url: str) -> None:
    empty_dump = dump_schema(pg_server, empty_url)
    empty_catalog = catalog_snapshot(empty_url)
    assert "core" not in empty_catalog["schemas"]

    assert migrate.apply(empty_url) == MIGRATION_IDS
    dump_a = dump_schema(pg_server, empty_url)
    assert dump_a != empty_dump
    assert "core" in catalog_snapshot(empty_url)["schemas"]
    assert migrate.apply(empty_url) == []  # up to date: nothing to do

    assert migrate.rollback(empty_url, count=None) == MIGRATION_IDS[::-1]
    assert applied_ids(empty_url) == []
    assert dump_schema(pg_server, empty_url) == empty_dump, "rollback left objects behind"
    after = catalog_snapshot(empty_url)
    assert after == empty_catalog, "rollback left objects behind (catalogs differ)"
    assert "core" not in after["schemas"]
    assert not any(t.startswith("core.") for t in after["types"])
    assert not any(f.startswith("core.") for f in after["functions"])

    assert migrate.apply(empty_url) == MIGRATION_IDS
    assert dump_schema(pg_server, empty_url) == dump_a, "re-applying gave a different schema"


@pytest.mark.long  # `make test-long` and CI; `make test` has test_full_round_trip
def test_step_rollback_and_reapply(
    pg_server: Any, empty_url: str, record_property: Callable[[str, object], None]
) -> None:
    """Each migration in turn, on one database: applying it changes the schema or the data;
    rolling it back restores the schema before it (dump and catalogs) and the row counts (data
    migrations) exactly; applying it again gives the same schema and rows as the first time.

    One walk up the chain (each step starts where the previous one ended, which the previous
    step proved equal to a first application): linear in the number of migrations, where a
    fresh database per migration re-applied every earlier one (quadratic)."""
    previous = dump_schema(pg_server, empty_url)
    previous_catalog = catalog_snapshot(empty_url)
    previous_rows = row_counts(empty_url)
    for index, migration_id in enumerate(MIGRATION_IDS):
        assert apply_through(empty_url, migration_id) == [migration_id]
        before = dump_schema(pg_server, empty_url)
        before_catalog = catalog_snapshot(empty_url)
        before_rows = row_counts(empty_url)
        assert (before, before_rows) != (previous, previous_rows), (
            f"{migration_id} changed neither the schema nor any data"
        )

        assert migrate.rollback(empty_url, count=1) == [migration_id]
        assert dump_schema(pg_server, empty_url) == previous, (
            f"rolling back {migration_id} did not restore the schema before it"
        )
        assert catalog_snapshot(empty_url) == previous_catalog, (
            f"rolling back {migration_id} did not restore the catalogs before it"
        )
        assert row_counts(empty_url) == previous_rows, (
            f"rolling back {migration_id} left rows behind (or removed others)"
        )

        assert apply_through(empty_url, migration_id) == [migration_id]
        assert dump_schema(pg_server, empty_url) == before, (
            f"re-applying {migration_id} after its rollback gave a different schema"
        )
        assert catalog_snapshot(empty_url) == before_catalog, (
            f"re-applying {migration_id} after its rollback gave different catalogs"
        )
        assert row_counts(empty_url) == before_rows, (
            f"re-applying {migration_id} after its rollback gave different row counts"
        )
        assert applied_ids(empty_url) == MIGRATION_IDS[: index + 1]
        previous, previous_catalog, previous_rows = before, before_catalog, before_rows
    # The reliability summary counts the steps (tests/reliability/reliability_plugin.py).
    record_property("round_trip_steps", len(MIGRATION_IDS))


@pytest.mark.long
def test_install_from_scratch_equals_upgrade_step_by_step(pg_server: Any, empty_url: str) -> None:
    assert migrate.apply(empty_url) == MIGRATION_IDS
    from_scratch = dump_schema(pg_server, empty_url)

    with extra_empty_db(pg_server) as upgraded_url:
        for migration_id in MIGRATION_IDS:
            assert apply_through(upgraded_url, migration_id) == [migration_id]
        assert applied_ids(upgraded_url) == MIGRATION_IDS
        assert dump_schema(pg_server, upgraded_url) == from_scratch
        assert catalog_snapshot(upgraded_url) == catalog_snapshot(empty_url)
