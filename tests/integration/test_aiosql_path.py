"""aiosql loads the named queries: ``aiosql.from_path(sql/<schema>, "psycopg",
record_classes=RECORD_CLASSES)`` returns the same Pydantic rows as the generated functions.

For users who prefer aiosql's own API. The SQL files name each row model on the line under the
``-- name:`` header (``-- record_class: UserRow``), which is where aiosql looks for it; columns
written ``AS "col!"`` (nullability overrides) are accepted under both spellings by the models.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import aiosql
import psycopg
import pytest
from pydantic import BaseModel

from registry_sql.paths import schema_names, sql_dir
from registry_sql.seeds import seed_all

Conn = psycopg.Connection[Any]


def _org(conn: Conn) -> Any:
    row = conn.execute("SELECT id FROM core.organizations WHERE slug = 'acme-ml'").fetchone()
    assert row is not None
    return row[0]


def _user(conn: Conn) -> Any:
    row = conn.execute("SELECT id FROM core.users WHERE username = 'admin'").fetchone()
    assert row is not None
    return row[0]


# schema -> [(query, parameters)]: a many-row query, and one with "col!" columns where there is one.
CASES: dict[str, list[tuple[str, Callable[[Conn], dict[str, Any]]]]] = {
    "core": [
        (
            "list_users",
            lambda c: {"is_active": None, "after_created_at": None, "after_id": None, "limit": 50},
        ),
        (
            "get_user_with_roles",
            lambda c: {"id": _user(c), "application": "mlops", "organization_id": _org(c)},
        ),
    ],
    "model_registry": [
        (
            "list_packages",
            lambda c: {
                "package_type": None,
                "uploaded_by": None,
                "after_created_at": None,
                "after_id": None,
                "limit": 50,
            },
        ),
        ("list_top_packages_by_net_score", lambda c: {"package_type": None, "limit": 10}),
    ],
    "mlops": [
        (
            "list_projects",
            lambda c: {
                "organization_id": _org(c),
                "after_created_at": None,
                "after_id": None,
                "limit": 50,
            },
        ),
        ("list_projects_for_user", lambda c: {"organization_id": _org(c), "user_id": _user(c)}),
    ],
    "splunk_ta": [
        (
            "list_requests",
            lambda c: {
                "requester_id": None,
                "status": None,
                "after_created_at": None,
                "after_id": None,
                "limit": 50,
            },
        ),
        ("get_request_statistics", lambda c: {}),
    ],
}


def test_every_schema_has_a_case() -> None:
    assert set(CASES) == set(schema_names()) & {p.name for p in sql_dir().iterdir()}


@pytest.mark.parametrize("schema", sorted(CASES))
def test_aiosql_returns_the_generated_row_models(conn: Conn, schema: str) -> None:
    seed_all(conn, size=5)
    package = importlib.import_module(f"registry_sql.{schema}")
    models = importlib.import_module(f"registry_sql.{schema}.models")
    queries = aiosql.from_path(sql_dir() / schema, "psycopg", record_classes=models.RECORD_CLASSES)
    for name, make_params in CASES[schema]:
        params = make_params(conn)
        generated = getattr(package, name)(conn, **params)
        loaded = getattr(queries, name)(conn, **params)
        if isinstance(generated, list):
            loaded = list(loaded)
            assert generated, f"{schema}.{name}: the seed gave no rows to compare"
        else:
            assert generated is not None
        # Same classes, same values: the very row models of registry_sql.<schema>.
        assert loaded == generated, f"{schema}.{name}"
        first = loaded[0] if isinstance(loaded, list) else loaded
        assert isinstance(first, BaseModel) and type(first).__module__ == models.__name__
