"""Where the SQL lives: a checkout's top-level folders, or the copies shipped in the wheel."""

from __future__ import annotations

import os
import re
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    override = os.environ.get(f"REGISTRY_SQL_{name.upper()}_DIR")
    if override:
        return Path(override)
    shipped = _PACKAGE / "_data" / name
    if shipped.is_dir():
        return shipped
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"registry_sql cannot find its {name}/ folder (looked in {shipped} and {checkout}); "
        "reinstall the package or run from a checkout"
    )


def sql_dir() -> Path:
    """The folder of named queries: ``sql/<schema>/<aggregate>.sql``.

    ``REGISTRY_SQL_SQL_DIR`` overrides it (tests, or a service with queries of its own).
    """
    return _data_dir("sql")


def migrations_dir() -> Path:
    """The folder of yoyo migrations: ``NNNN_<schema>_<what>.sql`` + ``.rollback.sql``.

    ``REGISTRY_SQL_MIGRATIONS_DIR`` overrides it.
    """
    return _data_dir("migrations")


def package_dir() -> Path:
    return _PACKAGE


_CREATE_SCHEMA = re.compile(
    r"^\s*CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(?P<name>[A-Za-z_][A-Za-z0-9_]*)",
    re.I | re.M,
)


def schema_names(sql_root: Path | None = None, migrations_root: Path | None = None) -> list[str]:
    """Every schema of the project, in dependency order: THE list of schemas.

    Derived from the files, never written down: first the schemas the migrations create
    (``CREATE SCHEMA``), in migration order; then any other folder of ``sql/`` that holds
    queries (``sql/seed/`` holds sample data, not a schema). Code generation, ``migrate``'s
    wipe/reset, the demo, the seeds and the tests all ask here.
    """
    names: list[str] = []
    migrations = migrations_root if migrations_root is not None else _optional("migrations")
    if migrations is not None and migrations.is_dir():
        for path in sorted(migrations.glob("*.sql")):
            if path.name.endswith(".rollback.sql"):
                continue
            for match in _CREATE_SCHEMA.finditer(path.read_text(encoding="utf-8")):
                if match.group("name") not in names:
                    names.append(match.group("name"))
    queries = sql_root if sql_root is not None else _optional("sql")
    if queries is not None and queries.is_dir():
        for folder in sorted(p for p in queries.iterdir() if p.is_dir()):
            if folder.name != "seed" and folder.name not in names and any(folder.glob("*.sql")):
                names.append(folder.name)
    return names


def _optional(name: str) -> Path | None:
    try:
        return _data_dir(name)
    except FileNotFoundError:
        return None
