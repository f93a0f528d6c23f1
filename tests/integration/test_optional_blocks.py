"""Optional filter blocks (``/*? AND col = :x ?*/``): one function, one statement per combination.

Every variant is described against the migrated schema (a variant that does not prepare is named
with the blocks it keeps), rendered as a static statement of its own, and chosen at call time from
the parameters given; the number of variants is capped.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from registry_sql import codegen, core
from registry_sql.codegen.source import QuerySourceError, load_schema
from registry_sql.errors import InvalidInput
from registry_sql.model_registry import count_search_packages
from registry_sql.seeds import seed_all

Conn = psycopg.Connection[Any]

DDL = """
CREATE SCHEMA ob;
CREATE TABLE ob.items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    status text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
"""

QUERY = """\
-- name: search_items(q, limit)
-- Items whose name matches q; status and the keyset cursor are optional blocks.
SELECT id, name, status
FROM ob.items
WHERE name LIKE :q::text
  /*? AND status = :status::text ?*/
  /*? AND (at, id) < (:after_at::timestamptz,
                      :after_id::uuid) ?*/
ORDER BY at DESC, id DESC
LIMIT :limit::int;
"""


@pytest.fixture
def ob_url(conn: Conn, migrated_url: str) -> str:
    conn.execute(DDL)
    return migrated_url


def _write(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "sql"
    (root / "ob").mkdir(parents=True)
    (root / "ob" / "items.sql").write_text(text, encoding="utf-8")
    return root


def _render(url: str, tmp_path: Path, text: str) -> str:
    root = _write(tmp_path, text)
    files = codegen.render_all(url, root, tmp_path / "out")
    return files[tmp_path / "out" / "ob" / "items.py"]


def _variants(module: str, name: str) -> list[str]:
    for node in ast.parse(module).body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name:
            assert node.value is not None
            value = ast.literal_eval(node.value)
            assert isinstance(value, tuple)
            return list(value)
    raise AssertionError(f"{name} not rendered")


def test_every_combination_is_a_static_statement_and_the_parameters_are_optional(
    ob_url: str, tmp_path: Path
) -> None:
    module = _render(ob_url, tmp_path, QUERY)
    variants = _variants(module, "SEARCH_ITEMS")
    assert len(variants) == 4
    assert variants[0].startswith("-- name: search_items [0: no optional]\n")
    assert variants[3].startswith("-- name: search_items [3: with status; after_at, after_id]\n")
    assert "status" not in variants[0].split("SELECT", 1)[1].split("FROM")[1]
    assert "AND status = %(status)s::text" in variants[1]
    assert "after_at" not in variants[1]
    assert "(at, id) < (%(after_at)s::timestamptz," in variants[2]
    assert all("IS NULL" not in v and "/*?" not in v for v in variants)
    signature = re.search(r"def search_items\((.*?)\) ->", module, re.S)
    assert signature is not None
    params = " ".join(signature.group(1).split())
    assert "q: str," in params and "limit: int" in params
    assert "status: str | None = None" in params
    assert "after_at: datetime | None = None" in params
    assert "after_id: UUID | None = None" in params
    flat = "".join(module.split())
    assert '_sql=SEARCH_ITEMS[choose_variant("ob.search_items",_params,(("status",),' in flat
    assert '("after_at","after_id",),' in flat


def test_a_variant_that_does_not_prepare_is_named_with_its_blocks(
    ob_url: str, tmp_path: Path
) -> None:
    broken = QUERY.replace("AND status = :status::text", "AND statu = :status::text")
    with pytest.raises(codegen.GenerationError) as info:
        _render(ob_url, tmp_path, broken)
    (problem,) = info.value.problems
    assert problem.startswith("sql/ob/items.sql:6: ob.search_items [with status]: SQLSTATE 42703")


def test_three_blocks_make_eight_variants_and_the_stream_twin_chooses_too(
    ob_url: str, tmp_path: Path
) -> None:
    text = QUERY.replace(
        "/*? AND status = :status::text ?*/",
        "/*? AND status = :status::text ?*/\n  /*? AND length(name) > :n::int ?*/",
    ).replace("-- Items whose", "-- stream: yes\n-- Items whose")
    module = _render(ob_url, tmp_path, text)
    assert len(_variants(module, "SEARCH_ITEMS")) == 8
    stream = module[module.index("def stream_search_items(") :]
    assert "_sql = SEARCH_ITEMS[" in stream and "choose_variant(" in stream
    assert "return stream(conn, _sql, _params, SearchItemsRow" in stream


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("WHERE true /*? AND status = 'x' ?*/", "has no parameter"),
        (
            "WHERE status = :status::text /*? AND status <> :status ?*/",
            "parameter status is used both inside the optional block",
        ),
        ("WHERE true /*? AND status = :status::text", "is not closed"),
        (
            "WHERE true /*? AND status = :s::text ?*/ /*? AND name = :s ?*/",
            "parameter s is in two optional blocks",
        ),
        (
            "WHERE true " + " ".join(f"/*? AND length(name) > :p{i}::int ?*/" for i in range(6)),
            "6 optional blocks make 64 variants, more than the 32 allowed",
        ),
    ],
)
def test_malformed_blocks_and_too_many_variants_are_clear_errors(
    tmp_path: Path, sql: str, message: str
) -> None:
    declared = "(status)" if "status = :status::text /*?" in sql else "()"
    text = f"-- name: q{declared}\n-- A query.\nSELECT id FROM ob.items {sql};\n"
    root = _write(tmp_path, text)
    with pytest.raises(QuerySourceError) as info:
        load_schema(root, "ob")
    where = "sql/ob/items.sql:3: " if "not closed" in message else "sql/ob/items.sql:1: query ob.q:"
    assert str(info.value).startswith(where)
    assert message in str(info.value)


def test_the_generated_search_runs_one_prepared_statement_per_combination(conn: Conn) -> None:
    seed_all(conn, size=0)
    conn.prepare_threshold = 0  # prepare every statement, to see them in pg_prepared_statements
    conn.execute("DEALLOCATE ALL")
    everyone = core.search_users(conn, q="a", limit=100)
    active = core.search_users(conn, q="a", is_active=True, limit=100)
    assert {u.id for u in active} <= {u.id for u in everyone}
    assert all(u.is_active for u in active)
    names = {
        row[0].split("\n")[1]
        for row in conn.execute("SELECT statement FROM pg_prepared_statements")
        if "name: search_users" in row[0]
    }
    assert names == {
        "-- name: search_users [0: no optional]",
        "-- name: search_users [1: with is_active]",
    }
    # Four filters, sixteen statements, the same count as filtering by hand.
    by_hand = conn.execute(
        "SELECT count(*) FROM model_registry.packages WHERE is_sensitive"
        " AND (name || ' ' || coalesce(description, '')) ILIKE '%e%'"
    ).fetchone()
    assert by_hand is not None
    assert count_search_packages(conn, q="e", is_sensitive=True) == by_hand[0]


def test_a_block_given_in_part_is_invalid_input(conn: Conn) -> None:
    with pytest.raises(InvalidInput) as info:
        core.search_users(conn, q="a", after_created_at=datetime.now(UTC), limit=10)
    assert info.value.field == "after_id"
    assert "after_id must be given together with after_created_at" in str(info.value)
