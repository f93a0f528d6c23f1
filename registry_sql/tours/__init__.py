"""The demo tour: one segment per schema, each printing typed calls and what they return.

``registry_sql.tours.<schema>`` modules define ``tour(conn)``; :func:`registry_sql.demo.run_demo`
runs them in schema order. The helpers here print a call, its result, or the translated error.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from types import ModuleType
from typing import Any, TypeVar

import psycopg
from pydantic import BaseModel

from registry_sql.db import transaction
from registry_sql.errors import RegistrySqlError
from registry_sql.paths import schema_names

T = TypeVar("T")


_TTY = os.isatty(1)
BOLD = "\033[1m" if _TTY else ""
DIM = "\033[2m" if _TTY else ""
RESET = "\033[0m" if _TTY else ""


def modules(package: str) -> list[ModuleType]:
    """``registry_sql.<package>.<schema>`` modules that exist, in schema order."""
    found = []
    for schema in schema_names():
        name = f"registry_sql.{package}.{schema}"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found


def section(title: str) -> None:
    print(f"\n{BOLD}== {title} =={RESET}", flush=True)


def _value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Enum):
        return repr(value.value)
    return repr(value)


def fmt(result: object) -> str:
    """A row model as ``UserRow(field=value, ...)`` over a few lines, None fields left out."""
    if isinstance(result, BaseModel):
        fields = [
            f"{name}={_value(value)}"
            for name, value in result.__dict__.items()
            if value is not None
        ]
        lines, line = [], f"{type(result).__name__}("
        for item in fields:
            if len(line) + len(item) > 96:
                lines.append(line.rstrip())
                line = "    "
            line += item + ", "
        lines.append(line.rstrip(", ") + ")")
        return "\n".join(lines)
    return str(result)


def show(call: str, result: object) -> None:
    """Print a call and its result."""
    print(f"{DIM}>>> {call}{RESET}\n{fmt(result)}", flush=True)


def expect_error(call: str, fn: Callable[[], object]) -> RegistrySqlError:
    """Run ``fn``, which must fail with one of our errors, and print the translated error."""
    try:
        fn()
    except RegistrySqlError as exc:
        print(f"{DIM}>>> {call}{RESET}\n{type(exc).__name__}: {exc}", flush=True)
        return exc
    raise AssertionError(f"{call} was expected to fail")


def in_tx(conn: psycopg.Connection[Any], fn: Callable[[], T]) -> T:
    """``fn()`` inside ``transaction(conn)``: a failure rolls back everything it wrote."""
    with transaction(conn):
        return fn()
