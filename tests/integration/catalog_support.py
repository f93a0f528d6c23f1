"""Catalog queries shared by the per-schema constraint meta-tests.

Each schema's tests violate every named constraint once; these list what the database has, so a
constraint (or a NOT NULL column) added later without a test case fails CI.
"""

from __future__ import annotations

from typing import Any

import psycopg

NAMED_CONSTRAINTS = """
SELECT con.conname
  FROM pg_constraint con
  JOIN pg_class rel ON rel.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = rel.relnamespace
 WHERE n.nspname = %(schema)s
   AND con.contype IN ('c', 'u', 'f', 'x')
   AND NOT rel.relispartition
UNION
SELECT idx.relname
  FROM pg_index x
  JOIN pg_class idx ON idx.oid = x.indexrelid
  JOIN pg_class rel ON rel.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = rel.relnamespace
 WHERE n.nspname = %(schema)s
   AND x.indisunique AND NOT x.indisprimary AND NOT rel.relispartition
"""

REQUIRED_COLUMNS = """
SELECT rel.relname || '.' || a.attname
  FROM pg_attribute a
  JOIN pg_class rel ON rel.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = rel.relnamespace
 WHERE n.nspname = %(schema)s
   AND rel.relkind IN ('r', 'p') AND NOT rel.relispartition
   AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND NOT a.atthasdef
"""


def named_constraints(conn: psycopg.Connection[Any], schema: str) -> set[str]:
    """CHECK, UNIQUE, FOREIGN KEY and EXCLUDE constraints and unique indexes (no primary keys,
    no partition-level copies) of ``schema``."""
    return {r[0] for r in conn.execute(NAMED_CONSTRAINTS, {"schema": schema})}


def required_columns(conn: psycopg.Connection[Any], schema: str) -> set[str]:
    """``table.column`` of every NOT NULL column without a default in ``schema``."""
    return {r[0] for r in conn.execute(REQUIRED_COLUMNS, {"schema": schema})}
