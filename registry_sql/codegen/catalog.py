"""``registry_sql/<schema>/_catalog.py``: the catalog facts error messages need.

PostgreSQL's foreign-key message names the referenced table without its schema ("is not present
in table "users"") and errors on a partitioned table name the partition. The generator reads the
migrated catalog once and records, per schema, which table each foreign key references
(schema-qualified) and which tables are partitioned; :mod:`registry_sql.errors` looks them up
when it translates an error, so messages name the table as the user knows it (``core.users``,
``model_registry.download_history``) without a catalog query at run time.
"""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql.codegen.render import header

_FOREIGN_KEYS = """
SELECT rel.relname, con.conname, fn.nspname, f.relname
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class rel ON rel.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = rel.relnamespace
JOIN pg_catalog.pg_class f ON f.oid = con.confrelid
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
WHERE con.contype = 'f' AND con.conparentid = 0 AND n.nspname = %s AND NOT rel.relispartition
ORDER BY rel.relname, con.conname
"""

_UNIQUE_KEYS = """
SELECT rel.relname, ix.relname,
       array(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
             FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ix ON ix.oid = i.indexrelid
JOIN pg_catalog.pg_class rel ON rel.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = rel.relnamespace
WHERE i.indisunique AND n.nspname = %s AND NOT rel.relispartition
ORDER BY rel.relname, ix.relname
"""

_PARTITIONED = """
SELECT c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'p' AND n.nspname = %s AND NOT c.relispartition
ORDER BY c.relname
"""


def render_catalog(conn: psycopg.Connection[Any], schema: str) -> str:
    fks = conn.execute(_FOREIGN_KEYS, (schema,)).fetchall()
    parts = [row[0] for row in conn.execute(_PARTITIONED, (schema,)).fetchall()]
    keys = conn.execute(_UNIQUE_KEYS, (schema,)).fetchall()
    lines = [
        header("migrations/ (the migrated catalog)"),
        f'"""Catalog facts of ``{schema}`` for error messages (see registry_sql.errors)."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "#: (table, foreign key) -> the table it references, schema-qualified.",
        "FOREIGN_KEYS: Final[dict[tuple[str, str], str]] = {",
        *(f"    ({t!r}, {c!r}): {f'{fs}.{ft}'!r}," for t, c, fs, ft in fks),
        "}",
        "",
        "#: (table, unique index or constraint) -> its key (columns or expressions), for",
        "#: conflicts whose detail PostgreSQL hides (row-level security).",
        "UNIQUE_KEYS: Final[dict[tuple[str, str], tuple[str, ...]]] = {",
        *(f"    ({t!r}, {i!r}): {tuple(cols)!r}," for t, i, cols in keys),
        "}",
        "",
        "#: Partitioned tables: an error on one of their partitions names the parent.",
        "PARTITIONED: Final[tuple[str, ...]] = (",
        *(f"    {p!r}," for p in parts),
        ")",
        "",
    ]
    return "\n".join(lines)
