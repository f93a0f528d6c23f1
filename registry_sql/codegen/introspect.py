"""Asking PostgreSQL what a query takes and returns.

Each query is prepared and described through libpq (``PQprepare`` + ``PQdescribePrepared`` via
``conn.pgconn``): parameter type OIDs, result column names and type OIDs, and the table/column each
result column comes from. NOT NULL comes from ``pg_attribute.attnotnull``; the query is parsed with
pglast (PostgreSQL's own parser) to find the tables on the nullable side of outer joins and the
parameters that may be NULL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.pq import DiagnosticField, ExecStatus

from registry_sql.codegen.secrets import (
    SecretColumn,
    SecretFormat,
    load_secret_columns,
    param_format,
)
from registry_sql.codegen.source import QuerySource
from registry_sql.errors import RegistrySqlError


class PrepareError(RegistrySqlError):
    """A query that PostgreSQL refuses to prepare against the migrated schema."""


@dataclass(frozen=True)
class PgType:
    oid: int
    schema: str
    name: str
    kind: str  # pg_type.typtype: b base, e enum, d domain, c composite, p pseudo, r range
    category: str  # pg_type.typcategory: A array, ...
    elem: int  # element type for arrays
    base: int  # base type for domains
    labels: tuple[str, ...]  # enum labels, in sort order


@dataclass(frozen=True)
class Column:
    name: str
    type_oid: int
    nullable: bool
    secret: bool = False  # from a column marked [secret] (see codegen/secrets.py)


@dataclass(frozen=True)
class Param:
    name: str
    type_oid: int
    optional: bool
    # Named like a column marked [secret]: the format the generated code checks.
    secret: SecretFormat | None = None


@dataclass(frozen=True)
class DescribedQuery:
    source: QuerySource
    params: tuple[Param, ...]
    columns: tuple[Column, ...]
    variants: tuple[QuerySource, ...] = ()
    """A query with optional blocks: every variant (index = mask of the blocks kept), each
    described and proven to prepare."""


def _field(res: Any, code: DiagnosticField) -> str | None:
    value = res.error_field(code)
    return value.decode("utf-8", "replace") if value else None


def _prepare_error(source: QuerySource, sql: str, res: Any) -> PrepareError:
    sqlstate = _field(res, DiagnosticField.SQLSTATE)
    message = _field(res, DiagnosticField.MESSAGE_PRIMARY) or "prepare failed"
    detail = _field(res, DiagnosticField.MESSAGE_DETAIL)
    hint = _field(res, DiagnosticField.MESSAGE_HINT)
    position = _field(res, DiagnosticField.STATEMENT_POSITION)
    line = source.body_line
    if position and position.isdigit():
        # $n replacements keep line breaks where they were, so the line maps back to the file.
        line += sql[: int(position) - 1].count("\n")
    text = f"{source.relpath}:{line}: {source.display_name}: SQLSTATE {sqlstate}: {message}"
    if detail:
        text += f"\n    DETAIL: {detail}"
    if hint:
        text += f"\n    HINT: {hint}"
    err = PrepareError(text)
    err.sqlstate = sqlstate
    return err


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _param_number(node: Any) -> int | None:
    """The $n of a ParamRef, possibly wrapped in a cast."""
    if not isinstance(node, dict):
        return None
    if "ParamRef" in node:
        number = node["ParamRef"].get("number")
        return int(number) if number is not None else None
    if "TypeCast" in node:
        return _param_number(node["TypeCast"].get("arg"))
    return None


def _rangevars(node: Any, ctes: dict[str, Any]) -> Iterator[tuple[str | None, str]]:
    """Base relations (schema, name) inside ``node``, expanding references to CTEs."""
    for item in _walk(node):
        rv = item.get("RangeVar")
        if rv is None:
            continue
        schema, name = rv.get("schemaname"), rv["relname"]
        if schema is None and name in ctes:
            yield from _rangevars(ctes.pop(name), ctes)
        else:
            yield schema, name


@dataclass
class _Analysis:
    outer_relations: set[tuple[str | None, str]]
    optional_params: set[int]
    insert_targets: list[tuple[tuple[str | None, str], list[tuple[str, int]]]]
    update_targets: list[tuple[tuple[str | None, str], list[tuple[str, int]]]]


def _analyse(sql: str) -> _Analysis:
    from pglast import parser  # optional dependency: only code generation needs it

    tree = json.loads(parser.parse_sql_json(sql))
    ctes: dict[str, Any] = {}
    for item in _walk(tree):
        cte = item.get("CommonTableExpr")
        if cte is not None:
            ctes[cte["ctename"]] = cte.get("ctequery")

    outer: set[tuple[str | None, str]] = set()
    optional: set[int] = set()
    row_groups: list[set[int]] = []
    inserts: list[tuple[tuple[str | None, str], list[tuple[str, int]]]] = []
    updates: list[tuple[tuple[str | None, str], list[tuple[str, int]]]] = []
    for item in _walk(tree):
        join = item.get("JoinExpr")
        if join is not None:
            kind = join.get("jointype")
            sides = {
                "JOIN_LEFT": ["rarg"],
                "JOIN_RIGHT": ["larg"],
                "JOIN_FULL": ["larg", "rarg"],
            }.get(kind, [])
            for side in sides:
                outer.update(_rangevars(join.get(side), dict(ctes)))
        row = item.get("RowExpr")
        if row is not None:
            # A keyset cursor `(created_at, id) < (:after_ts, :after_id)`: the parameters of one
            # row constructor are given together, so one optional makes them all optional.
            group = {n for n in map(_param_number, row.get("args", [])) if n is not None}
            if len(group) > 1:
                row_groups.append(group)
        null_test = item.get("NullTest")
        if null_test is not None:
            number = _param_number(null_test.get("arg"))
            if number is not None:
                optional.add(number)
        coalesce = item.get("CoalesceExpr")
        if coalesce is not None:
            args = coalesce.get("args") or []
            number = _param_number(args[0]) if args else None
            if number is not None:
                optional.add(number)
        expr = item.get("A_Expr")
        if expr is not None and expr.get("kind") == "AEXPR_NULLIF":
            # NULLIF(:p, '') maps a value to NULL: the parameter may be NULL itself.
            number = _param_number(expr.get("lexpr"))
            if number is not None:
                optional.add(number)
        insert = item.get("InsertStmt")
        if insert is not None:
            rel = insert["relation"]
            target = (rel.get("schemaname"), rel["relname"])
            cols = [c["ResTarget"]["name"] for c in insert.get("cols", [])]
            select = (insert.get("selectStmt") or {}).get("SelectStmt") or {}
            pairs: list[tuple[str, int]] = []
            for values in select.get("valuesLists", []):
                items = values.get("List", {}).get("items", [])
                for col, value in zip(cols, items, strict=False):
                    number = _param_number(value)
                    if number is not None:
                        pairs.append((col, number))
            inserts.append((target, pairs))
        update = item.get("UpdateStmt")
        if update is not None:
            rel = update["relation"]
            target = (rel.get("schemaname"), rel["relname"])
            pairs = []
            for res in update.get("targetList", []):
                rt = res.get("ResTarget", {})
                number = _param_number(rt.get("val"))
                if number is not None and rt.get("name"):
                    pairs.append((rt["name"], number))
            updates.append((target, pairs))
    for group in row_groups:
        if group & optional:
            optional |= group
    return _Analysis(outer, optional, inserts, updates)


class Introspector:
    """Describes queries against one migrated database."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.types: dict[int, PgType] = {}
        self._notnull: dict[tuple[int, int], bool] = {}
        self._relations: dict[tuple[str | None, str], int | None] = {}
        self._columns_by_rel: dict[int, dict[str, bool]] = {}
        self._secrets: list[SecretColumn] | None = None

    @property
    def secrets(self) -> list[SecretColumn]:
        """The columns marked ``[secret]`` in the database (loaded once)."""
        if self._secrets is None:
            self._secrets = load_secret_columns(self.conn)
        return self._secrets

    # -- catalogue look-ups -------------------------------------------------------------------

    def pg_type(self, oid: int) -> PgType:
        if oid not in self.types:
            row = self.conn.execute(
                "SELECT t.oid::int, n.nspname, t.typname, t.typtype, t.typcategory,"
                " t.typelem::int, t.typbasetype::int,"
                " coalesce(array(SELECT e.enumlabel::text FROM pg_enum e"
                "   WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), '{}')"
                " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = %s",
                (oid,),
            ).fetchone()
            if row is None:
                raise RegistrySqlError(f"unknown type oid {oid}")
            self.types[oid] = PgType(
                oid=row[0],
                schema=row[1],
                name=row[2],
                kind=row[3],
                category=row[4],
                elem=row[5],
                base=row[6],
                labels=tuple(row[7]),
            )
            t = self.types[oid]
            for dep in (t.elem, t.base):
                if dep:
                    self.pg_type(dep)
        return self.types[oid]

    def _attnotnull(self, table: int, column: int) -> bool:
        key = (table, column)
        if key not in self._notnull:
            row = self.conn.execute(
                "SELECT a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)"
                " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                " WHERE a.attrelid = %s AND a.attnum = %s",
                (table, column),
            ).fetchone()
            self._notnull[key] = bool(row and row[0])
        return self._notnull[key]

    def _relation_oid(self, rel: tuple[str | None, str]) -> int | None:
        if rel not in self._relations:
            schema, name = rel
            qualified = f"{schema}.{name}" if schema else name
            row = self.conn.execute(
                "SELECT to_regclass(%s)::oid::int", (qualified,)
            ).fetchone()
            self._relations[rel] = row[0] if row else None
        return self._relations[rel]

    def _column_nullable(self, rel: tuple[str | None, str], column: str) -> bool | None:
        oid = self._relation_oid(rel)
        if oid is None:
            return None
        if oid not in self._columns_by_rel:
            self._columns_by_rel[oid] = {
                name: not notnull
                for name, notnull in self.conn.execute(
                    "SELECT attname::text, attnotnull FROM pg_attribute"
                    " WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped",
                    (oid,),
                )
            }
        return self._columns_by_rel[oid].get(column)

    # -- describing ---------------------------------------------------------------------------

    def describe_copy(self, source: QuerySource) -> DescribedQuery:
        """A ``COPY ... FROM STDIN``: its input columns, typed from ``pg_attribute``."""
        from pglast import parser

        try:
            tree = json.loads(parser.parse_sql_json(source.sql))
        except Exception as exc:  # pglast.parser.ParseError
            raise PrepareError(f"{source.relpath}:{source.body_line}: {source.qualified_name}: "
                               f"cannot parse the COPY statement: {exc}") from exc
        stmt = tree["stmts"][0]["stmt"].get("CopyStmt", {})
        rel = stmt.get("relation")
        if source.op != "!" or not rel or not stmt.get("is_from") or source.params:
            raise PrepareError(
                f"{source.location}: {source.qualified_name}: a COPY query must be "
                "`COPY <schema>.<table> (<columns>) FROM STDIN` with the `!` suffix and no "
                "parameters"
            )
        oid = self._relation_oid((rel.get("schemaname"), rel["relname"]))
        if oid is None:
            raise PrepareError(
                f"{source.location}: {source.qualified_name}: SQLSTATE 42P01: relation "
                f"\"{rel.get('schemaname')}.{rel['relname']}\" does not exist"
            )
        attrs = {
            name: (typid, notnull)
            for name, typid, notnull in self.conn.execute(
                "SELECT attname::text, atttypid::int, attnotnull FROM pg_attribute"
                " WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                (oid,),
            )
        }
        names = [item["String"]["sval"] for item in stmt.get("attlist", [])] or list(attrs)
        columns = []
        for name in names:
            if name not in attrs:
                raise PrepareError(
                    f"{source.location}: {source.qualified_name}: SQLSTATE 42703: column "
                    f"\"{name}\" of relation \"{rel['relname']}\" does not exist"
                )
            typid, notnull = attrs[name]
            self.pg_type(typid)
            columns.append(Column(name=name, type_oid=typid, nullable=not notnull))
        return DescribedQuery(source=source, params=(), columns=tuple(columns))

    def describe(self, source: QuerySource) -> DescribedQuery:
        if source.blocks:
            return self.describe_variants(source)
        return self._describe(source)

    def describe_variants(self, source: QuerySource) -> DescribedQuery:
        """Every variant of a query with optional blocks: each must prepare, return the same
        columns and type each parameter the same way. The function's parameters are those of
        the variant that keeps every block; a block's parameters are optional."""
        if source.is_copy or source.op not in ("", "^", "$", "!", "<!"):
            raise PrepareError(
                f"{source.location}: {source.qualified_name}: optional blocks need a query "
                "(select/insert/update/delete), not a COPY or a script"
            )
        variants = [source.variant(mask) for mask in range(source.variant_count)]
        described = [self._describe(v) for v in variants]
        full = described[-1]
        types = {p.name: p.type_oid for p in full.params}
        shape = [(c.name, c.type_oid) for c in full.columns]
        for variant, d in zip(variants, described, strict=True):
            if [(c.name, c.type_oid) for c in d.columns] != shape:
                raise PrepareError(
                    f"{source.location}: {variant.display_name} returns "
                    f"{[c.name for c in d.columns]} typed differently from the variant with "
                    "every block; optional blocks may filter, not change the result columns"
                )
            for p in d.params:
                if types[p.name] != p.type_oid:
                    raise PrepareError(
                        f"{source.location}: {variant.display_name}: parameter {p.name} is "
                        f"typed {self.pg_type(p.type_oid).name} here but "
                        f"{self.pg_type(types[p.name]).name} with every block; cast it "
                        f"(:{p.name}::type) so every variant agrees"
                    )
        in_blocks = {name for block in source.blocks for name in block.params}
        params = tuple(
            Param(p.name, p.type_oid, p.optional or p.name in in_blocks, p.secret)
            for p in full.params
        )
        columns = tuple(
            Column(
                c.name,
                c.type_oid,
                any(d.columns[i].nullable for d in described),
                c.secret,
            )
            for i, c in enumerate(full.columns)
        )
        return DescribedQuery(
            source=source, params=params, columns=columns, variants=tuple(variants)
        )

    def _describe(self, source: QuerySource) -> DescribedQuery:
        if source.is_copy:
            return self.describe_copy(source)
        sql = source.sql_for_describe()
        pgconn = self.conn.pgconn
        res = pgconn.prepare(b"", sql.encode("utf-8"))
        if res.status != ExecStatus.COMMAND_OK:
            raise _prepare_error(source, sql, res)
        desc = pgconn.describe_prepared(b"")
        if desc.status != ExecStatus.COMMAND_OK:  # pragma: no cover - prepare succeeded
            raise _prepare_error(source, sql, desc)
        analysis = _analyse(sql)
        outer_oids = {self._relation_oid(rel) for rel in analysis.outer_relations}
        outer_oids.discard(None)

        nullable_params: set[int] = set(analysis.optional_params)
        for targets in (analysis.insert_targets, analysis.update_targets):
            for rel, pairs in targets:
                for column, number in pairs:
                    if self._column_nullable(rel, column):
                        nullable_params.add(number)

        params = []
        for i in range(desc.nparams):
            oid = desc.param_type(i)
            self.pg_type(oid)
            params.append(
                Param(
                    name=source.params[i],
                    type_oid=oid,
                    optional=(i + 1) in nullable_params,
                    secret=param_format(self.secrets, source.params[i]),
                )
            )
        secret_attrs = {(s.table_oid, s.attnum) for s in self.secrets}

        columns = []
        for i in range(desc.nfields):
            name = (desc.fname(i) or b"").decode("utf-8")
            oid = desc.ftype(i)
            self.pg_type(oid)
            table, attnum = desc.ftable(i), desc.ftablecol(i)
            if name in source.nullability_overrides:
                nullable = not source.nullability_overrides[name]
            elif table and attnum > 0:
                nullable = table in outer_oids or not self._attnotnull(table, attnum)
            else:
                nullable = True
            columns.append(
                Column(
                    name=name,
                    type_oid=oid,
                    nullable=nullable,
                    secret=(table, attnum) in secret_attrs,
                )
            )
        return DescribedQuery(source=source, params=tuple(params), columns=tuple(columns))
