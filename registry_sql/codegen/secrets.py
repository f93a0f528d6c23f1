"""Which columns hold secrets, read from the schema (for the generated code).

A column is secret when its table's comment contains ``[secret: col, ...]`` naming it
(``COMMENT ON TABLE core.api_keys IS '... [secret: key_hash]'``), or its own comment starts with
``[secret]``. Its accepted format comes from its CHECK constraints: every ``col ~ 'regex'``
(one of them must match) and ``length(col) <= n``. A query parameter is secret when it is named
like a secret column (parameters are named after the columns they fill or compare with).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg


@dataclass(frozen=True)
class SecretColumn:
    schema: str
    table: str
    column: str
    table_oid: int
    attnum: int
    formats: tuple[str, ...]
    max_length: int | None
    constraint: str | None  # the CHECK the format comes from (the first, by name)


def _walk(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def _is_column(node: Any, column: str) -> bool:
    if not isinstance(node, dict):
        return False
    if "TypeCast" in node:
        return _is_column(node["TypeCast"].get("arg"), column)
    ref = node.get("ColumnRef")
    if ref is None:
        return False
    last = ref.get("fields", [{}])[-1]
    return bool(last.get("String", {}).get("sval") == column)


def _constant(node: Any) -> object:
    if not isinstance(node, dict):
        return None
    if "TypeCast" in node:
        return _constant(node["TypeCast"].get("arg"))
    const = node.get("A_Const")
    if const is None:
        return None
    if "sval" in const:
        return const["sval"].get("sval")
    if "ival" in const:
        return int(const["ival"].get("ival", 0))
    return None


def _operator(expr: dict[str, Any]) -> str | None:
    names = expr.get("name") or []
    if not names:
        return None
    return str(names[-1].get("String", {}).get("sval"))


def format_of(check_exprs: list[str], column: str) -> tuple[tuple[str, ...], int | None]:
    """Regexes (``col ~ 'x'``) and the length limit (``length(col) <= n``) in CHECK expressions."""
    from pglast import parser  # optional dependency: only code generation needs it

    formats: list[str] = []
    max_length: int | None = None
    for expr in check_exprs:
        tree = json.loads(parser.parse_sql_json(f"SELECT {expr}"))
        for item in _walk(tree):
            a = item.get("A_Expr")
            if a is None:
                continue
            op = _operator(a)
            if op == "~" and _is_column(a.get("lexpr"), column):
                regex = _constant(a.get("rexpr"))
                if isinstance(regex, str):
                    formats.append(regex)
            elif op in ("<=", "<"):
                call = (a.get("lexpr") or {}).get("FuncCall")
                limit = _constant(a.get("rexpr"))
                if (
                    call is not None
                    and call["funcname"][-1].get("String", {}).get("sval") == "length"
                    and len(call.get("args", [])) == 1
                    and _is_column(call["args"][0], column)
                    and isinstance(limit, int)
                ):
                    limit = limit if op == "<=" else limit - 1
                    max_length = limit if max_length is None else min(max_length, limit)
    return tuple(sorted(set(formats))), max_length


def load_secret_columns(conn: psycopg.Connection[Any]) -> list[SecretColumn]:
    """Every column marked ``[secret]`` in the database, with its format from its CHECKs."""
    rows = conn.execute(
        r"""
        SELECT n.nspname::text, c.relname::text, a.attname::text, c.oid::int, a.attnum::int,
               coalesce(array_agg(pg_get_expr(k.conbin, k.conrelid) ORDER BY k.conname)
                            FILTER (WHERE k.oid IS NOT NULL), '{}'),
               coalesce(array_agg(k.conname::text ORDER BY k.conname)
                            FILTER (WHERE k.oid IS NOT NULL), '{}')
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'c'
                                   AND a.attnum = ANY (k.conkey)
         WHERE a.attnum > 0 AND NOT a.attisdropped
           AND c.relkind IN ('r', 'p')
           AND (col_description(c.oid, a.attnum) LIKE '[secret]%%'
                OR a.attname = ANY (string_to_array(regexp_replace(
                       substring(obj_description(c.oid, 'pg_class') FROM '\[secret:([^]]*)\]'),
                       '\s', '', 'g'), ',')))
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2, 3
        """
    ).fetchall()
    out = []
    for schema, table, column, oid, attnum, exprs, names in rows:
        formats, max_length = format_of(list(exprs), column)
        constraint = next(
            (n for e, n in zip(exprs, names, strict=True) if format_of([e], column) != ((), None)),
            None,
        )
        out.append(
            SecretColumn(schema, table, column, oid, attnum, formats, max_length, constraint)
        )
    return out


@dataclass(frozen=True)
class SecretFormat:
    """What the generated code checks for a secret parameter."""

    formats: tuple[str, ...]
    max_length: int | None
    constraint: str | None
    table: str | None


def param_format(secrets: list[SecretColumn], name: str) -> SecretFormat | None:
    """The format of a parameter named like a secret column (None: not secret). Columns of the
    same name in several tables: any of their formats is accepted."""
    same = [s for s in secrets if s.column == name]
    if not same:
        return None
    if any(not s.formats for s in same):
        formats: tuple[str, ...] = ()
    else:
        formats = tuple(sorted({f for s in same for f in s.formats}))
    limits = [s.max_length for s in same]
    max_length = None if any(m is None for m in limits) else max(m for m in limits if m is not None)
    if len(same) == 1:
        return SecretFormat(
            formats, max_length, same[0].constraint, f"{same[0].schema}.{same[0].table}"
        )
    return SecretFormat(formats, max_length, None, None)
