"""Schema rules the typed layer relies on, checked over every table of every schema."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

import registry_sql
from registry_sql.errors import _sentence_for_check, registered_check_messages
from registry_sql.paths import schema_names

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

OUR_SCHEMAS = tuple(schema_names())


def test_every_array_column_rejects_null_elements(conn: psycopg.Connection[Any]) -> None:
    """Generated row models read arrays as ``list[T]``: a NULL element would be unreadable.

    So every array column needs ``CHECK (array_position(<col>, NULL) IS NULL)``.
    """
    rows = conn.execute(
        """
        SELECT format('%%I.%%I.%%I', n.nspname, c.relname, a.attname)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped AND t.typcategory = 'A'
          AND NOT EXISTS (
              SELECT 1 FROM pg_constraint k
              WHERE k.conrelid = c.oid AND k.contype = 'c'
                AND pg_get_constraintdef(k.oid)
                    ~ ('array_position\\(' || quote_ident(a.attname) || ', NULL::')
          )
        ORDER BY 1
        """,
        (list(OUR_SCHEMAS),),
    ).fetchall()
    assert [r[0] for r in rows] == [], "array columns without a no-NULL-elements CHECK"


def test_the_rule_is_actually_checked(conn: psycopg.Connection[Any]) -> None:
    """Positive control: the query above finds an array column without the CHECK."""
    conn.execute("CREATE TABLE core.rule_probe (labels text[] NOT NULL DEFAULT '{}')")
    found = conn.execute(
        "SELECT count(*) FROM pg_constraint k WHERE k.conrelid = 'core.rule_probe'::regclass"
        " AND pg_get_constraintdef(k.oid) ~ 'array_position\\(labels, NULL::'"
    ).fetchone()
    assert found == (0,)
    conn.execute(
        "ALTER TABLE core.rule_probe ADD CONSTRAINT ck_rule_probe__labels_no_nulls"
        " CHECK (array_position(labels, NULL) IS NULL)"
    )
    found = conn.execute(
        "SELECT count(*) FROM pg_constraint k WHERE k.conrelid = 'core.rule_probe'::regclass"
        " AND pg_get_constraintdef(k.oid) ~ 'array_position\\(labels, NULL::'"
    ).fetchone()
    assert found == (1,)


RUNTIME_MODULES = ("db", "execute", "errors", "settings", "rows", "types")


def _runtime_mentions(source: str, schemas: tuple[str, ...]) -> list[str]:
    return [
        f"line {number}: {schema}"
        for number, line in enumerate(source.splitlines(), start=1)
        for schema in schemas
        if re.search(rf"(?<![\w]){re.escape(schema)}(?![\w])", line)
    ]


def test_runtime_modules_name_no_schema() -> None:
    """Schema knowledge lives with the schema (migrations, sql/, the generated package): the
    runtime names no schema, so adding one needs no runtime edit."""
    package = Path(registry_sql.__file__).parent
    found = {
        module: hits
        for module in RUNTIME_MODULES
        if (hits := _runtime_mentions((package / f"{module}.py").read_text(), OUR_SCHEMAS))
    }
    assert found == {}


def test_the_runtime_rule_is_actually_checked() -> None:
    """Positive control: a mention such as ``core.users`` or ``model_registry`` is caught."""
    assert _runtime_mentions("x = 'core.users'\n# model_registry\nscore = 1\n", OUR_SCHEMAS) == [
        "line 1: core",
        "line 2: model_registry",
    ]


_CHECKS = """
SELECT n.nspname, k.conname::text, obj_description(k.oid, 'pg_constraint')
FROM pg_constraint k
JOIN pg_namespace n ON n.oid = k.connamespace
LEFT JOIN pg_class c ON c.oid = k.conrelid
WHERE k.contype = 'c' AND n.nspname = ANY(%s) AND k.conislocal
  AND NOT coalesce(c.relispartition, false)
ORDER BY 1, 2
"""


def _unexplained_checks(conn: psycopg.Connection[Any], schemas: list[str]) -> list[str]:
    """CHECK constraints with neither a COMMENT nor a generic sentence that names the field."""
    return [
        f"{schema}.{name}"
        for schema, name, comment in conn.execute(_CHECKS, (schemas,)).fetchall()
        if comment is None and _sentence_for_check(name)[0] is None
    ]


def test_every_check_constraint_explains_itself(conn: psycopg.Connection[Any]) -> None:
    """A rejected row names its field: each CHECK has a ``COMMENT ON CONSTRAINT`` sentence, or a
    conventional name (``ck_<table>__<column>_<rule>``, rule one of the generic suffixes)."""
    assert _unexplained_checks(conn, list(OUR_SCHEMAS)) == []


def test_every_comment_is_registered_by_the_generated_package(
    conn: psycopg.Connection[Any],
) -> None:
    for schema in schema_names():
        importlib.import_module(f"registry_sql.{schema}")
    commented = {
        (schema, name)
        for schema, name, comment in conn.execute(_CHECKS, (list(OUR_SCHEMAS),)).fetchall()
        if comment is not None
    }
    assert commented, "no commented CHECK constraints: the migrations lost their sentences"
    assert commented <= set(registered_check_messages())


def test_the_check_rule_is_actually_checked(conn: psycopg.Connection[Any]) -> None:
    """Positive control: a CHECK named after no field, without a comment, is reported; the
    comment alone clears it."""
    conn.execute(
        "CREATE TABLE core.rule_probe2 (a int, b int,"
        " CONSTRAINT ck_rule_probe2__a_before_b CHECK (a < b))"
    )
    assert _unexplained_checks(conn, ["core"]) == ["core.ck_rule_probe2__a_before_b"]
    conn.execute(
        "COMMENT ON CONSTRAINT ck_rule_probe2__a_before_b ON core.rule_probe2 IS"
        " 'a: a must be less than b'"
    )
    assert _unexplained_checks(conn, ["core"]) == []
