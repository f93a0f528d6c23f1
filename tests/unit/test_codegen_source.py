"""Reading query files and rewriting their parameters (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_sql.codegen.render import enum_member, pascal, py_name
from registry_sql.codegen.source import QuerySourceError, load_schema, schemas_in
from registry_sql.paths import schema_names


def _write(root: Path, schema: str, name: str, text: str) -> Path:
    folder = root / schema
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_names_ops_docs_rows_and_lines(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "core",
        "users.sql",
        "-- a file comment\n\n"
        "-- name: get_user(id)^\n"
        "-- Get one user.\n"
        "-- row: UserRow\n"
        "-- More detail.\n"
        "SELECT id, count(*) AS \"n!\", max(x) AS \"m?\" FROM t WHERE id = :id::uuid;\n\n"
        "-- name: touch(id)!\n"
        "-- Touch it.\n"
        "UPDATE t SET x = 1 WHERE id = :id;\n",
    )
    get, touch = load_schema(tmp_path, "core")
    assert (get.name, get.op, get.row_model) == ("get_user", "^", "UserRow")
    assert get.doc == "Get one user.\nMore detail."
    assert get.line == 3 and get.body_line == 7
    assert get.location == f"{tmp_path.name}/core/users.sql:3"
    assert get.params == ("id",)
    assert get.nullability_overrides == {"n": True, "m": False}
    assert (touch.name, touch.op, touch.line) == ("touch", "!", 9)


def test_placeholders_and_percent_escaping(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "core",
        "q.sql",
        "-- name: search(q, limit)\n-- Search.\n"
        "SELECT name AS \"name!\" FROM t WHERE name LIKE '%' || :q || '%' AND name % :q\n"
        "AND note = ':not_a_param' AND \"we%ird\" = 1 LIMIT :limit::int;\n",
    )
    (q,) = load_schema(tmp_path, "core")
    assert q.params == ("q", "limit")
    assert q.sql_for_describe() == (
        "SELECT name AS \"name\" FROM t WHERE name LIKE '%' || $1 || '%' AND name % $1\n"
        "AND note = ':not_a_param' AND \"we%ird\" = 1 LIMIT $2::int"
    )
    assert q.sql_for_psycopg() == (
        "SELECT name AS \"name\" FROM t WHERE name LIKE '%%' || %(q)s || '%%' AND name %% %(q)s\n"
        "AND note = ':not_a_param' AND \"we%%ird\" = 1 LIMIT %(limit)s::int"
    )


def test_undeclared_parameter_is_rejected_with_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "core", "bad.sql", "-- name: f(a)^\n-- Doc.\nSELECT :a, :b;\n")
    with pytest.raises(QuerySourceError, match=r"core/bad.sql:1: .*undeclared parameter.*b"):
        load_schema(tmp_path, "core")


def test_missing_description_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "core", "bad.sql", "-- name: f(a)^\nSELECT :a;\n")
    with pytest.raises(QuerySourceError, match=r"bad.sql:1: query core.f has no description"):
        load_schema(tmp_path, "core")


def test_duplicate_names_across_files_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "core", "a.sql", "-- name: f()^\n-- Doc.\nSELECT 1;\n")
    _write(tmp_path, "core", "b.sql", "-- name: f()^\n-- Doc.\nSELECT 2;\n")
    with pytest.raises(QuerySourceError, match=r"b.sql:1: query core.f is also defined in"):
        load_schema(tmp_path, "core")


def test_schemas_in_follows_the_migrations_and_skips_seed(tmp_path: Path) -> None:
    for schema in ("mlops", "core", "airlock", "seed"):
        _write(tmp_path, schema, "x.sql", "-- name: f()^\n-- Doc.\nSELECT 1;\n")
    (tmp_path / "empty").mkdir()
    migrations = tmp_path.parent / f"{tmp_path.name}_migrations"
    migrations.mkdir()
    (migrations / "0001_core_a.sql").write_text("CREATE SCHEMA core;\n")
    (migrations / "0002_mlops_a.sql").write_text("CREATE SCHEMA IF NOT EXISTS mlops;\n")
    (migrations / "0002_mlops_a.rollback.sql").write_text("CREATE SCHEMA nope;\n")
    # Migration order first (dependency order), then query folders no migration creates.
    assert schemas_in(tmp_path, migrations) == ["core", "mlops", "airlock"]
    assert schema_names(tmp_path, migrations) == ["core", "mlops", "airlock"]


def test_schema_names_of_the_project() -> None:
    assert schema_names()[:3] == ["core", "model_registry", "mlops"]


@pytest.mark.parametrize(
    ("sql", "py"),
    [("org_role", "OrgRole"), ("audit_log", "AuditLog"), ("get_user_by_id", "GetUserById")],
)
def test_pascal(sql: str, py: str) -> None:
    assert pascal(sql) == py


def test_identifiers() -> None:
    assert enum_member("api_key") == "API_KEY"
    assert enum_member("2fa") == "V_2FA"
    assert py_name("from") == "from_"
    assert py_name("limit") == "limit"
