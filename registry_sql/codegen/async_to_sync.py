"""One source for sync and async: the sync twins of the runtime are generated from the async code.

``registry_sql/db.py`` and ``registry_sql/execute.py`` hold their shared helpers, then an async
section (hand-written, the source), then the sync twins, generated from it by this module, the way
psycopg's ``tools/async_to_sync.py`` works::

    # === ASYNC SOURCE: the sync twins below are generated from this section ===
    async def afetch_all(conn: psycopg.AsyncConnection[Any], ...) -> list[M]:
        ...
    # === SYNC TWINS: generated from the async source above by ... DO NOT EDIT ===
    def fetch_all(conn: psycopg.Connection[Any], ...) -> list[M]:
        ...

The transformation is textual and small, so comments and docstrings carry over:

- ``async def`` / ``async with`` / ``async for`` lose ``async``; ``await`` goes;
- names are mapped whole-word (:data:`NAMES`): ``afetch_all`` → ``fetch_all``,
  ``AsyncConnectionPool`` → ``ConnectionPool``, ``asynccontextmanager`` → ``contextmanager`` ...
  (in code, comments and docstrings alike);
- ``if True:  # ASYNC`` keeps its body in the async code and its ``else:`` body in the sync code
  (for what differs on purpose, e.g. an async iterable accepted only by ``acopy_rows``);
- a line ending in ``# sync: <code>`` becomes ``<code>`` in the sync twin, and a comment line
  ``# sync-only: <code>`` becomes ``<code>`` (code the async function does not have);
- ``for x in it: yield x`` becomes ``yield from it``.

The result is formatted with ``ruff format``. ``python -m registry_sql.codegen.async_to_sync``
rewrites the files (``make generate`` runs it); ``--check`` (and ``registry-sql check``, and
``tests/unit/test_async_to_sync.py``) fails when a sync section is stale or was edited by hand.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from pathlib import Path

from registry_sql.codegen.format import format_files
from registry_sql.errors import RegistrySqlError
from registry_sql.paths import package_dir

ASYNC_MARKER = "# === ASYNC SOURCE: the sync twins below are generated from this section ==="
SYNC_MARKER = (
    "# === SYNC TWINS: generated from the async source above (codegen/async_to_sync.py);"
    " DO NOT EDIT ==="
)

#: The runtime modules with an async source and generated sync twins.
MODULES = ("db.py", "execute.py", "retry.py", "testing.py")

#: Async name → sync name, replaced whole-word everywhere in the async section.
NAMES: dict[str, str] = {
    # psycopg, psycopg_pool, the standard library
    "AsyncConnection": "Connection",
    "AsyncCursor": "Cursor",
    "AsyncServerCursor": "ServerCursor",
    "AsyncConnectionPool": "ConnectionPool",
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncGenerator": "Generator",
    "StopAsyncIteration": "StopIteration",
    "asynccontextmanager": "contextmanager",
    "aclosing": "closing",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
    # registry_sql.db
    "AnyAsyncConnection": "AnyConnection",
    "AsyncEchoCursor": "EchoCursor",
    "aconnect": "connect",
    "create_async_pool": "create_pool",
    "_AsyncFailFastPool": "_FailFastPool",
    "_apool_configure": "_pool_configure",
    "_achecked_configure": "_checked_configure",
    "acheck_service_role": "check_service_role",
    "_areset_session": "_reset_session",
    "ahealth_check": "health_check",
    "atransaction": "transaction",
    "_astart": "_start",
    "_abegin": "_begin",
    "_aend": "_end",
    "_aabort": "_abort",
    "_acheck_idle": "_check_idle",
    "_areturn": "_return",
    "_asave_context": "_save_context",
    "_arestore_context": "_restore_context",
    "atenant": "tenant",
    "acorrelation": "correlation",
    "acurrent_tenant": "current_tenant",
    "_aset_audit": "_set_audit",
    "aaudit_context": "audit_context",
    "_AsyncPooledBatch": "_PooledBatch",
    # registry_sql.execute
    "acommand": "command",
    "afetch_all": "fetch_all",
    "afetch_optional": "fetch_optional",
    "afetch_one": "fetch_one",
    "afetch_value": "fetch_value",
    "aexecute": "execute",
    "astream": "stream",
    "AsyncStream": "Stream",
    "acopy_rows": "copy_rows",
    "AsyncRows": "Rows",
    "AsyncBatch": "Batch",
    "abatch": "batch",
    "AsyncCopy": "Copy",
    "AsyncTransaction": "Transaction",
    # registry_sql.testing
    "_AsyncSavepointCursor": "_SavepointCursor",
    "RolledBackAsyncConnection": "RolledBackConnection",
    "rolled_back_async": "rolled_back",
    # registry_sql.retry
    "aretry": "retry",
}

_NAMES_RE = re.compile(r"\b(" + "|".join(sorted(NAMES, key=len, reverse=True)) + r")\b")
_ASYNC_KW = re.compile(r"\basync (def|with|for)\b")
_AWAIT = re.compile(r"\bawait ")
_SYNC_ONLY = re.compile(r"^(?P<indent>\s*)# sync-only: (?P<code>.*)$")
_SYNC_LINE = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s+# sync: (?P<sync>.+)$")
_IF_ASYNC = re.compile(r"^(?P<indent>\s*)if True:\s+# ASYNC\s*$")
_YIELD_LOOP = re.compile(
    r"^(?P<i>[ ]*)for (?P<v>\w+) in (?P<it>.+):\n(?P=i)    yield (?P=v)\n", re.M
)
_SYNC_SECTION = re.compile(r"^# === SYNC TWINS\b.*$", re.M)


class AsyncToSyncError(RegistrySqlError):
    """A runtime module whose async source cannot be turned into sync code."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _branches(lines: list[str]) -> list[str]:
    """``if True:  # ASYNC`` blocks: drop the async body, keep the ``else:`` body dedented."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _IF_ASYNC.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        level = len(match.group("indent"))
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > level):
            i += 1  # the async body
        if i < len(lines) and _indent(lines[i]) == level and lines[i].strip() == "else:":
            i += 1
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > level):
                line = lines[i]
                out.append(line[4:] if line.strip() else line)
                i += 1
    return out


def to_sync(source: str) -> str:
    """The sync twin of an async section (unformatted)."""
    lines = []
    for line in source.splitlines():
        only = _SYNC_ONLY.match(line)
        marker = _SYNC_LINE.match(line)
        if only:
            lines.append(f"{only.group('indent')}{only.group('code')}")
        else:
            lines.append(f"{marker.group('indent')}{marker.group('sync')}" if marker else line)
    text = "\n".join(_branches(lines)) + "\n"
    text = _ASYNC_KW.sub(r"\1", text)
    text = _AWAIT.sub("", text)
    text = _NAMES_RE.sub(lambda m: NAMES[m.group(1)], text)
    # `async for row in it: yield row` has no async spelling of `yield from it`.
    text = _YIELD_LOOP.sub(lambda m: f"{m['i']}yield from {m['it']}\n", text)
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise AsyncToSyncError(f"the generated sync code does not parse: {exc}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef | ast.Await | ast.AsyncWith | ast.AsyncFor):
            raise AsyncToSyncError(
                f"line {node.lineno} of the sync twins is still async; add its name to NAMES "
                "or mark the line with `# sync: ...`"
            )
    return text


def render(path: Path) -> str:
    """The module ``path`` with its sync section regenerated from its async section."""
    text = path.read_text(encoding="utf-8")
    if ASYNC_MARKER not in text:
        raise AsyncToSyncError(f"{path}: no `{ASYNC_MARKER}` line")
    head, rest = text.split(ASYNC_MARKER + "\n", 1)
    source = _SYNC_SECTION.split(rest, 1)[0].rstrip() + "\n"
    sync = to_sync(source)
    module = f"{head}{ASYNC_MARKER}\n{source}\n\n{SYNC_MARKER}\n\n\n{sync}"
    formatted = format_files({path: module})
    return formatted[path]


def problems(root: Path | None = None) -> list[str]:
    """Sync sections that differ from what their async source gives (empty when all agree)."""
    found = []
    for name in MODULES:
        path = (root or package_dir()) / name
        try:
            expected = render(path)
        except RegistrySqlError as exc:
            found.append(str(exc))
            continue
        current = path.read_text(encoding="utf-8")
        if current != expected:
            diff = list(
                difflib.unified_diff(
                    current.splitlines(),
                    expected.splitlines(),
                    f"{name} (committed)",
                    f"{name} (from its async source)",
                    n=1,
                    lineterm="",
                )
            )
            shown = "\n".join("    " + line for line in diff[:20])
            found.append(
                f"registry_sql/{name}: the sync twins differ from the async source (edit the "
                "async code, then run `python -m registry_sql.codegen.async_to_sync`)\n" + shown
            )
    return found


def write(root: Path | None = None) -> list[Path]:
    changed = []
    for name in MODULES:
        path = (root or package_dir()) / name
        text = render(path)
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    if args:
        print("usage: python -m registry_sql.codegen.async_to_sync [--check]", file=sys.stderr)
        return 2
    for path in write():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
