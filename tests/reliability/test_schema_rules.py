"""Schema rules the typed layer relies on, checked over every table of every schema."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

OUR_SCHEMAS = ("core", "model_registry", "mlops", "airlock", "inspection", "splunk_ta")


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
