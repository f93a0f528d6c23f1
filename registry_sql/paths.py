"""Where the SQL lives: a checkout's top-level folders, or the copies shipped in the wheel."""

from __future__ import annotations

import os
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
