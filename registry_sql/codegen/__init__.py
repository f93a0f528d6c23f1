"""`registry-sql generate` and `registry-sql check`: typed Python derived from the SQL.

The generator migrates a scratch database, describes every named query against it, and writes per
schema ``registry_sql/<schema>/{__init__,models,queries,aio,_sql}.py``. ``check`` does the same into
memory and reports every difference and every query that no longer prepares.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from registry_sql import db, migrate
from registry_sql.codegen.catalog import render_catalog
from registry_sql.codegen.format import FormatError, format_files
from registry_sql.codegen.introspect import DescribedQuery, Introspector, PgType, PrepareError
from registry_sql.codegen.render import (
    RenderError,
    TypeMapper,
    collect_copy_inputs,
    collect_models,
    exported_functions,
    module_name,
    render_init,
    render_models,
    render_query_module,
)
from registry_sql.codegen.source import QuerySource, QuerySourceError, load_schema, schemas_in
from registry_sql.errors import split_check_comment
from registry_sql.migrate import scratch_database
from registry_sql.paths import package_dir, sql_dir

__all__ = ["CheckReport", "GenerationError", "check", "generate", "scratch_database"]


class GenerationError(Exception):
    """One or more queries failed; ``problems`` holds one message per query."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _enums(conn: psycopg.Connection[Any], schema: str, intro: Introspector) -> list[PgType]:
    oids = [
        row[0]
        for row in conn.execute(
            "SELECT t.oid::int FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE n.nspname = %s AND t.typtype = 'e' ORDER BY t.typname",
            (schema,),
        )
    ]
    return [intro.pg_type(oid) for oid in oids]


def check_messages(conn: psycopg.Connection[Any], schema: str) -> dict[str, tuple[str | None, str]]:
    """``COMMENT ON CONSTRAINT`` sentences of the schema's CHECK constraints: name → (field,
    sentence). A comment ``"<column>: sentence"`` names its field; otherwise the field is the
    sentence's first word when that is one of the constraint's columns, else its only column."""
    rows = conn.execute(
        "SELECT k.conname::text, obj_description(k.oid, 'pg_constraint'),"
        " array(SELECT a.attname::text FROM pg_attribute a"
        "   WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey) ORDER BY a.attnum)"
        " FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace"
        " LEFT JOIN pg_class c ON c.oid = k.conrelid"
        " WHERE n.nspname = %s AND k.contype = 'c' AND k.conislocal"
        " AND NOT coalesce(c.relispartition, false)"
        " AND obj_description(k.oid, 'pg_constraint') IS NOT NULL"
        " ORDER BY 1",
        (schema,),
    ).fetchall()
    return {name: split_check_comment(str(comment), columns) for name, comment, columns in rows}


def render_all(
    migrated_url: str,
    sql_root: Path,
    out_root: Path,
    schemas: list[str] | None = None,
) -> dict[Path, str]:
    """Describe every query against ``migrated_url`` and render the files (path → text).

    ``schemas`` limits it to some schemas (default: every folder of ``sql_root``).
    """
    problems: list[str] = []
    files: dict[Path, str] = {}
    with db.connect(migrated_url, autocommit=True) as conn:
        intro = Introspector(conn)
        for schema in schemas or schemas_in(sql_root):
            try:
                sources: list[QuerySource] = load_schema(sql_root, schema)
            except QuerySourceError as exc:
                problems.append(str(exc))
                continue
            described: list[DescribedQuery] = []
            for source in sources:
                try:
                    described.append(intro.describe(source))
                except PrepareError as exc:
                    problems.append(str(exc))
            if len(described) != len(sources):
                continue
            mapper = TypeMapper(intro, schema)
            try:
                files.update(_render_schema(conn, intro, mapper, schema, described, out_root))
            except RenderError as exc:
                problems.append(str(exc))
    if problems:
        raise GenerationError(problems)
    try:
        return format_files(files)
    except FormatError as exc:
        raise GenerationError([str(exc)]) from exc


def _secret_columns(intro: Introspector, schema: str) -> dict[str, tuple[str, ...]]:
    """``schema.table`` → its secret columns (their values are masked in error messages)."""
    found: dict[str, tuple[str, ...]] = {}
    for secret in intro.secrets:
        if secret.schema == schema:
            key = f"{secret.schema}.{secret.table}"
            found[key] = (*found.get(key, ()), secret.column)
    return found


def _render_schema(
    conn: psycopg.Connection[Any],
    intro: Introspector,
    mapper: TypeMapper,
    schema: str,
    described: list[DescribedQuery],
    out_root: Path,
) -> dict[Path, str]:
    for q in described:
        if q.source.op == "*!":
            raise RenderError(
                f"{q.source.location}: {q.source.qualified_name}: `*!` "
                "(executemany) is not generated; pass arrays and use unnest(), or COPY"
            )
    by_file: dict[str, list[DescribedQuery]] = {}
    for q in described:
        by_file.setdefault(q.source.path.stem, []).append(q)
    functions = {f for qs in by_file.values() for f in exported_functions(qs)}
    for stem in by_file:
        if module_name(stem) in functions:
            raise RenderError(
                f"{by_file[stem][0].source.relpath}: the module {module_name(stem)} would hide "
                f"the function of the same name in registry_sql.{schema}; rename the file"
            )
    models = collect_models(described)
    copy_inputs = collect_copy_inputs(described)
    enums = _enums(conn, schema, intro)
    folder = out_root / schema
    files: dict[Path, str] = {
        folder / "models.py": render_models(
            schema,
            enums,
            models,
            mapper,
            copy_inputs,
            check_messages(conn, schema),
            _secret_columns(intro, schema),
        ),
        folder / "_catalog.py": render_catalog(conn, schema),
        folder / "__init__.py": render_init(schema, by_file, enums, {**models, **copy_inputs}),
        folder / "aio" / "__init__.py": render_init(schema, by_file, enums, {}, asynchronous=True),
    }
    for stem, queries in by_file.items():
        module = module_name(stem)
        files[folder / f"{module}.py"] = render_query_module(
            schema, stem, queries, mapper, asynchronous=False
        )
        files[folder / "aio" / f"{module}.py"] = render_query_module(
            schema, stem, queries, mapper, asynchronous=True
        )
    return files


def generate(
    server_url: str,
    *,
    sql_root: Path | None = None,
    out_root: Path | None = None,
    schemas: list[str] | None = None,
) -> dict[Path, str]:
    """Migrate a scratch database on ``server_url``'s server and render the schema modules."""
    sql_root = sql_root or sql_dir()
    out_root = out_root or package_dir()
    with scratch_database(server_url) as url:
        migrate.apply(url)
        return render_all(url, sql_root, out_root, schemas)


def write(files: dict[Path, str]) -> list[Path]:
    changed = []
    for path, text in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def stale_files(files: dict[Path, str], out_root: Path) -> list[str]:
    """Differences between freshly rendered files and the committed ones, as short diffs."""
    problems = []
    schemas = {path.parent for path in files}
    schemas |= {folder / "aio" for folder in schemas if (folder / "aio").is_dir()}
    for path, text in sorted(files.items()):
        rel = os.path.relpath(path, Path.cwd())
        if not path.exists():
            problems.append(f"{rel}: missing; run `registry-sql generate`")
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            diff = list(
                difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    f"{rel} (committed)",
                    f"{rel} (from the SQL)",
                    n=1,
                    lineterm="",
                )
            )
            shown = "\n".join("    " + line for line in diff[:20])
            more = f"\n    ... {len(diff) - 20} more diff lines" if len(diff) > 20 else ""
            problems.append(
                f"{rel}: stale or edited by hand; run `registry-sql generate`\n{shown}{more}"
            )
    for folder in schemas:
        for extra in sorted(folder.glob("*.py")):
            if extra not in files:
                problems.append(
                    f"{os.path.relpath(extra, Path.cwd())}: not produced by the generator; "
                    "generated schema folders hold only generated files"
                )
    return problems


def check(
    server_url: str,
    *,
    sql_root: Path | None = None,
    out_root: Path | None = None,
) -> CheckReport:
    """Regenerate into memory and compare with the files on disk."""
    report = CheckReport()
    try:
        files = generate(server_url, sql_root=sql_root, out_root=out_root)
    except GenerationError as exc:
        report.problems.extend(exc.problems)
        return report
    report.problems.extend(stale_files(files, out_root or package_dir()))
    return report
