"""Security checks over everything found in the database and in the code, not a hand-kept list.

* The application role (``registry_app``, through ``registry_app_login``) cannot run DDL in any
  schema, ALTER/DROP/TRUNCATE any table, UPDATE/DELETE append-only tables, or bypass RLS.
* Columns that look like secrets (``%hash%``, ``%password%``, ``%secret%``, ``%token%``, text
  types) have a CHECK constraint that rejects plaintext.
* No function in ``registry_sql`` builds SQL from its arguments: every ``.py`` file is parsed with
  ``ast`` and calls that execute SQL must not get an f-string, ``%``-formatting, ``+``-concatenation
  of non-literals or ``str.format`` as their query.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from registry_sql import core, db, splunk_ta
from registry_sql.core import Application
from registry_sql.errors import Forbidden, ImmutableRecord, InvalidInput, translate_error
from registry_sql.paths import package_dir

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

pytest_plugins = ["reliability_plugin"]

Conn = psycopg.Connection[Any]
APP_LOGIN = "registry_app_login"
APP_GROUP = "registry_app"

_USER_SCHEMAS = """
    SELECT n.nspname FROM pg_catalog.pg_namespace n
    WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'public')
    ORDER BY 1"""
_TABLES = """
    SELECT n.nspname, c.relname, c.relkind::text, c.relispartition
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'public')
    ORDER BY 1, 2"""


def _tables(conn: Conn) -> list[tuple[str, str]]:
    rows = conn.execute(_TABLES).fetchall()
    assert rows, "no tables found: is the database migrated?"
    return [(str(r[0]), str(r[1])) for r in rows]


def _denied(app_conn: Conn, statement: sql.Composed) -> str | None:
    """Run ``statement`` as the application role in a transaction that is always rolled back;
    None when it was refused for lack of privilege (42501), else what happened."""
    try:
        with app_conn.transaction(force_rollback=True):
            app_conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege as exc:
        assert isinstance(translate_error(exc), Forbidden)
        return None
    except psycopg.Error as exc:
        return f"failed, but not for lack of privilege: {exc.sqlstate} {exc}"
    return "SUCCEEDED"


# --------------------------------------------------------------------------- app role


def test_app_role_cannot_create_objects_in_any_schema(conn: Conn, app_conn: Conn) -> None:
    schemas = [str(r[0]) for r in conn.execute(_USER_SCHEMAS).fetchall()] + ["public"]
    assert "core" in schemas
    problems = {}
    for schema in schemas:
        for statement in (
            sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(schema, "rel_probe")),
            sql.SQL("CREATE VIEW {} AS SELECT 1 AS x").format(
                sql.Identifier(schema, "rel_probe_v")
            ),
            sql.SQL("CREATE FUNCTION {}() RETURNS int LANGUAGE sql AS 'SELECT 1'").format(
                sql.Identifier(schema, "rel_probe_f")
            ),
        ):
            outcome = _denied(app_conn, statement)
            if outcome is not None:
                problems[statement.as_string(conn)] = outcome
    assert not problems, problems


def test_app_role_cannot_alter_drop_or_truncate_any_table(conn: Conn, app_conn: Conn) -> None:
    problems = {}
    tables = _tables(conn)
    for schema, table in tables:
        name = sql.Identifier(schema, table)
        for statement in (
            sql.SQL("ALTER TABLE {} ADD COLUMN rel_probe int").format(name),
            sql.SQL("ALTER TABLE {} DISABLE TRIGGER ALL").format(name),
            sql.SQL("DROP TABLE {}").format(name),
            sql.SQL("TRUNCATE {}").format(name),
        ):
            outcome = _denied(app_conn, statement)
            if outcome is not None:
                problems[statement.as_string(conn)] = outcome
    assert not problems, problems
    assert len(tables) >= 11


def _append_only_tables(conn: Conn) -> list[tuple[str, str]]:
    """Tables whose UPDATE/DELETE triggers call ``core.forbid_modification()``."""
    rows = conn.execute(
        "SELECT DISTINCT n.nspname, c.relname FROM pg_catalog.pg_trigger t"
        " JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE NOT t.tgisinternal AND t.tgfoid = 'core.forbid_modification()'::regprocedure"
        " ORDER BY 1, 2"
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def test_app_role_cannot_update_or_delete_the_audit_log(conn: Conn, app_conn: Conn) -> None:
    tables = _append_only_tables(conn)
    assert ("core", "audit_log") in tables
    with db.transaction(app_conn):  # a row to aim at, written the normal way
        core.create_audit_event(
            app_conn, application=Application.CORE, action=core.AuditAction.CREATE,
            entity_type="security", entity_id="probe",
        )
    problems = {}
    for schema, table in tables:
        name = sql.Identifier(schema, table)
        for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
            has = app_conn.execute(
                "SELECT has_table_privilege(%s, %s, %s)",
                (APP_GROUP, f"{schema}.{table}", privilege),
            ).fetchone()
            if has != (False,):
                problems[f"{schema}.{table} {privilege} privilege"] = "granted"
        first = conn.execute(
            "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1",
            (f"{schema}.{table}",),
        ).fetchone()
        assert first is not None
        column = sql.Identifier(str(first[0]))
        for statement in (
            sql.SQL("UPDATE {} SET {} = {}").format(name, column, column),
            sql.SQL("DELETE FROM {}").format(name),
        ):
            outcome = _denied(app_conn, statement)
            if outcome is not None:
                problems[statement.as_string(conn)] = outcome
    assert not problems, problems
    # even the owner is stopped by the triggers (the privilege check comes first for the app)
    with pytest.raises(ImmutableRecord):
        with db.transaction(conn):
            conn.execute("UPDATE core.audit_log SET reason = 'tampered'")


def test_app_role_cannot_bypass_row_level_security(conn: Conn, app_conn: Conn) -> None:
    roles = conn.execute(
        "WITH RECURSIVE member_of(oid) AS ("
        "  SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %s"
        "  UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m"
        "  JOIN member_of ON m.member = member_of.oid)"
        " SELECT r.rolname, r.rolsuper, r.rolbypassrls FROM pg_catalog.pg_roles r"
        " JOIN member_of USING (oid)",
        (APP_LOGIN,),
    ).fetchall()
    assert {r[0] for r in roles} >= {APP_LOGIN, APP_GROUP}
    elevated = [r[0] for r in roles if r[1] or r[2]]
    assert not elevated, f"superuser or BYPASSRLS in the app role's membership: {elevated}"
    rls_tables = conn.execute(
        "SELECT n.nspname || '.' || c.relname, c.relforcerowsecurity,"
        "       pg_has_role(%s, c.relowner, 'MEMBER')"
        " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relrowsecurity",
        (APP_LOGIN,),
    ).fetchall()
    problems = {}
    for table, forced, owns in rls_tables:
        if not forced:
            problems[table] = "RLS enabled but not FORCEd (the owner would bypass it)"
        if owns:
            problems[table] = "the app role owns the table (owners bypass RLS unless FORCEd)"
    assert not problems, problems
    # no RLS table yet is fine (core has none); the role checks above hold for the ones to come
    for (table,) in conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relrowsecurity"
    ).fetchall():
        schema, name = str(table).split(".", 1)
        with app_conn.transaction(force_rollback=True):  # no tenant set: no rows visible
            count = app_conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))
            ).fetchone()
        assert count == (0,), f"{table}: rows visible without a tenant"


# --------------------------------------------------------------------------- secrets


@dataclass(frozen=True)
class SecretColumn:
    schema: str
    table: str
    column: str
    checks: tuple[str, ...]


def _secret_columns(conn: Conn) -> list[SecretColumn]:
    rows = conn.execute(
        "SELECT n.nspname, c.relname, a.attname,"
        "  coalesce(array_agg(k.conname::text ORDER BY k.conname)"
        "           FILTER (WHERE k.conname IS NOT NULL), '{}')"
        " FROM pg_catalog.pg_attribute a"
        " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_catalog.pg_constraint k"
        "   ON k.conrelid = c.oid AND k.contype = 'c' AND a.attnum = ANY(k.conkey)"
        " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
        "   AND n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'public')"
        "   AND a.attnum > 0 AND NOT a.attisdropped"
        "   AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)"
        "   AND a.attname ~* '(hash|password|secret|token)'"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ).fetchall()
    return [SecretColumn(str(s), str(t), str(c), tuple(k)) for s, t, c, k in rows]


PLAINTEXTS = [
    "hunter2",
    "correct horse battery staple",
    "P@ssw0rd!2024",
    "rsk_live_4f9c2a7e1b3d5f60718293a4b5c6d7e8",  # an API key as generated, unhashed
    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",  # hex, wrong case
    "0123456789abcdef",  # hex, too short
    "$2b$12$short",  # looks like bcrypt, is not
]


@pytest.fixture
def secret_rows(conn: Conn) -> Iterator[None]:
    """At least one row in each table with secret columns, made with the generated functions."""
    digest = hashlib.sha256(b"security").hexdigest
    with db.transaction(conn):
        user = core.create_user(
            conn, username="secret_owner", email="secret_owner@example.com",
            hashed_password="$scrypt$ln=10,r=8,p=1$cmVnaXN0cnktdGVzdHMhIQ$" + "A" * 43,
        )
        core.create_api_key(
            conn, application=Application.CORE, name="k", key_prefix="rk_sec",
            key_hash=digest(), user_id=user.id,
        )
        core.issue_token(
            conn, user_id=user.id, application=Application.CORE, jti="sec-jti",
            token_hash=hashlib.sha256(b"token").hexdigest(),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        # splunk_ta: knowledge_documents.content_hash; system_config (secret_ref) has its
        # default rows from migration 0060.
        splunk_ta.create_knowledge_document(
            conn, title="secret check", content_hash=hashlib.sha256(b"doc").hexdigest()
        )
    yield


def test_secret_columns_hold_only_hashes(conn: Conn, secret_rows: None) -> None:
    columns = _secret_columns(conn)
    names = {f"{c.schema}.{c.table}.{c.column}" for c in columns}
    assert {"core.users.hashed_password", "core.api_keys.key_hash"} <= names, names
    without_check = [f"{c.schema}.{c.table}.{c.column}" for c in columns if not c.checks]
    assert not without_check, f"secret-looking columns without a CHECK constraint: {without_check}"
    accepted = []
    for col in columns:
        table = sql.Identifier(col.schema, col.table)
        row = conn.execute(sql.SQL("SELECT ctid::text FROM {} LIMIT 1").format(table)).fetchone()
        assert row is not None, f"{col.schema}.{col.table}: no row to test; add one in secret_rows"
        for plaintext in PLAINTEXTS:
            statement = sql.SQL("UPDATE {} SET {} = %s WHERE ctid = %s::tid").format(
                table, sql.Identifier(col.column)
            )
            try:
                with db.transaction(conn, correlation_id="secret-check"):
                    with conn.transaction(force_rollback=True):
                        conn.execute(statement, (plaintext, row[0]))
            except InvalidInput as err:
                assert err.constraint in col.checks, (col, err.constraint, str(err))
                assert err.sqlstate == "23514"
                assert plaintext not in str(err) or len(plaintext) < 8, "the message echoes it"
            else:
                accepted.append(f"{col.schema}.{col.table}.{col.column} <- {plaintext!r}")
    assert not accepted, f"plaintext accepted: {accepted}"


# --------------------------------------------------------------------------- code scan

_EXECUTORS = frozenset({"execute", "executemany", "copy", "stream"})
_SQL_WORDS = ("select ", "insert ", "update ", "delete ", "create ", "drop ", "alter ", "set ")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    call: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(...): {self.why}"


# (file relative to registry_sql/, function name of the call, reason): calls the scan would
# flag that are reviewed and allowed. Keep each reason specific.
ALLOWED: dict[tuple[str, str], str] = {}


def _is_literal_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _dynamic(node: ast.AST, assigned: dict[str, ast.AST], depth: int = 0) -> str | None:
    """Why ``node`` (a query argument) is SQL built at run time, or None."""
    if depth > 5:
        return None
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        if _is_literal_str(node.left) or isinstance(node.left, ast.JoinedStr):
            return "%-formatting of a str"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        if not (_literalish(node.left) and _literalish(node.right)):
            return "+-concatenation of non-literals"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and (_is_literal_str(node.func.value) or isinstance(node.func.value, ast.Name))
        and not _is_sql_composition(node.func.value, assigned)
    ):
        return "str.format()"
    if isinstance(node, ast.Name) and node.id in assigned:
        return _dynamic(assigned[node.id], assigned, depth + 1)
    return None


def _literalish(node: ast.AST) -> bool:
    if _is_literal_str(node):
        return True
    return isinstance(node, ast.BinOp) and _literalish(node.left) and _literalish(node.right)


def _is_sql_composition(node: ast.AST, assigned: dict[str, ast.AST]) -> bool:
    """``sql.SQL(...)`` (psycopg's composition), directly or through a local variable."""
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "SQL"
    )


def scan_source(source: str, path: str) -> list[Finding]:
    """Calls of execute/executemany/copy/stream whose query argument is built at run time."""
    tree = ast.parse(source, filename=path)
    findings: list[Finding] = []
    scopes: list[ast.AST] = [tree] + [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    for scope in scopes:
        assigned: dict[str, ast.AST] = {}
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    assigned[target.id] = node.value
        for node in ast.walk(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in _EXECUTORS or not node.args:
                continue
            # the query is the first argument, except in our execute helpers (conn, sql, ...)
            candidates = node.args[:2]
            for arg in candidates:
                why = _dynamic(arg, assigned)
                if why is not None:
                    findings.append(Finding(path, node.lineno, node.func.attr, why))
    # str.format on SQL-looking literals anywhere (e.g. built first, executed elsewhere)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
            and isinstance(node.func.value.value, str)
            and node.func.value.value.lower().lstrip().startswith(_SQL_WORDS)
        ):
            findings.append(Finding(path, node.lineno, "format", "SQL text built by str.format"))
    return list(dict.fromkeys(findings))


def test_the_scanner_finds_sql_built_from_arguments() -> None:
    bad = '''
def a(conn, name):
    conn.execute(f"SELECT * FROM t WHERE n = '{name}'")
def b(cur, name):
    cur.execute("SELECT * FROM t WHERE n = '%s'" % name)
def c(conn, table):
    query = "SELECT * FROM " + table
    conn.cursor().execute(query)
def d(conn, col):
    conn.execute("SELECT {} FROM t".format(col))
def e(cur, table):
    with cur.copy("COPY " + table + " FROM STDIN") as copy:
        pass
'''
    good = '''
def f(conn, name, table):
    conn.execute("SELECT * FROM t WHERE n = %s", (name,))
    conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
    q = sql.SQL("DROP TABLE {}").format(sql.Identifier("x"))
    conn.execute(q)
    conn.execute("SELECT 1 " "FROM t")
'''
    found = scan_source(bad, "bad.py")
    assert {f.line for f in found} == {3, 5, 8, 10, 12}, [str(f) for f in found]
    assert scan_source(good, "good.py") == []


def test_no_function_in_registry_sql_builds_sql_from_its_arguments() -> None:
    root = package_dir()
    files = sorted(p for p in root.rglob("*.py") if "_data" not in p.parts)
    assert len(files) > 10
    findings = []
    for path in files:
        rel = str(path.relative_to(root))
        for finding in scan_source(path.read_text(encoding="utf-8"), rel):
            if (rel, finding.call) not in ALLOWED:
                findings.append(str(finding))
    assert not findings, "SQL built at run time (use bound parameters or psycopg.sql):\n" + (
        "\n".join(findings)
    )
    unused = [k for k in ALLOWED if not (root / k[0]).is_file()]
    assert not unused, f"ALLOWED entries for files that no longer exist: {unused}"


def test_registry_sql_package_is_where_the_scan_looks() -> None:
    assert (Path(package_dir()) / "execute.py").is_file()
