"""The fast row construction returns exactly what Pydantic validation would.

Generated functions build their frozen row models without re-validating each value (the types
come from the schema itself, see registry_sql/rows.py). Here the same SQL is read both ways, over
every row model of every generated schema that the sample data fills, and the rows must be equal,
field by field and type by type.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import psycopg
import pytest
from psycopg.rows import class_row
from pydantic import BaseModel

from registry_sql import db
from registry_sql.codegen.source import schemas_in
from registry_sql.paths import sql_dir
from registry_sql.rows import _enum_in, model_rows
from registry_sql.seeds import seed_all

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat


def _row_models() -> list[type[BaseModel]]:
    found = []
    for schema in schemas_in(sql_dir()):
        module = importlib.import_module(f"registry_sql.{schema}.models")
        found += [
            cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, BaseModel) and cls.__module__ == module.__name__
        ]
    return found


def _same(a: BaseModel, b: BaseModel) -> bool:
    return a == b and all(
        type(getattr(a, f)) is type(getattr(b, f)) for f in type(a).model_fields
    )


def test_fast_rows_equal_validated_rows_for_sample_data(conn: psycopg.Connection[Any]) -> None:
    seed_all(conn, size=20)
    checked = 0
    org_ids = [r[0] for r in conn.execute("SELECT id FROM core.organizations").fetchall()]
    for model in _row_models():
        # Any table whose columns are exactly the model's: read it both ways.
        columns = tuple(info.alias or name for name, info in model.model_fields.items())
        tables = conn.execute(
            """
            SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND n.nspname IN ('core', 'model_registry', 'mlops')
              AND (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
                   WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) @> %s
            """,
            (list(columns),),
        ).fetchall()
        for (table,) in tables:
            # Both reads must see the same 50 rows in the same order (a partitioned table's
            # scan order may differ between two reads).
            select = psycopg.sql.SQL("SELECT {} FROM {} ORDER BY tableoid, ctid LIMIT 50").format(
                psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, columns)),
                psycopg.sql.SQL(table),
            )
            for org in [None, *org_ids]:  # RLS tables show rows per tenant only
                with db.transaction(conn, org_id=org) if org else db.transaction(conn):
                    fast = conn.cursor(row_factory=model_rows(model)).execute(select).fetchall()
                    slow = conn.cursor(row_factory=class_row(model)).execute(select).fetchall()
                assert len(fast) == len(slow)
                for f, s in zip(fast, slow, strict=True):
                    assert _same(f, s), f"{model.__name__} from {table}: {f!r} != {s!r}"
                    checked += 1
    assert checked > 100, f"only {checked} rows compared: is the sample data seeded?"


def test_fast_rows_are_frozen_and_carry_enum_members(conn: psycopg.Connection[Any]) -> None:
    from registry_sql import core
    from registry_sql.core import AuthProvider

    seed_all(conn, size=0)
    alice = core.get_user_by_username(conn, username="alice")
    assert alice.auth_provider is AuthProvider.LOCAL
    assert alice.model_fields_set == set(type(alice).model_fields)
    assert alice.model_dump()["username"] == "alice"
    with pytest.raises(Exception, match="frozen"):
        alice.username = "mallory"  # type: ignore[misc]


def test_unexpected_columns_fall_back_to_validation(conn: psycopg.Connection[Any]) -> None:
    from registry_sql.core import RoleRow

    cur = conn.cursor(row_factory=model_rows(RoleRow))
    # Same fields, other order and names than the model: validated through Pydantic instead.
    row = cur.execute(
        "SELECT name, id, application, description, is_system, created_at, updated_at"
        " FROM core.roles LIMIT 1"
    ).fetchone()
    assert isinstance(row, RoleRow) and row.name


def test_enum_detection() -> None:
    from registry_sql.core import Application

    assert _enum_in(Application) == (Application, False)
    assert _enum_in(Application | None) == (Application, False)
    assert _enum_in(list[Application]) == (Application, True)
    assert _enum_in(list[Application] | None) == (Application, True)
    assert _enum_in(str | None) == (None, False)
