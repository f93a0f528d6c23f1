"""The generator against a real, migrated PostgreSQL: types, nullability, parameters, errors."""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from registry_sql import codegen
from registry_sql.cli import main as cli_main

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

FIXTURE_DDL = """
CREATE SCHEMA cg;
CREATE TYPE cg.kind AS ENUM ('small', 'large', 'api_key');
CREATE DOMAIN cg.code AS text NOT NULL CHECK (VALUE ~ '^[a-z]+$');
CREATE TABLE cg.parent (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    note text,
    tags text[] NOT NULL DEFAULT '{}',
    kind cg.kind NOT NULL DEFAULT 'small',
    price numeric,
    data jsonb NOT NULL DEFAULT '{}',
    ip inet,
    code cg.code DEFAULT 'abc',
    at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE cg.child (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id uuid NOT NULL REFERENCES cg.parent (id),
    label text NOT NULL
);
"""

QUERIES = """
-- name: get_parent(id)^
-- Every column type.
SELECT id, name, note, tags, kind, price, data, ip, code, at FROM cg.parent WHERE id = :id;

-- name: list_left()
-- Child columns are on the nullable side of a LEFT JOIN.
-- stream: yes
SELECT p.name, c.label AS child_label, c.id AS child_id
FROM cg.parent p LEFT JOIN cg.child c ON c.parent_id = p.id;

-- name: list_right()
-- Parent columns are on the nullable side of a RIGHT JOIN.
-- stream: yes
SELECT p.name, c.label
FROM cg.parent p RIGHT JOIN cg.child c ON c.parent_id = p.id;

-- name: list_full()
-- Both sides of a FULL JOIN are nullable.
-- stream: yes
SELECT p.name, c.label
FROM cg.parent p FULL JOIN cg.child c ON c.parent_id = p.id;

-- name: list_inner()
-- An inner join keeps NOT NULL.
-- stream: yes
SELECT p.name, c.label
FROM cg.parent p JOIN cg.child c ON c.parent_id = p.id;

-- name: list_cte_left()
-- A CTE on the nullable side is followed to its base table.
-- stream: yes
WITH kids AS (SELECT parent_id, label FROM cg.child)
SELECT p.name, k.label FROM cg.parent p LEFT JOIN kids k ON k.parent_id = p.id;

-- name: count_things(kind)$
-- Override: count(*) is never NULL.
SELECT count(*) AS "n!" FROM cg.parent WHERE (:kind::cg.kind IS NULL OR kind = :kind);

-- name: stats()^
-- Expressions are nullable unless marked; "name?" forces nullable.
SELECT max(name) AS top, min(name) AS "low!", 'x'::text AS "name?" FROM cg.parent;

-- name: create_parent(name, note, tags, kind, data, ip)<!
-- Insert: note and ip are nullable columns, so their parameters are optional.
INSERT INTO cg.parent (name, note, tags, kind, data, ip)
VALUES (:name, :note, :tags, :kind, :data, :ip)
RETURNING id, name, note, tags, kind, price, data, ip, code, at;

-- name: update_parent(id, name, note, price)<!
-- Update: COALESCE makes name optional; note/price are nullable columns.
UPDATE cg.parent SET name = COALESCE(:name, name), note = :note, price = :price
WHERE id = :id
RETURNING id, name, note, tags, kind, price, data, ip, code, at;

-- name: page(after_at, after_id, limit)
-- Keyset: both cursor parameters are optional together.
SELECT id, name FROM cg.parent
WHERE (:after_at::timestamptz IS NULL OR (at, id) < (:after_at, :after_id::uuid))
ORDER BY at DESC, id DESC LIMIT :limit::int;

-- name: delete_parents(ids)!
-- Array parameter.
DELETE FROM cg.parent WHERE id = ANY(:ids::uuid[]);

-- name: find_by_note(note)^
-- NULLIF maps '' to NULL, so the parameter may be NULL.
SELECT id FROM cg.parent WHERE note IS NOT DISTINCT FROM NULLIF(:note, '');

-- name: copy_parents()!
-- Bulk ingest through COPY.
-- row: ParentIn
COPY cg.parent (name, note, tags, kind, data, ip) FROM STDIN;
"""


@pytest.fixture
def cg_url(conn: psycopg.Connection[Any], migrated_url: str) -> str:
    conn.execute(FIXTURE_DDL)
    return migrated_url


def _render(url: str, tmp_path: Path, text: str) -> dict[str, str]:
    sql_root = tmp_path / "sql"
    (sql_root / "cg").mkdir(parents=True)
    (sql_root / "cg" / "things.sql").write_text(text, encoding="utf-8")
    out = tmp_path / "out" / "cg"
    files = codegen.render_all(url, sql_root, tmp_path / "out")
    return {p.relative_to(out).as_posix(): t for p, t in files.items()}


def _const(text: str, name: str) -> str:
    """The value of the module-level SQL constant ``name`` of a generated module (not run)."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name:
            assert node.value is not None
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f"constant {name} not rendered")


def _model(text: str, name: str) -> dict[str, str]:
    match = re.search(rf"class {name}\(BaseModel\):\n(.*?)(?:\n\n\n|\Z)", text, re.S)
    assert match, f"model {name} not rendered"
    fields = dict(re.findall(r"^    (\w+): (.+)$", match.group(1), re.M))
    return {name: ann.split(" = Field(")[0] for name, ann in fields.items()}


def _signature(text: str, func: str) -> str:
    """The signature on one line, whether the generator wrapped it or not."""
    match = re.search(rf"^def {func}\((.*?)\) -> (.*?):$", text, re.M | re.S)
    assert match, f"function {func} not rendered"
    params = [p.strip() for p in match.group(1).split(",") if p.strip()]
    return f"({', '.join(params)}) -> {match.group(2)}"


def test_types_and_not_null_from_the_catalog(cg_url: str, tmp_path: Path) -> None:
    files = _render(cg_url, tmp_path, QUERIES)
    fields = _model(files["models.py"], "GetParentRow")
    assert fields == {
        "id": "UUID",
        "name": "str",
        "note": "str | None",
        "tags": "list[str]",
        "kind": "Kind",
        "price": "Decimal | None",
        "data": "JsonValue",
        "ip": "InetAddress | None",
        "code": "str",  # NOT NULL domain
        "at": "datetime",
    }
    assert "class Kind(StrEnum):" in files["models.py"]
    assert 'API_KEY = "api_key"' in files["models.py"]
    assert "model_config = ConfigDict(frozen=True, protected_namespaces=())" in files["models.py"]


def test_outer_join_sides_become_nullable(cg_url: str, tmp_path: Path) -> None:
    models = _render(cg_url, tmp_path, QUERIES)["models.py"]
    assert _model(models, "ListLeftRow") == {
        "name": "str",
        "child_label": "str | None",
        "child_id": "UUID | None",
    }
    assert _model(models, "ListRightRow") == {"name": "str | None", "label": "str"}
    assert _model(models, "ListFullRow") == {"name": "str | None", "label": "str | None"}
    assert _model(models, "ListInnerRow") == {"name": "str", "label": "str"}
    assert _model(models, "ListCteLeftRow") == {"name": "str", "label": "str | None"}


def test_nullability_overrides(cg_url: str, tmp_path: Path) -> None:
    files = _render(cg_url, tmp_path, QUERIES)
    assert _model(files["models.py"], "StatsRow") == {
        "top": "str | None",
        "low": "str",
        "name": "str | None",
    }
    # aiosql's rows keep the "low!" spelling: the model accepts both.
    assert 'low: str = Field(validation_alias=AliasChoices("low", "low!"))' in files["models.py"]
    assert _signature(files["things.py"], "count_things").endswith("-> int")
    # The override marker is stripped from the SQL that runs.
    sql = _const(files["things.py"], "COUNT_THINGS")
    assert 'AS "n"' in sql and '"n!"' not in sql


def test_parameters_typed_keyword_only_and_optional_where_null_is_meaningful(
    cg_url: str, tmp_path: Path
) -> None:
    queries = _render(cg_url, tmp_path, QUERIES)["things.py"]
    assert _signature(queries, "count_things") == (
        "(conn: psycopg.Connection[Any], *, kind: Kind | None = None) -> int"
    )
    assert _signature(queries, "create_parent") == (
        "(conn: psycopg.Connection[Any], *, name: str, note: str | None = None, "
        "tags: Sequence[str], kind: Kind, data: Mapping[str, Any] | Sequence[Any], "
        "ip: InetAddress | str | None = None) "
        "-> CreateParentRow"
    )
    assert _signature(queries, "update_parent") == (
        "(conn: psycopg.Connection[Any], *, id: UUID, name: str | None = None, "
        "note: str | None = None, price: Decimal | None = None) -> UpdateParentRow"
    )
    assert _signature(queries, "page") == (
        "(conn: psycopg.Connection[Any], *, after_at: datetime | None = None, "
        "after_id: UUID | None = None, limit: int) -> list[PageRow]"
    )
    assert _signature(queries, "delete_parents") == (
        "(conn: psycopg.Connection[Any], *, ids: Sequence[UUID]) -> int"
    )
    assert _signature(queries, "get_parent").endswith("-> GetParentRow")
    assert _signature(queries, "find_by_note") == (
        "(conn: psycopg.Connection[Any], *, note: str | None = None) -> FindByNoteRow | None"
    )
    assert _signature(queries, "stats").endswith("-> StatsRow | None")
    assert '"data": Jsonb(data)' in queries
    assert '"tags": list(tags)' in queries


def test_async_twin_mirrors_sync(cg_url: str, tmp_path: Path) -> None:
    files = _render(cg_url, tmp_path, QUERIES)
    sync_funcs = re.findall(r"^def (\w+)\(", files["things.py"], re.M)
    async_funcs = re.findall(r"^(?:async )?def (\w+)\(", files["aio/things.py"], re.M)
    assert sync_funcs == async_funcs
    streams = [f for f in sync_funcs if f.startswith("stream_")]
    # Many-row queries marked `-- stream: yes` get a streaming twin; `page` is not marked.
    assert streams == [f"stream_list_{s}" for s in ("left", "right", "full", "inner", "cte_left")]
    assert len(sync_funcs) == 14 + len(streams)
    assert _signature(files["aio/things.py"], "stream_list_left") == (
        "(conn: psycopg.AsyncConnection[Any], *, batch_size: int = 1000) "
        "-> AsyncStream[ListLeftRow]"
    )
    aio = files["aio/things.py"]
    assert "psycopg.AsyncConnection[Any]" in aio
    assert 'return await afetch_one(conn, GET_PARENT, {"id": id}, GetParentRow' in aio
    assert "from registry_sql.execute import" in aio
    # The async module runs the sync module's SQL constants: one copy of each statement.
    assert "from registry_sql.cg.things import" in aio and "Final" not in aio


def test_generated_module_runs_against_the_database(
    cg_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    """Execute the rendered code for real: the SQL constants and the functions."""
    files = _render(cg_url, tmp_path, QUERIES)
    module = types.ModuleType("cg_models_under_test")
    sys.modules[module.__name__] = module
    try:
        exec(compile(files["models.py"], "models.py", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    models_ns = module.__dict__
    with conn.cursor() as cur:
        cur.execute(_const(files["things.py"], "CREATE_PARENT"), {
            "name": "a%b", "note": None, "tags": ["x"], "kind": "large",
            "data": Jsonb({"k": 1}), "ip": "10.0.0.1",
        })
        row = cur.fetchone()
        cols = [d.name for d in cur.description or []]
    assert row is not None
    model = models_ns["CreateParentRow"](**dict(zip(cols, row, strict=True)))
    assert model.name == "a%b" and model.kind == "large" and model.tags == ["x"]
    assert str(model.ip) == "10.0.0.1" and model.data == {"k": 1}
    with pytest.raises(Exception, match="frozen"):
        model.name = "other"


def test_prepare_error_names_file_line_sqlstate_and_message(cg_url: str, tmp_path: Path) -> None:
    text = (
        "-- name: ok()^\n-- Fine.\nSELECT 1 AS one;\n\n"
        "-- name: broken(id)^\n-- Broken on purpose.\nSELECT id,\n       nosuch\n"
        "FROM cg.parent WHERE id = :id;\n"
    )
    with pytest.raises(codegen.GenerationError) as info:
        _render(cg_url, tmp_path, text)
    (problem,) = info.value.problems
    assert problem.startswith("sql/cg/things.sql:8: cg.broken: SQLSTATE 42703: ")
    assert 'column "nosuch" does not exist' in problem


def test_row_name_shared_by_different_shapes_is_rejected(cg_url: str, tmp_path: Path) -> None:
    text = (
        "-- name: a()\n-- A.\n-- row: ThingRow\nSELECT id, name FROM cg.parent;\n\n"
        "-- name: b()\n-- B.\n-- row: ThingRow\nSELECT id, note AS name FROM cg.parent;\n"
    )
    with pytest.raises(codegen.GenerationError, match=r"declares `row: ThingRow` but returns"):
        _render(cg_url, tmp_path, text)


def test_stale_and_foreign_files_are_reported(cg_url: str, tmp_path: Path) -> None:
    sql_root = tmp_path / "sql"
    (sql_root / "cg").mkdir(parents=True)
    (sql_root / "cg" / "things.sql").write_text(QUERIES, encoding="utf-8")
    out = tmp_path / "out"
    files = codegen.render_all(cg_url, sql_root, out)
    codegen.write(files)
    assert codegen.stale_files(files, out) == []
    queries = out / "cg" / "things.py"
    queries.write_text(queries.read_text().replace("-> int:", "-> str:", 1))
    (out / "cg" / "helpers.py").write_text("x = 1\n")
    (out / "cg" / "aio" / "extra.py").write_text("x = 1\n")
    problems = codegen.stale_files(files, out)
    assert any("cg/things.py: stale or edited by hand" in p for p in problems)
    assert any("cg/helpers.py: not produced by the generator" in p for p in problems)
    assert any("cg/aio/extra.py: not produced by the generator" in p for p in problems)


def test_check_command_fails_on_a_query_that_no_longer_prepares(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_sql = Path(__file__).resolve().parents[2] / "sql"
    broken = tmp_path / "sql"
    (broken / "core").mkdir(parents=True)
    for path in (repo_sql / "core").glob("*.sql"):
        (broken / "core" / path.name).write_text(path.read_text())
    users = broken / "core" / "users.sql"
    users.write_text(users.read_text().replace("full_name", "fullname"))
    code = cli_main(
        ["check", "--scratch-url", server_url, "--sql-dir", str(broken), "--out",
         str(Path(__file__).resolve().parents[2] / "registry_sql")]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(r"sql/core/users\.sql:\d+: core\.\w+: SQLSTATE 42703: column .*fullname", err)
    assert "check failed" in err


def test_committed_generated_code_is_fresh(server_url: str) -> None:
    """The same thing `registry-sql check` proves in CI, as a test."""
    report = codegen.check(server_url)
    assert report.problems == []


def test_copy_query_generates_a_typed_streaming_ingest(
    cg_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    files = _render(cg_url, tmp_path, QUERIES)
    assert _signature(files["things.py"], "copy_parents") == (
        "(conn: psycopg.Connection[Any], rows: Iterable[ParentIn]) -> int"
    )
    fields = dict(re.findall(r"^    (\w+): (.+)$", files["models.py"].split(
        "class ParentIn(NamedTuple):")[1].split("\n\n\n")[0], re.M))
    assert fields == {
        "name": "str", "note": "str | None", "tags": "list[str]", "kind": "Kind",
        "data": "Mapping[str, Any] | Sequence[Any]", "ip": "InetAddress | None",
    }
    # Run the generated ingest: a generator of 5,000 rows, enum as text, dict as jsonb.
    from registry_sql.execute import copy_rows

    oids = re.search(r"copy_rows\(\s*conn, COPY_PARENTS, rows, (\(.*?\)), ", files["things.py"])
    assert oids is not None
    rows = ((f"p{i}", None, ["a", "b"], "large", {"i": i}, "10.0.0.1") for i in range(5000))
    copy_sql = _const(files["things.py"], "COPY_PARENTS")
    sent = copy_rows(conn, copy_sql, rows, eval(oids.group(1)), "cg.copy_parents")
    assert sent == 5000
    got = conn.execute(
        "SELECT count(*), count(DISTINCT name), min(kind::text), max((data->>'i')::int)"
        " FROM cg.parent"
    ).fetchone()
    assert got == (5000, 5000, "large", 4999)


def test_copy_bad_row_rolls_back_the_whole_copy(
    cg_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    from registry_sql.errors import InvalidInput
    from registry_sql.execute import copy_rows

    files = _render(cg_url, tmp_path, QUERIES)
    rows: list[tuple[object, ...]] = [
        ("ok", None, [], "small", {}, None),
        ("bad", None, [], "medium", {}, None),
    ]
    copy_sql = _const(files["things.py"], "COPY_PARENTS")
    with pytest.raises(InvalidInput, match="cg.kind"):
        copy_rows(conn, copy_sql, rows, (25, 25, 1009, 25, 3802, 869), "cg.copy")
    assert conn.execute("SELECT count(*) FROM cg.parent").fetchone() == (0,)


def test_each_sql_constant_sits_above_its_function_with_its_header(
    cg_url: str, tmp_path: Path
) -> None:
    text = _render(cg_url, tmp_path, QUERIES)["things.py"]
    sql = _const(text, "GET_PARENT")
    assert sql.startswith("-- name: get_parent(id)^\n-- Every column type.\nSELECT id, name")
    assert "WHERE id = %(id)s" in sql
    between = text[text.index("GET_PARENT: Final") : text.index("def get_parent(")]
    assert "def " not in between and "Final" not in between.split("\n", 1)[1]


def test_docstrings_say_what_the_operation_does(cg_url: str, tmp_path: Path) -> None:
    text = _render(cg_url, tmp_path, QUERIES)["things.py"]

    def doc(func: str) -> str:
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.name == func:
                return ast.get_docstring(node) or ""
        raise AssertionError(func)

    assert "NotFound" not in doc("create_parent")  # INSERT ... VALUES: returns its row or fails
    assert "Returns the new row." in doc("create_parent")
    assert "Raises ``NotFound`` when no row matches." in doc("update_parent")
    assert "Raises ``NotFound`` when no row matches." in doc("get_parent")
    assert "NotFound" not in doc("find_by_note")


def test_generated_files_are_formatted_short_and_versioned(cg_url: str, tmp_path: Path) -> None:
    from registry_sql import __version__
    from registry_sql.codegen.format import format_files

    files = _render(cg_url, tmp_path, QUERIES)
    assert set(files) == {
        "__init__.py",
        "_catalog.py",
        "models.py",
        "things.py",
        "aio/__init__.py",
        "aio/things.py",
    }
    for name, text in files.items():
        long = [line for line in text.splitlines() if len(line) > 100]
        assert long == [], name
        assert "noqa" not in text, name
        assert f"# Generated by registry-sql {__version__} " in text.splitlines()[0], name
    # ruff format leaves the output as it is: it is already formatted.
    as_paths = {tmp_path / "again" / name: text for name, text in files.items()}
    assert format_files(as_paths) == as_paths


def test_stream_marker_needs_a_many_row_query(cg_url: str, tmp_path: Path) -> None:
    text = "-- name: one(id)^\n-- One.\n-- stream: yes\nSELECT id FROM cg.parent WHERE id = :id;\n"
    with pytest.raises(codegen.GenerationError, match=r"`stream: yes` needs a many-row query"):
        _render(cg_url, tmp_path, text)
