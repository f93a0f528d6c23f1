"""One source for sync and async: the runtime's sync twins are generated from its async code."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import registry_sql
from registry_sql.codegen import async_to_sync
from registry_sql.codegen.async_to_sync import ASYNC_MARKER, SYNC_MARKER, problems, to_sync

PACKAGE = Path(registry_sql.__file__).parent


def test_committed_sync_twins_match_their_async_source() -> None:
    """What `python -m registry_sql.codegen.async_to_sync --check` proves (and `registry-sql
    check`)."""
    assert problems() == []


def test_a_hand_edited_sync_twin_is_reported(tmp_path: Path) -> None:
    for name in async_to_sync.MODULES:
        shutil.copy(PACKAGE / name, tmp_path / name)
    assert problems(tmp_path) == []
    db = tmp_path / "db.py"
    text = db.read_text()
    head, sync = text.split(SYNC_MARKER, 1)
    db.write_text(head + SYNC_MARKER + sync.replace('"SELECT 1"', '"SELECT 2"', 1))
    (found,) = problems(tmp_path)
    assert "registry_sql/db.py: the sync twins differ from the async source" in found
    assert '"SELECT 2"' in found
    assert async_to_sync.main(["--check"]) == 0  # the real package is unaffected


def test_the_transformation() -> None:
    source = '''
@asynccontextmanager
async def atransaction(conn: psycopg.AsyncConnection[Any]) -> AsyncIterator[int]:
    """Use ``async with atransaction(conn):``."""
    async with conn.transaction():
        yield await afetch_one(conn)


async def astream(cur: psycopg.AsyncCursor[Any], rows: AsyncRows) -> AsyncIterator[int]:
    if True:  # ASYNC
        if isinstance(rows, AsyncIterable):
            async for row in rows:
                await cur.write(row)
    else:
        for row in rows:
            cur.write(row)
    limit = 5  # sync: limit = 10
    async for row in cur:
        yield row
'''
    assert (
        to_sync(source)
        == '''
@contextmanager
def transaction(conn: psycopg.Connection[Any]) -> Iterator[int]:
    """Use ``with transaction(conn):``."""
    with conn.transaction():
        yield fetch_one(conn)


def stream(cur: psycopg.Cursor[Any], rows: Rows) -> Iterator[int]:
    for row in rows:
        cur.write(row)
    limit = 10
    yield from cur
'''
    )


def _sync_name(name: str) -> str | None:
    return async_to_sync.NAMES.get(name) or (name[1:] if name.startswith("a") else None)


def _hand_written_twins(path: Path) -> list[str]:
    """Functions and classes defined by hand both as ``async def x`` and as its sync twin ``y``
    (methods by ``Class.method``, so ``__aenter__`` of one class is not paired with another
    class's ``__enter__``)."""
    text = path.read_text()
    generated_from = None
    if SYNC_MARKER in text:
        generated_from = text[: text.index(SYNC_MARKER)].count("\n") + 1
    by_hand: dict[str, str] = {}  # qualified name -> its sync spelling
    for node in ast.parse(text).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if generated_from is not None and node.lineno > generated_from:
            continue
        outer_sync = _sync_name(node.name) or node.name
        by_hand[node.name] = outer_sync
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    inner_sync = _sync_name(item.name) or item.name
                    by_hand[f"{node.name}.{item.name}"] = f"{outer_sync}.{inner_sync}"
    twins = []
    for name, sync_name in sorted(by_hand.items()):
        if sync_name != name and sync_name in by_hand:
            twins.append(f"{path.name}: {name} / {sync_name}")
    return twins


def test_no_hand_written_sync_async_pair_is_left_in_the_runtime() -> None:
    """A duplicate-code scan of registry_sql/ (the generated schema packages aside): every
    async function's sync twin, if there is one, is generated."""
    runtime = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not (path.parent != PACKAGE and (path.parent / "models.py").exists())
        and "aio" not in path.parts
    ]
    for name in async_to_sync.MODULES:
        assert PACKAGE / name in runtime
    found = [twin for path in runtime for twin in _hand_written_twins(path)]
    assert found == []


def test_the_scan_finds_a_hand_written_pair(tmp_path: Path) -> None:
    """Positive control: without the generated-section marker the pairs count as hand-written."""
    text = (PACKAGE / "execute.py").read_text().replace(SYNC_MARKER, "# (marker removed)")
    probe = tmp_path / "execute.py"
    probe.write_text(text)
    assert "execute.py: afetch_all / fetch_all" in _hand_written_twins(probe)
    assert ASYNC_MARKER in text
