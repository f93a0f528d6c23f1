"""Reading named queries from ``sql/<schema>/*.sql`` with aiosql's own loader.

aiosql parses the files (names, operation suffixes, declared parameters, doc comments); this module
turns each query into a :class:`QuerySource` and rewrites its ``:name`` parameters two ways:
``$1, $2, ...`` for PostgreSQL to describe, and ``%(name)s`` (with literal ``%`` doubled) for
psycopg to execute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiosql.adapters.generic import GenericAdapter
from aiosql.query_loader import QueryLoader
from aiosql.types import SQLOperationType
from aiosql.utils import VAR_REF, SQLLoadException, SQLParseException

from registry_sql.errors import RegistrySqlError
from registry_sql.paths import schema_names

OPS: dict[SQLOperationType, str] = {
    SQLOperationType.SELECT: "",
    SQLOperationType.SELECT_ONE: "^",
    SQLOperationType.SELECT_VALUE: "$",
    SQLOperationType.INSERT_UPDATE_DELETE: "!",
    SQLOperationType.INSERT_RETURNING: "<!",
    SQLOperationType.INSERT_UPDATE_DELETE_MANY: "*!",
    SQLOperationType.SCRIPT: "#",
}

_ROW_DIRECTIVE = re.compile(
    r"^\s*(?P<kw>record_class|row)\s*:\s*(?P<name>[A-Z][A-Za-z0-9_]*)\s*$"
)
_STREAM_DIRECTIVE = re.compile(r"^\s*stream\s*:\s*(?P<value>\w+)\s*$", re.I)
_NAME_LINE = re.compile(r"^\s*--\s*name\s*:\s*(?P<name>\w+)")
_COPY_FROM_STDIN = re.compile(r"^\s*COPY\s.*\sFROM\s+STDIN\b", re.I | re.S)
_NULL_OVERRIDE = re.compile(r'"(?P<col>[A-Za-z_][A-Za-z0-9_]*)(?P<mark>[!?])"')
_PLAN_DIRECTIVE = re.compile(r"^\s*plan\s*:\s*(?P<rule>.*?)\s*$", re.I)
_BLOCK = re.compile(r"/\*\?(?P<body>.*?)\?\*/", re.S)
# /* ... */ comments other than optional blocks (aiosql drops them; so do we).
_PLAIN_COMMENT = re.compile(
    r"(?P<squote>'(?:''|[^'])*')|(?P<dquote>\"(?:\"\"|[^\"])+\")|(?P<comment>/\*(?![?+])[\s\S]*?\*/)"
)

MAX_VARIANTS = 32
"""How many variants (2 ** optional blocks) one query may have: 5 optional blocks."""


class QuerySourceError(RegistrySqlError):
    """A query file that aiosql or our conventions reject."""


@dataclass(frozen=True)
class PlanRule:
    """A ``-- plan:`` line: what the query's generic plan must respect (see codegen/plans.py)."""

    text: str
    line: int
    """Line of the ``-- plan:`` directive in the file."""


@dataclass(frozen=True)
class OptionalBlock:
    """A ``/*? ... ?*/`` block: kept when every parameter in it is given (not None)."""

    params: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class QuerySource:
    schema: str
    name: str
    op: str
    doc: str
    row_model: str | None
    params: tuple[str, ...]
    sql: str
    path: Path
    line: int
    """Line of the ``-- name:`` header in ``path``."""
    body_line: int
    """Line where the SQL text starts."""
    relpath: str
    nullability_overrides: dict[str, bool] = field(default_factory=dict)
    """Result column name → True (``"col!"``, not null) / False (``"col?"``, nullable)."""
    stream: bool = False
    """``-- stream: yes``: also generate ``stream_<name>`` (server-side cursor, batches)."""
    row_directive: str = "record_class"
    """How the file named the row model: ``record_class:`` (aiosql's) or ``row:``."""
    header: str = ""
    """The ``-- name:`` line and the comment lines under it, as written in the file."""
    plan_rules: tuple[PlanRule, ...] = ()
    """``-- plan:`` budgets of the query's generic plan (``registry-sql check --plans``)."""
    blocks: tuple[OptionalBlock, ...] = ()
    """Optional ``/*? ... ?*/`` blocks, in order (bit i of a variant mask = block i kept)."""
    variant_label: str = ""
    """For one variant of a query with optional blocks: which blocks it keeps."""

    @property
    def display_name(self) -> str:
        """The qualified name, with the variant when this is one variant of a query."""
        if self.variant_label:
            return f"{self.qualified_name} [{self.variant_label}]"
        return self.qualified_name

    @property
    def variant_count(self) -> int:
        return 1 << len(self.blocks)

    def variant(self, mask: int) -> QuerySource:
        """The query with block i kept when bit i of ``mask`` is set, dropped otherwise.

        Dropped and kept blocks leave their line breaks in place, so PostgreSQL's error positions
        still map to lines of the file.
        """
        index = 0

        def repl(match: re.Match[str]) -> str:
            nonlocal index
            keep = bool(mask & (1 << index))
            index += 1
            newlines = match.group(0).count("\n")
            if not keep:
                return "\n" * newlines
            body = match.group("body").strip()
            return body + "\n" * (newlines - body.count("\n"))

        sql = _BLOCK.sub(repl, self.sql)
        kept = [b for i, b in enumerate(self.blocks) if mask & (1 << i)]
        label = "with " + "; ".join(", ".join(b.params) for b in kept) if kept else "no optional"
        used = set(_param_order(sql))
        return replace(
            self,
            sql=sql,
            params=tuple(p for p in self.params if p in used),
            blocks=(),
            variant_label=label,
        )

    @property
    def is_copy(self) -> bool:
        """``COPY <table> (<columns>) FROM STDIN``: bulk ingest, ``name(conn, rows)``."""
        return _COPY_FROM_STDIN.match(self.sql) is not None

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def location(self) -> str:
        return f"{self.relpath}:{self.line}"

    def sql_for_describe(self) -> str:
        """The SQL with ``:name`` → ``$n`` (n in order of first use) and overrides stripped."""
        index = {name: i + 1 for i, name in enumerate(self.params)}

        def repl(match: re.Match[str]) -> str:
            groups = match.groupdict()
            if groups["dquote"] is not None:
                return _strip_override(groups["dquote"])
            if groups["squote"] is not None:
                return groups["squote"]
            return f"{groups['lead']}${index[groups['var_name']]}"

        return VAR_REF.sub(repl, self.sql)

    def sql_for_psycopg(self) -> str:
        """The SQL with ``:name`` → ``%(name)s``, literal ``%`` doubled, overrides stripped."""

        def repl(match: re.Match[str]) -> str:
            groups = match.groupdict()
            if groups["dquote"] is not None:
                return _strip_override(groups["dquote"]).replace("%", "%%")
            if groups["squote"] is not None:
                return groups["squote"].replace("%", "%%")
            return f"{groups['lead']}%({groups['var_name']})s"

        # Escape % outside quotes and parameters, then substitute: VAR_REF matches quoted text
        # and parameters; everything between matches is plain SQL.
        out: list[str] = []
        pos = 0
        for match in VAR_REF.finditer(self.sql):
            out.append(self.sql[pos : match.start()].replace("%", "%%"))
            out.append(repl(match))
            pos = match.end()
        out.append(self.sql[pos:].replace("%", "%%"))
        return "".join(out)


def _strip_override(dquoted: str) -> str:
    match = _NULL_OVERRIDE.fullmatch(dquoted)
    return f'"{match.group("col")}"' if match else dquoted


def _param_order(sql: str) -> tuple[str, ...]:
    names: list[str] = []
    for match in VAR_REF.finditer(sql):
        groups = match.groupdict()
        if groups["dquote"] is not None or groups["squote"] is not None:
            continue
        name = groups["var_name"]
        if not name.isdigit() and name not in names:
            names.append(name)
    return tuple(names)


def _declared_order(declared: list[str] | None, used: tuple[str, ...]) -> tuple[str, ...]:
    """Parameters in the order the header declares them (aiosql checked both sets match)."""
    if declared is None:
        return used
    return tuple(name for name in declared if name in used)


def _overrides(sql: str) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for match in VAR_REF.finditer(sql):
        dq = match.groupdict()["dquote"]
        if dq is None:
            continue
        ov = _NULL_OVERRIDE.fullmatch(dq)
        if ov:
            found[ov.group("col")] = ov.group("mark") == "!"
    return found


def _header_lines(path: Path) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _NAME_LINE.match(text)
        if match:
            name = match.group("name").replace("-", "_")
            if name in lines:
                raise QuerySourceError(
                    f"{path}:{number}: query name {name!r} is defined twice in this file "
                    f"(first at line {lines[name]})"
                )
            lines[name] = number
    return lines


def _error_line(path: Path, message: str) -> int:
    """The line an aiosql parse error is about: the header of the query its message names
    (e.g. "undeclared parameter name in query get_y: b"), else the file's first line."""
    try:
        headers = _header_lines(path)
    except QuerySourceError:
        return 1
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message):
        if word in headers:
            return headers[word]
    return 1


def _body_line(path: Path, header: int) -> int:
    text = path.read_text(encoding="utf-8").splitlines()
    line = header + 1
    while line <= len(text) and text[line - 1].strip().startswith("--"):
        line += 1
    while line <= len(text) and not text[line - 1].strip():
        line += 1
    return line


def _header_text(path: Path, header: int) -> str:
    """The ``-- name:`` line and every comment line under it, up to the SQL text."""
    text = path.read_text(encoding="utf-8").splitlines()
    end = _body_line(path, header) - 1
    lines = text[header - 1 : end]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def _comment_lines(header: str) -> list[str]:
    """The text of each ``--`` line of a header, without the ``--``."""
    return [
        line.strip()[2:] for line in header.splitlines() if line.strip().startswith("--")
    ]


def load_schema(sql_root: Path, schema: str) -> list[QuerySource]:
    """Every query of ``sql_root/<schema>/*.sql``, sorted by file then position."""
    folder = sql_root / schema
    loader = QueryLoader(GenericAdapter(), None)  # type: ignore[no-untyped-call]
    queries: list[QuerySource] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.sql")):
        relpath = f"{sql_root.name}/{schema}/{path.name}"
        _check_blocks_closed(path, relpath)
        try:
            data = loader.load_query_data_from_file(path, [])
        except (SQLParseException, SQLLoadException) as exc:
            raise QuerySourceError(f"{relpath}:{_error_line(path, str(exc))}: {exc}") from exc
        headers = _header_lines(path)
        for datum in data:
            name = datum.query_name
            line = headers.get(name, 1)
            if name in seen:
                raise QuerySourceError(
                    f"{relpath}:{line}: query {schema}.{name} is also defined in {seen[name]}"
                )
            seen[name] = f"{relpath}:{line}"
            op = OPS[datum.operation_type]
            doc_lines: list[str] = []
            row_model: str | None = None
            row_directive = "record_class"
            stream = False
            plan_rules: list[PlanRule] = []
            header = _header_text(path, line)
            for offset, doc_line in enumerate(_comment_lines(header)[1:], start=1):
                directive = _ROW_DIRECTIVE.match(doc_line)
                streaming = _STREAM_DIRECTIVE.match(doc_line)
                plan = _PLAN_DIRECTIVE.match(doc_line)
                if plan:
                    from registry_sql.codegen.plans import parse_rule

                    rule = PlanRule(plan.group("rule"), line + offset)
                    problem = parse_rule(rule.text)
                    if isinstance(problem, str):
                        raise QuerySourceError(
                            f"{relpath}:{rule.line}: query {schema}.{name}: {problem}"
                        )
                    plan_rules.append(rule)
                elif directive:
                    row_model = directive.group("name")
                    row_directive = directive.group("kw")
                elif streaming:
                    value = streaming.group("value").lower()
                    if value not in ("yes", "no"):
                        raise QuerySourceError(
                            f"{relpath}:{line}: query {schema}.{name}: `stream: {value}`; "
                            "write `-- stream: yes` (or leave the line out)"
                        )
                    stream = value == "yes"
                else:
                    doc_lines.append(doc_line.strip())
            doc = "\n".join(doc_lines).strip()
            if not doc:
                raise QuerySourceError(
                    f"{relpath}:{line}: query {schema}.{name} has no description; add a comment "
                    "line under the `-- name:` header saying what it does"
                )
            sql = datum.sql.strip().rstrip(";").strip()
            params = _declared_order(datum.parameters, _param_order(sql))
            blocks: tuple[OptionalBlock, ...] = ()
            raw = _raw_sql(path, _body_line(path, line), headers)
            if "/*?" in raw:
                sql = raw
                blocks = _blocks(sql, params, f"{relpath}:{line}: query {schema}.{name}",
                                 _body_line(path, line))
                params = _param_order(_BLOCK.sub(lambda m: m.group("body"), sql))
            if stream and op != "":
                raise QuerySourceError(
                    f"{relpath}:{line}: query {schema}.{name}: `stream: yes` needs a many-row "
                    f"query (no suffix), not `{op}`"
                )
            queries.append(
                QuerySource(
                    schema=schema,
                    name=name,
                    op=op,
                    doc=doc,
                    row_model=row_model,
                    params=params,
                    sql=sql,
                    path=path,
                    line=line,
                    body_line=_body_line(path, line),
                    relpath=relpath,
                    nullability_overrides=_overrides(sql),
                    stream=stream,
                    row_directive=row_directive,
                    header=header,
                    plan_rules=tuple(plan_rules),
                    blocks=blocks,
                )
            )
    return queries


def _check_blocks_closed(path: Path, relpath: str) -> None:
    """Every ``/*?`` of the file has its ``?*/`` (aiosql would otherwise read the rest of the
    file as a comment and report something else)."""
    text = path.read_text(encoding="utf-8")
    rest = _BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for marker in ("/*?", "?*/"):
        if marker in rest:
            line = rest[: rest.index(marker)].count("\n") + 1
            raise QuerySourceError(
                f"{relpath}:{line}: an optional block is not closed (or closed without being "
                "opened): write `/*? AND col = :value ?*/`"
            )


def _raw_sql(path: Path, body_line: int, headers: dict[str, int]) -> str:
    """The query's SQL as written (``/*? ?*/`` blocks kept; aiosql drops every ``/* */``):
    from its first SQL line to the next ``-- name:`` header, without whole-line ``--``
    comments and other ``/* */`` comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    end = min((h for h in headers.values() if h > body_line), default=len(lines) + 1)
    kept = [ln for ln in lines[body_line - 1 : end - 1] if not ln.strip().startswith("--")]
    text = "\n".join(kept)

    def repl(match: re.Match[str]) -> str:
        if match.group("comment") is not None:
            return "\n" * match.group("comment").count("\n")
        return match.group(0)

    return _PLAIN_COMMENT.sub(repl, text).strip().rstrip(";").strip()


def _blocks(
    sql: str, base: tuple[str, ...], where: str, body_line: int
) -> tuple[OptionalBlock, ...]:
    """The optional blocks of ``sql``, checked: each has a parameter of its own, none nests."""
    blocks: list[OptionalBlock] = []
    owner: dict[str, int] = {}
    for match in _BLOCK.finditer(sql):
        line = body_line + sql[: match.start()].count("\n")
        body = match.group("body")
        if "/*?" in body:
            raise QuerySourceError(
                f"{where}: an optional block opened at line {line} holds another `/*?`; "
                "blocks do not nest: close the first with `?*/` before opening the next"
            )
        names = _param_order(body)
        if not names:
            raise QuerySourceError(
                f"{where}: the optional block at line {line} has no parameter; a block is kept "
                "when its parameters are given, so it needs at least one (`:name`)"
            )
        for name in names:
            if name in base:
                raise QuerySourceError(
                    f"{where}: parameter {name} is used both inside the optional block at line "
                    f"{line} and outside any block; a block's parameters belong to it alone "
                    "(rename one of them)"
                )
            if name in owner:
                raise QuerySourceError(
                    f"{where}: parameter {name} is in two optional blocks (lines {owner[name]} "
                    f"and {line}); put the condition in one block"
                )
            owner[name] = line
        blocks.append(OptionalBlock(params=names, line=line))
    rest = _BLOCK.sub("", sql)
    if "/*?" in rest or "?*/" in rest:
        raise QuerySourceError(
            f"{where}: an optional block is not closed (or closed without being opened): "
            "write `/*? AND col = :value ?*/`"
        )
    if 1 << len(blocks) > MAX_VARIANTS:
        raise QuerySourceError(
            f"{where}: {len(blocks)} optional blocks make {1 << len(blocks)} variants, more than "
            f"the {MAX_VARIANTS} allowed (each variant is a statement of its own, described by "
            "`check` and prepared by the server); keep the rarely used filters as "
            "`(:x::type IS NULL OR col = :x)`, or split the query"
        )
    return tuple(blocks)


def schemas_in(sql_root: Path, migrations_root: Path | None = None) -> list[str]:
    """Schemas with a query folder in ``sql_root``, in dependency order (see
    :func:`registry_sql.paths.schema_names`: the order the migrations create them)."""
    return [
        name
        for name in schema_names(sql_root, migrations_root)
        if (sql_root / name).is_dir() and any((sql_root / name).glob("*.sql"))
    ]
