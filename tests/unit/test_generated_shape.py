"""Every generated function hands back what its execution helper returns, untouched.

``batch()`` relies on it: a batched call runs its generated function once, against a recorder,
and the batch computes the result the helper would have returned from the statement's rows (no
second call of the function). A generated function that post-processed the helper's value, or
ran a second statement, would give a batch a different answer than a direct call; this test
fails first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from registry_sql.paths import package_dir, schema_names

_HELPERS = {
    "fetch_all",
    "fetch_optional",
    "fetch_one",
    "fetch_value",
    "execute",
    "stream",
    "copy_rows",
}
_ALL_HELPERS = _HELPERS | {f"a{name}" for name in _HELPERS}


def _modules() -> list[Path]:
    found = []
    for schema in schema_names():
        folder = package_dir() / schema
        for path in [*sorted(folder.glob("*.py")), *sorted((folder / "aio").glob("*.py"))]:
            if not path.name.startswith("_") and path.name != "models.py":
                found.append(path)
    return found


def _helper_call(node: ast.expr) -> ast.Call | None:
    """The helper call ``node`` returns: ``helper(...)``, ``await helper(...)``, either one
    inside ``cast("T", ...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "cast":
        node = node.args[1]
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in _ALL_HELPERS:
            return node
    return None


def _uses_conn(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "conn" for n in ast.walk(node))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_function_returns_its_helpers_result(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [
        node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    assert functions, f"{path}: no generated functions"
    for function in functions:
        *before, last = function.body
        where = f"{path.name}:{function.lineno} {function.name}"
        assert isinstance(last, ast.Return) and last.value is not None, where
        call = _helper_call(last.value)
        assert call is not None, f"{where}: does not return a helper's result directly"
        first = call.args[0]
        assert isinstance(first, ast.Name) and first.id == "conn", where
        assert not any(_uses_conn(statement) for statement in before), (
            f"{where}: uses the connection before its one statement"
        )
