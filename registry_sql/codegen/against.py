"""`registry-sql check --against <ref>`: the deployed release's queries against today's migrations.

During a deploy the new migrations run while the previous release's code still serves traffic
(and keeps serving it if the new code is rolled back). So every query of that release must still
work on the migrated schema. This check takes the release's ``sql/`` (a git ref of the checkout,
or a snapshot folder holding ``sql/`` and ``migrations/``), migrates a scratch database with
today's migrations one at a time, and after each migration the release did not have, describes
every query of the release again. A query breaks when:

- it no longer prepares (a dropped or renamed column or table, an ambiguous column name);
- a result column or a parameter changed type, or a result column became nullable (the release's
  row models reject what they now get);
- it is an ``INSERT`` that leaves out a column that is now NOT NULL without a default.

Each break names the release's ``sql/<schema>/<file>.sql:<line>``, the query and the migration
after which it broke.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from registry_sql import db, migrate
from registry_sql.codegen.introspect import DescribedQuery, Introspector, PrepareError
from registry_sql.codegen.source import QuerySource, QuerySourceError, load_schema, schemas_in
from registry_sql.errors import ConfigError


@dataclass
class AgainstReport:
    problems: list[str] = field(default_factory=list)
    queries: int = 0
    new_migrations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@contextmanager
def release_tree(ref: str, repo: Path) -> Iterator[Path]:
    """A folder with the release's ``sql/`` and ``migrations/``: ``ref`` itself when it is a
    folder (a committed snapshot), else extracted from git (``git archive <ref>``)."""
    folder = Path(ref)
    if folder.is_dir():
        if not (folder / "sql").is_dir():
            raise ConfigError(
                f"--against {ref}: a snapshot folder must hold sql/ (and migrations/)"
            )
        yield folder
        return
    git = ["git", "-C", str(repo)]

    def run(*args: str) -> bytes:
        try:
            proc = subprocess.run([*git, *args], capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"--against {ref}: cannot run git: {exc}") from exc
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ConfigError(
                f"--against {ref}: git cannot read it in {repo}: "
                f"{message[0] if message else 'unknown error'} (give a tag, branch or commit "
                "of this checkout, or a snapshot folder holding sql/ and migrations/)"
            )
        return proc.stdout

    names = run("ls-tree", "--name-only", f"{ref}^{{tree}}").decode().split()
    paths = [name for name in ("sql", "migrations") if name in names]
    if "sql" not in paths:
        raise ConfigError(f"--against {ref}: that commit has no sql/ folder")
    data = run("archive", "--format=tar", ref, "--", *paths)
    with tempfile.TemporaryDirectory(prefix="registry-sql-release-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


def _shape(d: DescribedQuery) -> dict[str, Any]:
    return {
        "columns": {c.name: (c.type_oid, c.nullable) for c in d.columns},
        "params": {p.name: p.type_oid for p in d.params},
    }


def _insert_target(sql: str) -> tuple[str | None, str, list[str]] | None:
    """(schema, table, columns given) of an ``INSERT`` (None for anything else)."""
    from pglast import parser

    try:
        tree = json.loads(parser.parse_sql_json(sql))
    except Exception:  # pglast.parser.ParseError: describe reports it
        return None
    stmts = tree.get("stmts", [])
    if len(stmts) != 1:
        return None
    insert = stmts[0]["stmt"].get("InsertStmt")
    if insert is None:
        return None
    rel = insert["relation"]
    cols = [c["ResTarget"]["name"] for c in insert.get("cols", [])]
    return rel.get("schemaname"), rel["relname"], cols


def _unfilled(conn: psycopg.Connection[Any], source: QuerySource) -> list[str]:
    """NOT NULL columns without a default that the INSERT of ``source`` does not fill."""
    target = _insert_target(source.sql_for_describe())
    if target is None or not target[2]:
        return []
    schema, table, given = target
    rows = conn.execute(
        "SELECT a.attname::text FROM pg_attribute a"
        " WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped"
        " AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''"
        " ORDER BY a.attnum",
        (f"{schema}.{table}" if schema else table,),
    ).fetchall()
    return [name for (name,) in rows if name not in given]


def _type_name(intro: Introspector, oid: int) -> str:
    return intro.pg_type(oid).name


def _compare(
    source: QuerySource, before: DescribedQuery, after: DescribedQuery, intro: Introspector
) -> list[str]:
    old, new = _shape(before), _shape(after)
    changes: list[str] = []
    for name, (oid, nullable) in old["columns"].items():
        if name not in new["columns"]:
            changes.append(f"no longer returns column {name}")
            continue
        new_oid, new_nullable = new["columns"][name]
        if new_oid != oid:
            changes.append(
                f"column {name} is now {_type_name(intro, new_oid)} (was {_type_name(intro, oid)})"
            )
        if new_nullable and not nullable:
            changes.append(
                f"column {name} may now be NULL (the release's row model requires a value)"
            )
    for name, oid in old["params"].items():
        new_oid = new["params"].get(name)
        if new_oid is not None and new_oid != oid:
            changes.append(
                f"parameter {name} is now {_type_name(intro, new_oid)} (was "
                f"{_type_name(intro, oid)})"
            )
    return changes


def check(
    server_url: str,
    ref: str,
    *,
    repo: Path,
) -> AgainstReport:
    """Describe the queries of release ``ref`` after each of today's migrations it lacks."""
    from registry_sql.codegen import scratch_database

    report = AgainstReport()
    with release_tree(ref, repo) as tree:
        old_sql = tree / "sql"
        old_migrations = tree / "migrations"
        released = (
            {p.stem for p in old_migrations.glob("*.sql") if not p.name.endswith(".rollback.sql")}
            if old_migrations.is_dir()
            else set()
        )
        sources: list[QuerySource] = []
        for schema in schemas_in(old_sql, old_migrations if old_migrations.is_dir() else None):
            try:
                sources.extend(load_schema(old_sql, schema))
            except QuerySourceError as exc:
                report.notes.append(f"release {ref}: {exc} (its queries are skipped)")
        report.queries = len(sources)
        migrations = list(migrate._migrations())
        if not released:
            report.notes.append(
                f"release {ref} has no migrations/ folder: every migration counts as new"
            )
        report.new_migrations = [m.id for m in migrations if m.id not in released]
        with scratch_database(server_url) as url, migrate._backend(url, None) as backend:
            baseline: dict[str, DescribedQuery] = {}
            unfilled: dict[str, list[str]] = {}
            pending = [m for m in migrations if m.id not in released]
            done_released = False
            for migration in migrations:
                if migration.id in released:
                    migrate.apply_in_scratch(backend, migration)
                    continue
                if not done_released:
                    done_released = True
                    baseline, unfilled = _describe_all(url, sources, report, ref)
                migrate.apply_in_scratch(backend, migration)
                _after(url, sources, baseline, unfilled, report, ref, migration)
            if not pending:
                report.notes.append(f"no migration since {ref}: nothing to check")
    return report


def _label(source: QuerySource, ref: str) -> str:
    return f"{source.relpath}:{source.line} (at {ref}): {source.qualified_name}"


def _describe_all(
    url: str,
    sources: list[QuerySource],
    report: AgainstReport,
    ref: str,
) -> tuple[dict[str, DescribedQuery], dict[str, list[str]]]:
    """Every query described on the release's schema, and what its INSERT already leaves to
    triggers (NOT NULL columns without a default it does not name)."""
    described: dict[str, DescribedQuery] = {}
    unfilled: dict[str, list[str]] = {}
    with db.connect(url, autocommit=True) as conn:
        intro = Introspector(conn)
        for source in sources:
            try:
                described[source.qualified_name] = intro.describe(source)
                unfilled[source.qualified_name] = _unfilled(conn, source)
            except PrepareError as exc:
                report.notes.append(
                    f"{_label(source, ref)} does not prepare on its own release's schema "
                    f"(skipped): {str(exc).splitlines()[0]}"
                )
    return described, unfilled


def _after(
    url: str,
    sources: list[QuerySource],
    baseline: dict[str, DescribedQuery],
    unfilled_before: dict[str, list[str]],
    report: AgainstReport,
    ref: str,
    migration: Any,
) -> None:
    """Describe the still-working queries after ``migration``; record and drop the broken."""
    where = f"migrations/{Path(migration.path).name}"
    with db.connect(url, autocommit=True) as conn:
        intro = Introspector(conn)
        for source in sources:
            before = baseline.get(source.qualified_name)
            if before is None:
                continue
            broken: list[str] = []
            try:
                after = intro.describe(source)
            except PrepareError as exc:
                first = str(exc).split(": ", 2)[-1].replace("\n    ", "; ")
                broken.append(f"no longer prepares: {first}")
            else:
                broken.extend(_compare(source, before, after, intro))
            old = unfilled_before.get(source.qualified_name, [])
            unfilled = [name for name in _unfilled(conn, source) if name not in old]
            if unfilled:
                broken.append(
                    f"its INSERT leaves {', '.join(unfilled)} NULL, now NOT NULL without a "
                    "default (give it a DEFAULT, or make it NOT NULL in a later release)"
                )
            if broken:
                report.problems.append(
                    f"{_label(source, ref)} breaks after {where}: {'; '.join(broken)}"
                )
                del baseline[source.qualified_name]
