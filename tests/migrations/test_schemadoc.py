"""`registry-sql docs` / `check`: schema/*.sql, the generated reference and the ER diagrams
exist for every schema, match the migrations, and go stale (check fails) when a migration
changes the schema."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest
from migration_support import REPO_ROOT

from registry_sql import cli, migrate, schemadoc


def _schemas(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return schemadoc.discover_schemas(conn)


def test_every_schema_has_its_files(migrated_url: str) -> None:
    schemas = _schemas(migrated_url)
    assert "mlops" in schemas and "core" in schemas and "public" not in schemas
    for schema in schemas:
        assert (REPO_ROOT / "schema" / f"{schema}.sql").is_file(), schema
        doc = (REPO_ROOT / "docs" / "schema" / f"{schema}.md").read_text("utf-8")
        assert doc.count(schemadoc.BEGIN) == 1 and doc.count(schemadoc.END) == 1, schema
        assert "```mermaid\nerDiagram" in doc
        assert (REPO_ROOT / schemadoc.DIAGRAM_DIR / f"{schema}.svg").is_file(), schema


def _catalog_fks(conn: psycopg.Connection[Any], schema: str) -> set[str]:
    """``schema.table.constraint`` of every foreign key declared on the schema's tables
    (partitions' inherited copies are not declared: conparentid = 0)."""
    rows = conn.execute(
        """
        SELECT n.nspname || '.' || c.relname || '.' || k.conname
        FROM pg_constraint AS k
        JOIN pg_class AS c ON c.oid = k.conrelid
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE k.contype = 'f' AND n.nspname = %s AND k.conparentid = 0
        """,
        (schema,),
    ).fetchall()
    return {str(r[0]) for r in rows}


def _catalog_tables(conn: psycopg.Connection[Any], schema: str) -> set[str]:
    rows = conn.execute(
        """
        SELECT c.relname FROM pg_class AS c
        WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition
        """,
        (schema,),
    ).fetchall()
    return {str(r[0]) for r in rows}


_MERMAID_EDGE = re.compile(r'^\s+(\S+) \|[|o]--o\{ (\S+) : "([^"]+)"$', re.MULTILINE)
_MERMAID_ENTITY = re.compile(r"^    (\w+)(?:\[\"[^\"]+\"\])? \{$", re.MULTILINE)


def test_mlops_diagram_shows_every_table_and_foreign_key(
    pg_version: int, conn: psycopg.Connection[Any]
) -> None:
    fks = _catalog_fks(conn, "mlops")
    tables = _catalog_tables(conn, "mlops")
    assert len(fks) > 30 and len(tables) >= 14

    svg = (REPO_ROOT / schemadoc.DIAGRAM_DIR / "mlops.svg").read_text("utf-8")
    assert set(schemadoc.svg_edges(svg)) == fks
    assert len(schemadoc.svg_edges(svg)) == len(fks), "an edge drawn twice"
    drawn_tables = set(re.findall(r'<g id="table:mlops\.(\w+)"', svg))
    assert drawn_tables == tables

    markdown = (REPO_ROOT / "docs" / "schema" / "mlops.md").read_text("utf-8")
    mermaid_edges = {f"mlops.{child}.{name}" for _, child, name in _MERMAID_EDGE.findall(markdown)}
    assert mermaid_edges == fks
    assert tables <= set(_MERMAID_ENTITY.findall(markdown))

    # and a diagram drawn now from this database agrees with the catalog too
    fresh = str(schemadoc.render_svg(schemadoc.read_catalog(conn, "mlops")))
    assert set(schemadoc.svg_edges(fresh)) == fks


def _project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The parts of the checkout `registry-sql docs/check` reads and writes, in tmp_path; the
    copy's migrations/ is the one registry_sql uses for the test."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_ROOT / "migrations", root / "migrations", ignore=ignore)
    shutil.copytree(REPO_ROOT / "schema", root / "schema")
    shutil.copytree(REPO_ROOT / "docs" / "schema", root / "docs" / "schema")
    monkeypatch.setenv("REGISTRY_SQL_MIGRATIONS_DIR", str(root / "migrations"))
    migrate._hook_module.cache_clear()
    assert schemadoc.project_root() == root
    return root


_EDIT = """
-- an edit made by the test: a new table with a foreign key, and an index
CREATE TABLE mlops.model_notes (
    organization_id uuid NOT NULL,
    id              uuid NOT NULL,
    model_id        uuid NOT NULL,
    CONSTRAINT model_notes_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT fk_model_notes__model_id FOREIGN KEY (organization_id, model_id)
        REFERENCES mlops.models (organization_id, id)
);
CREATE INDEX ix_model_notes__model_id ON mlops.model_notes (organization_id, model_id);
"""


def test_check_fails_when_a_migration_changed_the_schema(
    pg_version: int,
    server_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # schema/*.sql is dumped on PostgreSQL 18; another server compares the reference and the
    # diagrams only, and says so
    same_version = pg_version == 18
    root = _project_copy(tmp_path, monkeypatch)
    try:
        problems, notes = schemadoc.check(server_url, root)
        assert problems == [], "the committed files are stale: run `registry-sql docs`"
        if same_version:
            assert notes == []
        else:
            assert notes and all(
                "not compared: it was dumped from PostgreSQL 18" in n for n in notes
            )

        last = sorted((root / "migrations").glob("[0-9]*[0-9]_*.sql"))
        forward = [p for p in last if not p.name.endswith(".rollback.sql")][-1]
        forward.write_text(forward.read_text("utf-8") + _EDIT, "utf-8")

        code = cli.main(["check", "--scratch-url", server_url])
        err = capsys.readouterr().err
        assert code == cli.EXIT_FAILED
        if same_version:
            assert "schema/mlops.sql: stale; run `registry-sql docs`" in err
            assert "+CREATE TABLE mlops.model_notes (" in err
        assert "docs/schema/mlops.md: stale" in err
        assert "docs/schema/diagrams/mlops.svg: stale" in err
        assert "mlops.model_notes.fk_model_notes__model_id" in err
        assert "schema/core.sql: stale" not in err  # only what changed

        # `registry-sql docs` brings everything up to date again
        assert cli.main(["docs", "--scratch-url", server_url]) == cli.EXIT_OK
        out = capsys.readouterr().out
        assert "wrote schema/mlops.sql" in out and "wrote docs/schema/diagrams/mlops.svg" in out
        assert "model_notes" in (root / "docs" / "schema" / "mlops.md").read_text("utf-8")
        assert "CREATE TABLE mlops.model_notes" in (root / "schema" / "mlops.sql").read_text()
        assert schemadoc.check(server_url, root) == ([], [])
    finally:
        migrate._hook_module.cache_clear()


def test_splice_keeps_the_prose_around_the_block() -> None:
    before = f"# Title\n\nProse.\n\n{schemadoc.BEGIN}\nold\n{schemadoc.END}\n\nAfter.\n"
    block = f"{schemadoc.BEGIN}\nnew\n{schemadoc.END}\n"
    assert schemadoc.splice(before, block, "x") == (
        f"# Title\n\nProse.\n\n{schemadoc.BEGIN}\nnew\n{schemadoc.END}\n\nAfter.\n"
    )
    created = schemadoc.splice(None, block, "fresh")
    assert created.startswith("# Schema `fresh`") and created.endswith(block)
