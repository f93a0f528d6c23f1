"""Rendering described queries as Python: row models, enums, sync and async functions."""

from __future__ import annotations

import json
import keyword
import re
import textwrap
from dataclasses import dataclass, field

from pydantic import BaseModel

from registry_sql import __version__
from registry_sql.codegen.introspect import Column, DescribedQuery, Introspector, PgType
from registry_sql.codegen.source import QuerySource
from registry_sql.errors import RegistrySqlError


class RenderError(RegistrySqlError):
    """A query whose shape the generator cannot express (it names the query and the fix)."""


# PostgreSQL base type name -> (python annotation, import line or None)
_BASE: dict[str, tuple[str, str | None]] = {
    "bool": ("bool", None),
    "int2": ("int", None),
    "int4": ("int", None),
    "int8": ("int", None),
    "oid": ("int", None),
    "float4": ("float", None),
    "float8": ("float", None),
    "numeric": ("Decimal", "from decimal import Decimal"),
    "text": ("str", None),
    "varchar": ("str", None),
    "bpchar": ("str", None),
    "char": ("str", None),
    "name": ("str", None),
    "citext": ("str", None),
    "regclass": ("str", None),
    "uuid": ("UUID", "from uuid import UUID"),
    "timestamptz": ("datetime", "from datetime import datetime"),
    "timestamp": ("datetime", "from datetime import datetime"),
    "date": ("date", "from datetime import date"),
    "time": ("time", "from datetime import time"),
    "timetz": ("time", "from datetime import time"),
    "interval": ("timedelta", "from datetime import timedelta"),
    "bytea": ("bytes", None),
    "json": ("JsonValue", "from pydantic import JsonValue"),
    "jsonb": ("JsonValue", "from pydantic import JsonValue"),
    "inet": ("InetAddress", "from registry_sql.types import InetAddress"),
    "cidr": ("InetNetwork", "from registry_sql.types import InetNetwork"),
    "void": ("None", None),
}

_RESERVED = set(dir(BaseModel)) | {"model_config", "model_fields"}


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def enum_member(label: str) -> str:
    member = re.sub(r"\W+", "_", label).strip("_").upper() or "EMPTY"
    if member[0].isdigit() or keyword.iskeyword(member):
        member = f"V_{member}"
    return member


def py_name(name: str) -> str:
    """A Python identifier for a SQL name (keywords get a trailing underscore)."""
    ident = re.sub(r"\W", "_", name)
    if keyword.iskeyword(ident) or ident[:1].isdigit():
        ident += "_"
    return ident


@dataclass
class Imports:
    lines: set[str] = field(default_factory=set)

    def add(self, line: str | None) -> None:
        if line:
            self.lines.add(line)

    def render(self) -> str:
        """Imports grouped the way ruff's isort expects: future, stdlib, third party, ours."""
        groups: dict[int, list[str]] = {0: [], 1: [], 2: [], 3: []}
        for line in self.lines:
            module = line.split()[1]
            top = module.split(".")[0]
            if top == "__future__":
                groups[0].append(line)
            elif top in {"psycopg", "pydantic", "psycopg_pool"}:
                groups[2].append(line)
            elif top == "registry_sql":
                groups[3].append(line)
            else:
                groups[1].append(line)
        out = []
        for key in sorted(groups):
            lines = groups[key]
            if not lines:
                continue
            plain = sorted((ln for ln in lines if ln.startswith("import ")), key=_isort_key)
            froms = sorted((ln for ln in lines if ln.startswith("from ")), key=_isort_key)
            out.append("\n".join(_wrap_import(ln) for ln in plain + froms))
        return "\n\n".join(out) + "\n"


def _wrap_import(line: str, width: int = 100) -> str:
    if len(line) <= width or not line.startswith("from "):
        return line
    head, names = line.split(" import ")
    items = "".join(f"    {name.strip()},\n" for name in names.split(","))
    return f"{head} import (\n{items})"


def _isort_key(line: str) -> tuple[str, str]:
    parts = line.split()
    return (parts[1].lower(), line.lower())


def _merge_from_imports(lines: set[str]) -> set[str]:
    merged: dict[str, set[str]] = {}
    plain: set[str] = set()
    for line in lines:
        if line.startswith("from "):
            module, names = line[5:].split(" import ")
            merged.setdefault(module, set()).update(n.strip() for n in names.split(","))
        else:
            plain.add(line)
    for module, members in merged.items():
        plain.add(f"from {module} import {', '.join(sorted(members, key=name_key))}")
    return plain


def name_key(name: str) -> tuple[int, str]:
    """isort order inside one import: CONSTANTS, Classes, functions, each case-insensitively."""
    if name.isupper():
        return (0, name.lower())
    if name[:1].isupper():
        return (1, name.lower())
    return (2, name.lower())


class TypeMapper:
    """PostgreSQL types → Python annotations for one generated schema module."""

    def __init__(self, introspector: Introspector, schema: str) -> None:
        self.intro = introspector
        self.schema = schema

    def annotation(self, oid: int, imports: Imports, *, for_param: bool = False) -> str:
        t: PgType = self.intro.pg_type(oid)
        if t.kind == "d":
            return self.annotation(t.base, imports, for_param=for_param)
        if t.kind == "e":
            cls = pascal(t.name)
            if t.schema == self.schema:
                imports.add(f"from registry_sql.{self.schema}.models import {cls}")
            else:
                imports.add(f"from registry_sql.{t.schema}.models import {cls}")
            return cls
        if t.category == "A" and t.elem:
            inner = self.annotation(t.elem, imports, for_param=for_param)
            if for_param:
                imports.add("from collections.abc import Sequence")
                return f"Sequence[{inner}]"
            return f"list[{inner}]"
        if t.name in ("json", "jsonb") and for_param:
            return self.json_param(imports)
        if t.name in ("inet", "cidr") and for_param:
            base, line = _BASE[t.name]
            imports.add(line)
            return f"{base} | str"
        if t.name not in _BASE:
            raise RenderError(
                f"type {t.schema}.{t.name} (oid {t.oid}) has no Python mapping; cast the column "
                "or parameter to a supported type, or add it to registry_sql/codegen/render.py"
            )
        base, line = _BASE[t.name]
        imports.add(line)
        return base

    @staticmethod
    def json_param(imports: Imports) -> str:
        """What a JSON parameter accepts: a JSON object or array (jsonb columns hold those)."""
        imports.add("from collections.abc import Mapping, Sequence")
        imports.add("from typing import Any")
        return "Mapping[str, Any] | Sequence[Any]"

    def is_json(self, oid: int) -> bool:
        t = self.intro.pg_type(oid)
        if t.kind == "d":
            return self.is_json(t.base)
        return t.name in ("json", "jsonb")

    def is_array(self, oid: int) -> bool:
        t = self.intro.pg_type(oid)
        if t.kind == "d":
            return self.is_array(t.base)
        return t.category == "A" and bool(t.elem)


@dataclass
class RowModel:
    name: str
    columns: tuple[Column, ...]
    queries: list[str]
    spelled: dict[str, set[str]] = field(default_factory=dict)
    """Column → the ``"col!"``/``"col?"`` names the SQL gives it (what aiosql's rows carry)."""

    def add_spellings(self, source: QuerySource) -> None:
        for col, not_null in source.nullability_overrides.items():
            self.spelled.setdefault(col, set()).add(f"{col}{'!' if not_null else '?'}")


def _shape(columns: tuple[Column, ...]) -> tuple[tuple[str, int, bool], ...]:
    return tuple((c.name, c.type_oid, c.nullable) for c in columns)


def _returns_rows(q: DescribedQuery) -> bool:
    return q.source.op in ("", "^", "<!")


def collect_models(queries: list[DescribedQuery]) -> dict[str, RowModel]:
    models: dict[str, RowModel] = {}
    for q in queries:
        if not _returns_rows(q):
            continue
        src = q.source
        if not q.columns:
            raise RenderError(
                f"{src.location}: {src.qualified_name} ({src.op or 'many'}) returns no "
                "columns; add a RETURNING/SELECT list or use the `!` suffix"
            )
        name = src.row_model or f"{pascal(src.name)}Row"
        seen = [c.name for c in q.columns]
        dupes = sorted({c for c in seen if seen.count(c) > 1})
        if dupes:
            raise RenderError(
                f"{src.location}: {src.qualified_name} returns the column name(s) {dupes} "
                "more than once; give each column a distinct alias"
            )
        if name in models:
            model = models[name]
            if _shape(model.columns) != _shape(q.columns):
                raise RenderError(
                    f"{src.location}: {src.qualified_name} declares `{src.row_directive}: {name}` "
                    "but returns "
                    f"{_describe_shape(q.columns)}, while {model.queries[0]} returns "
                    f"{_describe_shape(model.columns)}; make the column lists identical or use "
                    "another row name"
                )
            model.queries.append(src.qualified_name)
            model.add_spellings(src)
        else:
            models[name] = RowModel(name=name, columns=q.columns, queries=[src.qualified_name])
            models[name].add_spellings(src)
    return models


def collect_copy_inputs(queries: list[DescribedQuery]) -> dict[str, RowModel]:
    """Input row types (NamedTuples) of the ``COPY ... FROM STDIN`` queries."""
    inputs: dict[str, RowModel] = {}
    for q in queries:
        if not q.source.is_copy:
            continue
        name = model_for(q)
        if name in inputs:
            raise RenderError(
                f"{q.source.location}: {q.source.qualified_name}: input row name {name} is "
                f"already used by {inputs[name].queries[0]}; give it another `record_class:` name"
            )
        inputs[name] = RowModel(name=name, columns=q.columns, queries=[q.source.qualified_name])
    return inputs


_FIRST_USER_OID = 16384


def copy_type_oids(q: DescribedQuery, intro: Introspector) -> tuple[int, ...]:
    """Column types for ``Copy.set_types``: builtins by OID; enums and other user types as text
    (the server parses the text form; the client only needs to pick a dumper)."""

    def oid_for(oid: int) -> int:
        t = intro.pg_type(oid)
        if t.kind == "d":
            return oid_for(t.base)
        if t.category == "A" and t.elem:
            return oid if oid < _FIRST_USER_OID and t.elem < _FIRST_USER_OID else 1009  # text[]
        return oid if oid < _FIRST_USER_OID else 25  # text

    return tuple(oid_for(c.type_oid) for c in q.columns)


def _describe_shape(columns: tuple[Column, ...]) -> str:
    return "(" + ", ".join(f"{c.name}{'?' if c.nullable else ''}" for c in columns) + ")"


def model_for(q: DescribedQuery) -> str:
    return q.source.row_model or f"{pascal(q.source.name)}Row"


def render_models(
    schema: str,
    enums: list[PgType],
    models: dict[str, RowModel],
    mapper: TypeMapper,
    copy_inputs: dict[str, RowModel] | None = None,
    checks: dict[str, tuple[str | None, str]] | None = None,
    secret_columns: dict[str, tuple[str, ...]] | None = None,
) -> str:
    imports = Imports()
    imports.add("from __future__ import annotations")
    body: list[str] = []
    enum_names = {pascal(e.name) for e in enums}
    if enums:
        imports.add("from enum import StrEnum")
        imports.add("from registry_sql.errors import register_enum_labels")
    for e in enums:
        body.append(f"class {pascal(e.name)}(StrEnum):")
        body.append(f'    """PostgreSQL enum ``{e.schema}.{e.name}``."""')
        body.append("")
        for label in e.labels:
            body.append(f"    {enum_member(label)} = {_dq(label)}")
        body.append("")
        body.append("")
        # Lets translate_error list the allowed labels when PostgreSQL rejects a value.
        body.append(f'register_enum_labels("{e.schema}.{e.name}", {pascal(e.name)})')
        body.append("")
        body.append("")
    if models:
        imports.add("from pydantic import BaseModel, ConfigDict")
    for model in models.values():
        body.append(f"class {model.name}(BaseModel):")
        used_by = ", ".join(f"``{q.split('.', 1)[1]}``" for q in model.queries)
        body.extend(_short_doc(f"Row returned by {used_by}."))

        body.append("")
        # protected_namespaces=(): columns such as model_id are fine (older pydantic warned).
        body.append("    model_config = ConfigDict(frozen=True, protected_namespaces=())")
        body.append("")
        for col in model.columns:
            ann = mapper.annotation(col.type_oid, imports)
            if col.nullable:
                ann = f"{ann} | None"
            fname = py_name(col.name)
            # A secret column's value stays out of repr() (and so out of logs and tracebacks).
            hide = ", repr=False" if col.secret else ""
            if fname in _RESERVED:
                imports.add("from pydantic import Field")
                body.append(f"    {fname}_: {ann} = Field(alias={_dq(col.name)}{hide})")
            elif col.secret:
                imports.add("from pydantic import Field")
                body.append(f"    {fname}: {ann} = Field(repr=False)")
            elif col.name in model.spelled:
                # Rows loaded through aiosql keep the SQL's "col!" name: accept both spellings.
                imports.add("from pydantic import AliasChoices, Field")
                names = ", ".join(_dq(n) for n in [col.name, *sorted(model.spelled[col.name])])
                body.append(f"    {fname}: {ann} = Field(validation_alias=AliasChoices({names}))")
            else:
                body.append(f"    {fname}: {ann}")
        body.append("")
        body.append("")
    if copy_inputs:
        imports.add("from typing import NamedTuple")
    for model in (copy_inputs or {}).values():
        body.append(f"class {model.name}(NamedTuple):")
        used_by = ", ".join(f"``{q.split('.', 1)[1]}``" for q in model.queries)
        body.extend(_short_doc(f"Input row of {used_by} (COPY, in this column order)."))

        body.append("")
        for col in model.columns:
            if mapper.is_json(col.type_oid):
                ann = mapper.json_param(imports)
            else:
                ann = mapper.annotation(col.type_oid, imports)
            if col.nullable:
                ann = f"{ann} | None"
            body.append(f"    {py_name(col.name)}: {ann}")
        body.append("")
        body.append("")
    if secret_columns:
        # Lets translate_error mask these columns' values (registry_sql/secrets.py).
        imports.add("from registry_sql.secrets import register_secret_columns")
        for table, columns in sorted(secret_columns.items()):
            body.append(f"register_secret_columns({_dq(table)}, {tuple(columns)!r})")
        body.append("")
        body.append("")
    if models:
        imports.add("from typing import Final")
        body.append("#: Row models by name, for aiosql's ``record_classes=`` (the SQL files name")
        body.append("#: them with ``-- record_class: <Name>``).")
        body.append("RECORD_CLASSES: Final[dict[str, type[BaseModel]]] = {")
        body.extend(f"    {_dq(name)}: {name}," for name in models)
        body.append("}")
        body.append("")
        body.append("")
    if checks:
        imports.add("from registry_sql.errors import register_check_messages")
        # The COMMENT ON CONSTRAINT sentences of the migrations, for translate_error.
        body.append(f"register_check_messages(\n    {_dq(schema)},\n    {{")
        for name, (field_name, sentence) in sorted(checks.items()):
            body.append(f"        {_dq(name)}: (")
            body.append(f"            {_dq(field_name) if field_name else 'None'},")
            body.append(f"            {string_expr(sentence, 12)},")
            body.append("        ),")
        body.append("    },\n)")
        body.append("")
        body.append("")
    # Enum classes of this schema are defined here, not imported.
    imports.lines = {
        ln
        for ln in imports.lines
        if not (
            ln.startswith(f"from registry_sql.{schema}.models import ")
            and ln.split(" import ")[1] in enum_names
        )
    }
    imports.lines = _merge_from_imports(imports.lines)
    doc = f'"""Row models and enums of the ``{schema}`` schema."""\n\n'
    return (
        header(f"sql/{schema}/*.sql and the migrated schema")
        + doc
        + imports.render()
        + "\n\n"
        + "\n".join(body).rstrip()
        + "\n"
    )


MAX_LINE = 100
_RESERVED_MODULES = {"models", "aio", "__init__"}


def module_name(stem: str) -> str:
    """The Python module of ``sql/<schema>/<stem>.sql``: the stem, unless a generated module of
    the package already has that name (``models.sql`` becomes ``models_queries``)."""
    name = py_name(stem)
    return f"{name}_queries" if name in _RESERVED_MODULES else name


def sql_const(q: DescribedQuery) -> str:
    return q.source.name.upper()


def wants_stream(q: DescribedQuery) -> bool:
    return q.source.stream


def _split_words(text: str, width: int) -> list[str]:
    """``text`` cut at spaces into pieces of at most ``width`` characters (each keeps its
    trailing space, so joining them gives ``text`` back)."""
    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<= )", text):
        if current and len(current) + len(word) > width:
            pieces.append(current)
            current = ""
        current += word
    if current:
        pieces.append(current)
    return pieces


def string_expr(text: str, indent: int) -> str:
    """A string literal for ``text`` that fits in MAX_LINE at ``indent``: implicit
    concatenation over several lines (inside the caller's brackets) when it is long."""
    literal = _dq(text)
    if indent + len(literal) + 2 <= MAX_LINE:
        return literal
    pad = " " * indent
    parts = _split_words(text, MAX_LINE - indent - 4)
    return ("\n" + pad).join(_dq(part) for part in parts)


def _dq(text: str) -> str:
    """A double-quoted Python literal (ruff format's quote style)."""
    body = repr(text)[1:-1]
    if repr(text).startswith('"'):
        return repr(text)
    return '"' + body.replace("\\'", "'").replace('"', '\\"') + '"'


def _wrap_comment(line: str) -> list[str]:
    """A long ``--`` line as several (the text after ``--`` continues on ``--   `` lines)."""
    if len(line) <= MAX_LINE:
        return [line]
    lead = line[: len(line) - len(line.lstrip())]
    body = line.strip()[2:].lstrip()
    out: list[str] = []
    prefix = f"{lead}-- "
    for piece in _split_words(body, MAX_LINE - len(prefix) - 2):
        out.append(f"{prefix}{piece.rstrip()}")
        prefix = f"{lead}--   "
    return out


def sql_text(q: DescribedQuery) -> str:
    """What the generated function executes: the query's header (``-- name:`` line and
    comments, as in the file) and its SQL, with ``:name`` → ``%(name)s`` for psycopg."""
    src = q.source
    if src.is_copy:
        body = src.sql
        header = src.header
    else:
        body = src.sql_for_psycopg()
        header = src.header.replace("%", "%%")  # psycopg reads % everywhere, comments included
    lines: list[str] = []
    for line in header.splitlines():
        lines.extend(_wrap_comment(line) if line.strip().startswith("--") else [line])
    for number, line in enumerate(body.splitlines(), start=src.body_line):
        if len(line) > MAX_LINE:
            raise RenderError(
                f"{src.relpath}:{number}: {src.qualified_name}: this SQL line is "
                f"{len(line)} characters once parameters become %(name)s; break it before "
                f"{MAX_LINE - 6} characters (generated code keeps lines within {MAX_LINE})"
            )
        lines.append(line)
    return "\n".join(lines)


def variant_sql_text(src: QuerySource, mask: int) -> str:
    """One variant of a query with optional blocks, as psycopg runs it: a one-line header that
    names the query and the blocks kept (it shows in ``pg_stat_statements`` and the server log),
    then the SQL without the dropped blocks."""
    lines = _wrap_comment(f"-- name: {src.name} [{mask}: {src.variant_label}]")
    for number, line in enumerate(src.sql_for_psycopg().splitlines(), start=src.body_line):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise RenderError(
                f"{src.relpath}:{number}: {src.display_name}: this SQL line is "
                f"{len(line)} characters once parameters become %(name)s; break it before "
                f"{MAX_LINE - 6} characters (generated code keeps lines within {MAX_LINE})"
            )
        lines.append(line.rstrip())
    return "\n".join(lines)


def _variants_constant(q: DescribedQuery) -> list[str]:
    """``NAME: Final = (variant 0, variant 1, ...)``: index = mask of the blocks kept."""
    out = [f"{sql_const(q)}: Final = ("]
    for mask, variant in enumerate(q.variants):
        out.append(f"    {_sql_literal(variant_sql_text(variant, mask))},")
    out.append(")")
    return out


def _blocks_literal(q: DescribedQuery) -> str:
    return "(" + "".join(_str_tuple(b.params) + ", " for b in q.source.blocks) + ")"


def _sql_literal(sql: str) -> str:
    if '"""' not in sql and "\\" not in sql:
        return '"""\\\n' + sql + '\n"""'
    if '"""' not in sql and not sql.endswith("\\"):
        return 'r"""\n' + sql + '\n"""'
    return repr(sql)


def _param_sig(q: DescribedQuery, mapper: TypeMapper, imports: Imports) -> list[str]:
    parts = []
    for p in q.params:
        ann = mapper.annotation(p.type_oid, imports, for_param=True)
        name = py_name(p.name)
        if p.optional:
            parts.append(f"{name}: {ann} | None = None")
        else:
            parts.append(f"{name}: {ann}")
    return parts


def _str_tuple(values: tuple[str, ...]) -> str:
    """A tuple of string literals, long ones as implicit concatenations of short pieces (ruff
    format puts each piece on its own line, so no generated line passes MAX_LINE)."""
    items = []
    for value in values:
        pieces = [value[i : i + 50] for i in range(0, len(value), 50)] or [""]
        items.append(" ".join(_dq(piece) for piece in pieces))
    return "(" + "".join(f"{item}, " for item in items) + ")"


def _param_dict(q: DescribedQuery, mapper: TypeMapper, imports: Imports) -> str:
    items = []
    for p in q.params:
        value = py_name(p.name)
        if mapper.is_json(p.type_oid):
            imports.add("from psycopg.types.json import Jsonb")
            value = (
                f"None if {value} is None else Jsonb({value})" if p.optional else f"Jsonb({value})"
            )
        elif mapper.is_array(p.type_oid):
            value = (
                f"None if {value} is None else list({value})" if p.optional else f"list({value})"
            )
        elif p.secret is not None:
            # Checked client-side and masked in repr: see registry_sql/secrets.py.
            imports.add("from registry_sql.secrets import secret_param")
            f = p.secret
            value = (
                f"secret_param({value}, query={_dq(q.source.qualified_name)}, "
                f"name={_dq(p.name)}, formats={_str_tuple(f.formats)}, "
                f"max_length={f.max_length!r}, "
                f"constraint={f.constraint!r}, table={f.table!r})"
            )
        items.append(f"{_dq(p.name)}: {value}")
    return "{" + ", ".join(items) + "}"


def _return_annotation(q: DescribedQuery, mapper: TypeMapper, imports: Imports) -> str:
    op = q.source.op
    if op == "!":
        return "int"
    if op == "$":
        if len(q.columns) != 1:
            raise RenderError(
                f"{q.source.location}: {q.source.qualified_name} uses `$` (one value) but returns "
                f"{len(q.columns)} columns; return exactly one"
            )
        col = q.columns[0]
        ann = mapper.annotation(col.type_oid, imports)
        return f"{ann} | None" if col.nullable and ann != "None" else ann
    model = model_for(q)
    if op == "":
        return f"list[{model}]"
    if op == "^" and not q.source.name.startswith("get_"):
        return f"{model} | None"
    return model


def _raises_not_found(q: DescribedQuery) -> bool:
    op = q.source.op
    return op == "<!" or (op == "^" and q.source.name.startswith("get_"))


def always_returns_a_row(sql: str) -> bool:
    """An ``INSERT ... VALUES ... RETURNING`` that no conflict clause can skip: it returns its
    row or fails, so its function never raises NotFound."""
    from pglast import parser

    try:
        tree = json.loads(parser.parse_sql_json(sql))
    except Exception:  # pglast.parser.ParseError: describe would have failed first
        return False
    stmts = tree.get("stmts", [])
    if len(stmts) != 1:
        return False
    insert = stmts[0]["stmt"].get("InsertStmt")
    if insert is None:
        return False
    select = (insert.get("selectStmt") or {}).get("SelectStmt") or {}
    if len(select.get("valuesLists", [])) != 1:
        return False
    conflict = insert.get("onConflictClause")
    if conflict is None:
        return True
    return conflict.get("action") == "ONCONFLICT_UPDATE" and "whereClause" not in conflict


def _doc_lines(text: str, indent: str, first_prefix: str) -> list[str]:
    """Docstring lines within MAX_LINE: long lines are re-wrapped at spaces."""
    out: list[str] = []
    for number, line in enumerate(text.splitlines()):
        lead = indent + (first_prefix if number == 0 else "")
        if not line:
            out.append("")
            continue
        # MAX_LINE - 3: room for closing quotes, which ruff format moves onto a last short line.
        if len(lead) + len(line) <= MAX_LINE - 3:
            out.append(lead + line)
            continue
        pieces = textwrap.wrap(line, width=MAX_LINE - 3 - len(lead), break_on_hyphens=False)
        out.append(lead + pieces[0])
        out.extend(indent + piece for piece in pieces[1:])
    return out


def _short_doc(text: str) -> list[str]:
    """A class docstring: on one line when it fits, else wrapped with the quotes on their own."""
    if len(text) + 10 <= MAX_LINE:
        return [f'    """{text}"""']
    return [*_doc_lines(text, "    ", '"""'), '    """']


def _docstring(q: DescribedQuery, indent: str) -> list[str]:
    src = q.source
    lines = src.doc.splitlines()
    text = [lines[0]]
    if len(lines) > 1:
        text.append("")
        text.extend(lines[1:])
    text.append("")
    text.append(f"SQL: ``{src.location}`` (``{src.name}{src.op}``).")
    if src.blocks:
        groups = "; ".join(", ".join(b.params) for b in src.blocks)
        text.append(
            f"Optional filters (a block each, kept when given): {groups}. Each combination is "
            "its own statement."
        )
    if src.is_copy:
        text.append("Rows are streamed (any iterable, constant memory); returns the count.")
    elif src.op == "<!" and always_returns_a_row(src.sql_for_describe()):
        text.append("Returns the new row.")
    elif _raises_not_found(q):
        text.append("Raises ``NotFound`` when no row matches.")
    out = _doc_lines("\n".join(text), indent, '"""')
    out.append(f'{indent}"""')
    return out


_SECRET_WORDS = ("hash", "password", "secret", "token", "key")


def _not_found_keys(q: DescribedQuery, mapper: TypeMapper) -> tuple[str, ...]:
    """Parameters a NotFound message may show: never secrets, JSON documents or arrays."""
    return tuple(
        p.name
        for p in q.params
        if not any(word in p.name for word in _SECRET_WORDS)
        and not mapper.is_json(p.type_oid)
        and not mapper.is_array(p.type_oid)
    )


def header(src: str) -> str:
    return (
        f"# Generated by registry-sql {__version__} (`registry-sql generate`)\n# from {src}.\n"
        "# DO NOT EDIT: change the SQL, then run `registry-sql generate`;\n"
        "# `registry-sql check` fails when this file is stale.\n"
    )


def _signature(name: str, d: str, sig_parts: list[str], ret: str) -> list[str]:
    one_line = f"{d} {name}({', '.join(sig_parts)}) -> {ret}:"
    if len(one_line) <= MAX_LINE:
        return [one_line]
    return [f"{d} {name}(", *(f"    {part}," for part in sig_parts), f") -> {ret}:"]


def render_query_module(
    schema: str,
    stem: str,
    queries: list[DescribedQuery],
    mapper: TypeMapper,
    *,
    asynchronous: bool,
) -> str:
    """The functions of one SQL file: each query's SQL constant (sync module) right above its
    function; the async module imports the constants from the sync one."""
    imports = Imports()
    imports.add("from __future__ import annotations")
    imports.add("from typing import Any")
    imports.add("import psycopg")
    body: list[str] = []
    conn_type = "psycopg.AsyncConnection[Any]" if asynchronous else "psycopg.Connection[Any]"
    prefix = "a" if asynchronous else ""
    ret_kw = "return await" if asynchronous else "return"
    d = "async def" if asynchronous else "def"
    module = module_name(stem)
    if not asynchronous:
        imports.add("from typing import Final")
    for q in queries:
        if q.source.op in ("#", "*!"):
            continue
        src = q.source
        const = sql_const(q)
        if asynchronous:
            imports.add(f"from registry_sql.{schema}.{module} import {const}")
        elif q.variants:
            body.extend(_variants_constant(q))
            body.append("")
            body.append("")
        else:
            body.append(f"{const}: Final = {_sql_literal(sql_text(q))}")
            body.append("")
            body.append("")
        if src.is_copy:
            body.extend(_render_copy(q, schema, conn_type, asynchronous, mapper, imports))
            continue
        ret = _return_annotation(q, mapper, imports)
        sig_parts = [f"conn: {conn_type}"]
        if q.params:
            sig_parts += ["*", *_param_sig(q, mapper, imports)]
        params = _param_dict(q, mapper, imports)
        qname = _dq(f"{schema}.{src.name}")
        body.extend(_signature(src.name, d, sig_parts, ret))
        body.extend(_docstring(q, "    "))
        prelude: list[str] = []
        if q.variants:
            # One statement per combination of optional blocks: pick it from what was given.
            imports.add("from registry_sql.optional import choose_variant")
            prelude = [
                f"    _params: dict[str, Any] = {params}",
                f"    _sql = {const}[choose_variant({qname}, _params, {_blocks_literal(q)})]",
            ]
            body.extend(prelude)
            params, const = "_params", "_sql"
        op = src.op
        keys = _not_found_keys(q, mapper)
        keys_arg = ", (" + "".join(f"{_dq(k)}, " for k in keys) + ")" if keys else ""
        if op in ("", "^", "<!"):
            model = model_for(q)
            imports.add(f"from registry_sql.{schema}.models import {model}")
            if op == "":
                helper, extra = "fetch_all", ""
            elif _raises_not_found(q):
                helper, extra = "fetch_one", keys_arg
            else:
                helper, extra = "fetch_optional", ""
            imports.add(f"from registry_sql.execute import {prefix}{helper}")
            call = f"{prefix}{helper}(conn, {const}, {params}, {model}, {qname}{extra})"
        elif op == "$":
            imports.add(f"from registry_sql.execute import {prefix}fetch_value")
            imports.add("from typing import cast")
            inner = f"{prefix}fetch_value(conn, {const}, {params}, {qname}{keys_arg})"
            if asynchronous:
                inner = f"await {inner}"
            body.append(f"    return cast({_dq(ret)}, {inner})")
            body.append("")
            body.append("")
            continue
        else:  # "!"
            imports.add(f"from registry_sql.execute import {prefix}execute")
            call = f"{prefix}execute(conn, {const}, {params}, {qname})"
        body.append(f"    {ret_kw} {call}")
        body.append("")
        body.append("")
        if wants_stream(q):
            body.extend(
                _render_stream(q, sig_parts, params, qname, const, asynchronous, imports, prelude)
            )
    imports.lines = _merge_from_imports(imports.lines)
    relpath = queries[0].source.relpath
    kind = "Asynchronous" if asynchronous else "Typed"
    doc = (
        f'"""{kind} functions for the queries of ``{relpath}``.\n\n'
        "Every function takes an open connection first; the caller owns the transaction.\n"
        '"""\n\n'
    )
    gap = "\n" if asynchronous else ""  # isort: one blank line before a constant, two before a def
    return header(relpath) + doc + imports.render() + gap + "\n" + "\n".join(body).rstrip() + "\n"


def _render_copy(
    q: DescribedQuery,
    schema: str,
    conn_type: str,
    asynchronous: bool,
    mapper: TypeMapper,
    imports: Imports,
) -> list[str]:
    """``name(conn, rows)``: stream any iterable of input rows through COPY; returns the count."""
    model = model_for(q)
    imports.add(f"from registry_sql.{schema}.models import {model}")
    imports.add("from collections.abc import Iterable")
    rows_type = f"Iterable[{model}]"
    if asynchronous:
        imports.add("from collections.abc import AsyncIterable")
        rows_type = f"Iterable[{model}] | AsyncIterable[{model}]"
    helper = "acopy_rows" if asynchronous else "copy_rows"
    imports.add(f"from registry_sql.execute import {helper}")
    const = sql_const(q)
    d = "async def" if asynchronous else "def"
    ret_kw = "return await" if asynchronous else "return"
    oids = copy_type_oids(q, mapper.intro)
    qname = _dq(f"{schema}.{q.source.name}")
    out = _signature(q.source.name, d, [f"conn: {conn_type}", f"rows: {rows_type}"], "int")
    out.extend(_docstring(q, "    "))
    out.append(f"    {ret_kw} {helper}(conn, {const}, rows, {oids!r}, {qname})")
    out += ["", ""]
    return out


def _render_stream(
    q: DescribedQuery,
    sig_parts: list[str],
    params: str,
    qname: str,
    const: str,
    asynchronous: bool,
    imports: Imports,
    prelude: list[str] | None = None,
) -> list[str]:
    """``stream_<name>``: the same query through a server-side cursor, for unbounded results."""
    model = model_for(q)
    # A closeable iterator: `with`, contextlib.closing()/aclosing() and .close()/.aclose().
    iterator = "AsyncStream" if asynchronous else "Stream"
    helper = "astream" if asynchronous else "stream"
    imports.add(f"from registry_sql.execute import {iterator}, {helper}")
    parts = [*sig_parts, *([] if q.params else ["*"]), "batch_size: int = 1000"]
    name = f"stream_{q.source.name}"
    out = _signature(name, "def", parts, f"{iterator}[{model}]")
    out += [
        f'    """Like ``{q.source.name}``, streamed through a server-side cursor in batches.',
        "",
        "    For results too large to hold in memory. Breaking out early is safe; close it",
        "    (``with``/``closing()``) to free the server-side cursor before the transaction ends.",
        '    """',
        *(prelude or []),
        f"    return {helper}(conn, {const}, {params}, {model}, {qname}, batch_size)",
        "",
        "",
    ]
    return out


def exported_functions(queries: list[DescribedQuery]) -> list[str]:
    funcs = [q.source.name for q in queries if q.source.op not in ("#", "*!")]
    funcs += [f"stream_{q.source.name}" for q in queries if wants_stream(q)]
    return funcs


def render_init(
    schema: str,
    by_file: dict[str, list[DescribedQuery]],
    enums: list[PgType],
    models: dict[str, RowModel],
    *,
    asynchronous: bool = False,
) -> str:
    """``registry_sql.<schema>`` (row models, enums, sync functions) or
    ``registry_sql.<schema>.aio`` (async functions): one import per generated module."""
    names = [] if asynchronous else [pascal(e.name) for e in enums] + list(models)
    package = f"registry_sql.{schema}.aio" if asynchronous else f"registry_sql.{schema}"
    if asynchronous:
        doc = (
            f'"""Async twins of every function of ``registry_sql.{schema}``, sharing its row '
            'models."""\n'
        )
    else:
        doc = (
            f'"""Typed access to the ``{schema}`` schema: row models, enums and sync functions.\n\n'
            f"One module per SQL file of ``sql/{schema}/``: ``<file>.sql`` →\n"
            f"``{package}.<file>``; async twins in ``{package}.aio``.\n"
            "Everything is re-exported here.\n"
            '"""\n'
        )
    lines = [header(f"sql/{schema}/*.sql"), doc, "from __future__ import annotations", ""]
    blocks: dict[str, list[str]] = {}
    if names:
        blocks[f"registry_sql.{schema}.models"] = names
    everything = list(names)
    for stem, queries in by_file.items():
        funcs = exported_functions(queries)
        if funcs:
            everything += funcs
            blocks[f"{package}.{module_name(stem)}"] = funcs
    for module in sorted(blocks, key=str.lower):
        lines.append(f"from {module} import (")
        lines.extend(f"    {n}," for n in sorted(blocks[module], key=name_key))
        lines.append(")")
    lines.append("")
    lines.append("__all__ = [")
    lines.extend(f"    {_dq(n)}," for n in sorted(everything))
    lines.append("]")
    return "\n".join(lines) + "\n"
