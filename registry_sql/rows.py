"""Building row models from result rows, fast.

The generated row models are frozen Pydantic v2 models whose field types were derived from the
very PostgreSQL types psycopg loads (``uuid`` → ``UUID``, ``timestamptz`` → ``datetime``, ...), and
``registry-sql check`` proves the models still match the schema. Validating every row again would
cost 5–10 µs per row for nothing, so :func:`model_rows` builds instances directly, the way
``BaseModel.model_construct`` does but with the per-model work done once: only the columns whose
Python type psycopg cannot produce by itself are converted (enum labels → the generated
``StrEnum``). The result is an ordinary frozen model instance, equal to the validated one.

Set ``REGISTRY_SQL_VALIDATE_ROWS=1`` to validate every row with Pydantic instead (``class_row``):
slower, and a way to prove the fast path returns the same thing (the tests do).
"""

from __future__ import annotations

import enum
import functools
import os
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg.rows import BaseRowFactory, class_row
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

VALIDATE_ROWS = os.environ.get("REGISTRY_SQL_VALIDATE_ROWS", "").lower() in {"1", "true", "yes"}

_new = object.__new__
_set = object.__setattr__


@dataclass(frozen=True)
class _Plan:
    columns: tuple[str, ...]
    """Result column names, in order (a field's alias when it has one)."""
    columns_utf8: tuple[bytes, ...]
    """The same, as the result carries them (compared without decoding on every execute)."""
    fields: tuple[str, ...]
    """The matching field names."""
    fields_set: frozenset[str]
    conversions: tuple[tuple[str, Callable[[Any], Any]], ...]
    """(field, converter) for fields whose loaded value needs converting (enums)."""


def _enum_in(annotation: Any) -> tuple[type[enum.Enum] | None, bool]:
    """The enum class in ``E``, ``E | None``, ``list[E]`` or ``list[E] | None``; is it a list?"""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _enum_in(arg)
        return None, False
    if origin is list:
        (inner,) = typing.get_args(annotation) or (None,)
        found, _ = _enum_in(inner)
        return found, True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation, False
    return None, False


def _converter(enum_cls: type[enum.Enum], is_list: bool) -> Callable[[Any], Any]:
    # A dict look-up, not EnumClass(label): calling an Enum class costs ~1 µs, the look-up ~50 ns.
    # An unknown label (an enum value added by a later migration) still raises, via the call.
    members = {member.value: member for member in enum_cls}

    def one(label: Any) -> Any:
        member = members.get(label)
        return member if member is not None else enum_cls(label)

    if is_list:
        return lambda values: [None if v is None else one(v) for v in values]
    return one


@functools.cache
def _plan(model: type[BaseModel]) -> _Plan:
    columns, fields, conversions = [], [], []
    for name, info in model.model_fields.items():
        columns.append(info.alias or name)
        fields.append(name)
        enum_cls, is_list = _enum_in(info.annotation)
        if enum_cls is not None:
            conversions.append((name, _converter(enum_cls, is_list)))
    return _Plan(
        tuple(columns),
        tuple(c.encode() for c in columns),
        tuple(fields),
        frozenset(fields),
        tuple(conversions),
    )


@functools.cache
def model_rows(model: type[M]) -> BaseRowFactory[M]:
    """A psycopg row factory producing ``model`` instances (see the module docstring)."""
    if VALIDATE_ROWS:
        return class_row(model)
    plan = _plan(model)
    validating = class_row(model)
    fields, fields_set, conversions = plan.fields, plan.fields_set, plan.conversions

    def make(values: Sequence[Any]) -> M:
        data = dict(zip(fields, values))  # noqa: B905 - lengths checked against the result
        for field, convert in conversions:
            value = data[field]
            if value is not None:
                data[field] = convert(value)
        instance: M = _new(model)
        _set(instance, "__dict__", data)
        _set(instance, "__pydantic_fields_set__", fields_set)
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    def factory(cursor: Any) -> Callable[[Sequence[Any]], M]:
        # psycopg calls this on every execute, and again when a reused cursor is given this
        # factory while it still holds another query's result: it must cost next to nothing.
        # Column names straight from the result, compared as bytes (cursor.description would
        # build a Column object per column; decoding them costs more than the comparison).
        result = cursor.pgresult
        nfields = result.nfields if result is not None else 0
        names = tuple(map(result.fname, range(nfields))) if nfields else ()
        if names == plan.columns_utf8:
            return make

        # Not the shape the model was generated for: let Pydantic check every value. Built on
        # the first row only (the result may be another query's, never read through this).
        validate: Callable[[Sequence[Any]], M] | None = None

        def checked(values: Sequence[Any]) -> M:
            nonlocal validate
            if validate is None:
                validate = validating(cursor)
            return validate(values)

        return checked

    return factory
