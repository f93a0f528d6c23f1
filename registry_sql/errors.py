"""One error hierarchy, and the one place where driver errors become ours.

Every psycopg error that reaches user code goes through :func:`translate_error`, which reads the
SQLSTATE and the diagnostic fields PostgreSQL sends (constraint, table, column, detail, hint) and
returns a :class:`RegistrySqlError` subclass whose message names the field or constraint and says
what to do. Callers keep the driver error as the cause::

    try:
        cur.execute(...)
    except psycopg.Error as e:
        raise translate_error(e, query="create_user") from e

Error mapping depends on the naming conventions of the migrations (catalog §0.3):
``uq_<table>__<cols>``, ``fk_<table>__<col>``, ``ck_<table>__<rule>``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypedDict

import psycopg
import psycopg_pool

__all__ = [
    "ConfigError",
    "Conflict",
    "CredentialRejected",
    "ForeignKeyMissing",
    "Forbidden",
    "ImmutableRecord",
    "InvalidInput",
    "LockTimeout",
    "MigrationError",
    "NotFound",
    "PoolTimeout",
    "QueryTimeout",
    "RegistrySqlError",
    "SerializationFailure",
    "TransactionAborted",
    "TransactionRequired",
    "Unavailable",
    "check_message",
    "not_found",
    "parse_constraint_name",
    "register_check_messages",
    "registered_check_messages",
    "split_check_comment",
    "register_enum_labels",
    "translate_error",
]

#: SQLSTATE raised by the schemas' own triggers on append-only tables (see the migrations).
IMMUTABLE_SQLSTATE = "RS001"

#: SQLSTATE raised by the schemas' own triggers for a business rule a CHECK cannot express (e.g.
#: a cycle in a graph); the server message names the rows and the hint what to do.
RULE_VIOLATION_SQLSTATE = "RS002"

#: SQLSTATE raised by the schemas' own triggers when a change conflicts with the row's current
#: state because someone else changed it first (e.g. a second approval of a decided request).
STATE_CONFLICT_SQLSTATE = "RS003"


class RegistrySqlError(Exception):
    """Base class of every error registry-sql raises.

    Attributes:
        sqlstate: the PostgreSQL SQLSTATE, when the error came from the server.
        constraint: the constraint that was violated, if any.
        field: the column (or parameter) the error is about, if known.
        table: ``schema.table`` the error is about, if known.
        query: the named query that was running, if known.
        retryable: True when running the same transaction again may succeed.
    """

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        constraint: str | None = None,
        field: str | None = None,
        table: str | None = None,
        query: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.constraint = constraint
        self.field = field
        self.table = table
        self.query = query
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class NotFound(RegistrySqlError):
    """A ``get_*`` query (or a ``<!`` DML) found no row."""


class Conflict(RegistrySqlError):
    """A unique or exclusion constraint was violated (23505, 23P01)."""


class ForeignKeyMissing(RegistrySqlError):
    """A foreign key points at a missing row, or a delete would orphan rows (23503, 23001)."""


class InvalidInput(RegistrySqlError):
    """A value was rejected: NOT NULL, CHECK, bad enum label, bad format, out of range."""


class Forbidden(RegistrySqlError):
    """The role lacks a privilege, or row-level security rejected the row (42501)."""


class CredentialRejected(Forbidden):
    """An API key or token exists but is revoked or expired."""


class ImmutableRecord(RegistrySqlError):
    """An append-only record (e.g. an audit log entry) cannot be changed (RS001)."""


class MigrationError(RegistrySqlError):
    """The schema is missing or out of date, or a migration failed."""


class ConfigError(RegistrySqlError):
    """The configuration (environment variables, URL, credentials) is invalid or missing."""


class TransactionRequired(RegistrySqlError):
    """A helper that must run inside a transaction (``tenant()``) was called outside one."""


class TransactionAborted(RegistrySqlError):
    """A statement ran in a transaction that an earlier error already aborted (25P02).

    Typical after a caught :class:`Conflict` in get-or-create code: run the statement that may
    fail in a nested ``transaction(conn)`` (a savepoint), so its failure rolls back only that.
    """


class Unavailable(RegistrySqlError):
    """The server cannot be reached or is shutting down (class 08, 57P01-57P03)."""

    retryable: ClassVar[bool] = True


class QueryTimeout(RegistrySqlError):
    """A statement ran longer than ``statement_timeout`` or was cancelled (57014)."""


class LockTimeout(RegistrySqlError):
    """A lock could not be taken within ``lock_timeout`` (55P03). Retrying later may succeed."""

    retryable: ClassVar[bool] = True


class SerializationFailure(RegistrySqlError):
    """Serialization failure or deadlock (40001, 40P01): run the whole transaction again."""

    retryable: ClassVar[bool] = True


class PoolTimeout(RegistrySqlError):
    """No connection became free in the pool within its timeout."""

    retryable: ClassVar[bool] = True


# --------------------------------------------------------------------------------------------
# Constraint names and friendly sentences

# Friendly sentences for CHECK constraints live with the constraint: ``COMMENT ON CONSTRAINT``
# in the migrations. The generated schema packages register them here on import
# (:func:`register_check_messages`), the way they register enum labels.
_CHECK_MESSAGES: dict[tuple[str, str], tuple[str | None, str]] = {}
_CHECK_MESSAGES_BY_NAME: dict[str, list[tuple[str | None, str]]] = {}
_SCHEMAS_LOADED: set[str] = set()


def register_check_messages(
    schema: str, messages: Mapping[str, tuple[str | None, str]]
) -> None:
    """Record ``constraint name -> (field, sentence)`` for the CHECK constraints of ``schema``.

    The sentence says what a valid value looks like; the translated message adds the table and
    the constraint name. Generated packages call this with the comments of their constraints.
    """
    for name, message in messages.items():
        _CHECK_MESSAGES[(schema, name)] = message
        known = _CHECK_MESSAGES_BY_NAME.setdefault(name, [])
        if message not in known:
            known.append(message)


_COMMENT_FIELD_RE = re.compile(r"^(?P<col>[A-Za-z_][A-Za-z0-9_]*): (?P<rest>.+)$", re.S)


def split_check_comment(comment: str, columns: Iterable[str]) -> tuple[str | None, str]:
    """``(field, sentence)`` of a CHECK constraint's ``COMMENT``.

    A comment ``"<column>: sentence"`` names its field (``columns``: the constraint's columns);
    otherwise the field is the sentence's first word when that is one of ``columns``, else the
    only column, else the one column the sentence mentions, else None.
    """
    names = list(columns)
    text = " ".join(comment.split())
    prefixed = _COMMENT_FIELD_RE.match(text)
    if prefixed and prefixed.group("col") in names:
        return prefixed.group("col"), prefixed.group("rest")
    first = text.split(" ", 1)[0]
    if first in names:
        return first, text
    if len(names) == 1:
        return names[0], text
    mentioned = [n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w.(])", text)]
    return (mentioned[0] if len(mentioned) == 1 else None), text


def registered_check_messages() -> dict[tuple[str, str], tuple[str | None, str]]:
    """Every registered sentence: ``(schema, constraint) -> (field, sentence)``."""
    return dict(_CHECK_MESSAGES)


def check_message(schema: str | None, constraint: str) -> tuple[str | None, str] | None:
    """The registered ``(field, sentence)`` of a CHECK constraint, if any."""
    if schema is not None:
        found = _CHECK_MESSAGES.get((schema, constraint))
        if found is None and schema not in _SCHEMAS_LOADED:
            # Code that translates errors without having imported the schema's package yet.
            _SCHEMAS_LOADED.add(schema)
            if _NAME_RE.match(schema):
                try:
                    importlib.import_module(f"registry_sql.{schema}.models")
                except ImportError:
                    pass
            found = _CHECK_MESSAGES.get((schema, constraint))
        if found is not None:
            return found
    candidates = _CHECK_MESSAGES_BY_NAME.get(constraint, [])
    return candidates[0] if len(candidates) == 1 else None


# Suffixes of the <rule> part of ck_<table>__<rule>, and the sentence they imply for the field
# before them. Used for CHECK constraints without a registered sentence.
_RULE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_nonneg", "{field} must be zero or more"),
    ("_non_negative", "{field} must be zero or more"),
    ("_positive", "{field} must be greater than zero"),
    ("_nonempty", "{field} must not be empty"),
    ("_not_empty", "{field} must not be empty"),
    ("_length", "{field} has a length outside the allowed range"),
    ("_range", "{field} is outside the allowed range"),
    ("_format", "{field} is not in the expected format"),
    ("_sha256", "{field} must be 64 lowercase hex characters (a SHA-256 digest)"),
    ("_sha256_hex", "{field} must be 64 lowercase hex characters (a SHA-256 digest)"),
    ("_object", "{field} must be a JSON object"),
    ("_no_nulls", "{field} must not contain NULL elements"),
    ("_array", "{field} must be a JSON array"),
)

_CONSTRAINT_RE = re.compile(r"^(?P<kind>uq|fk|ck|ix|ex|pk)_(?P<table>[a-z0-9_]+?)__(?P<rest>.+)$")


def parse_constraint_name(name: str) -> tuple[str, str, str] | None:
    """Split a conventional constraint name into ``(kind, table, rest)``.

    >>> parse_constraint_name("uq_users__username_lower")
    ('uq', 'users', 'username_lower')
    >>> parse_constraint_name("users_pkey") is None
    True
    """
    m = _CONSTRAINT_RE.match(name)
    if m is None:
        return None
    return m["kind"], m["table"], m["rest"]


# Enum labels known to the process, by type name ("<schema>.<type>"); the generated models register
# their StrEnums here so that an invalid label error can list the allowed ones.
_ENUM_LABELS: dict[str, tuple[str, ...]] = {}


def register_enum_labels(type_name: str, labels: Iterable[str]) -> None:
    """Record the labels of a PostgreSQL enum type (``schema.name``) for error messages."""
    _ENUM_LABELS[type_name] = tuple(str(label) for label in labels)


# --------------------------------------------------------------------------------------------
# Parsing PostgreSQL's detail messages

_KEY_EXISTS_RE = re.compile(r"^Key \((?P<cols>.*)\)=\((?P<vals>.*)\) already exists\.?$", re.S)
_KEY_CONFLICTS_RE = re.compile(r"^Key \((?P<cols>.*)\)=\((?P<vals>.*)\) conflicts with", re.S)
_KEY_MISSING_RE = re.compile(
    r'^Key \((?P<cols>.*)\)=\((?P<vals>.*)\) is not present in table "(?P<ref>[^"]+)"\.?$', re.S
)
_KEY_REFERENCED_RE = re.compile(
    r'^Key \((?P<cols>.*)\)=\((?P<vals>.*)\) is still referenced from table "(?P<src>[^"]+)"\.?$',
    re.S,
)
# Without SELECT rights on the key columns, or under row-level security, PostgreSQL leaves the key
# out of the detail: 'Key is not present in table "users".'
_HIDDEN_KEY_MISSING_RE = re.compile(r'^Key is not present in table "(?P<ref>[^"]+)"\.?$')
_HIDDEN_KEY_REFERENCED_RE = re.compile(r'^Key is still referenced from table "(?P<src>[^"]+)"\.?$')
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_PARTITION_SUFFIX_RE = re.compile(r"^(?:p[0-9_]+|default)$")
# Citus names a shard <table>_<shard id>; our tables never end in _<digits> (partitions: _p...).
_CITUS_SHARD_RE = re.compile(r"_[0-9]+$")
_CONSTRAINT_IN_MSG_RE = re.compile(r'constraint "(?P<name>[^"]+)"')
_RELATION_IN_MSG_RE = re.compile(r'(?:relation|on table) "(?P<rel>[^"]+)"')
_ON_TABLE_RE = re.compile(r'^(?:update or delete|delete) on table "(?P<table>[^"]+)"')
_ENUM_RE = re.compile(r'^invalid input value for enum (?P<type>[^:]+): "(?P<value>.*)"$', re.S)
_SYNTAX_RE = re.compile(r'^invalid input syntax for type (?P<type>[^:]+): "(?P<value>.*)"$', re.S)
_RLS_RE = re.compile(r'row-level security policy(?: "[^"]*")? for table "(?P<table>[^"]+)"')
_FUNC_CALL_RE = re.compile(r"^[A-Za-z_][\w.]*\((?P<inner>.*)\)$", re.S)
_CAST_RE = re.compile(r"::[\w\s.\[\]\"]+$")


def _column_of(expr: str) -> str:
    """The column an index expression is about: ``lower(username::text)`` -> ``username``."""
    expr = expr.strip()
    while True:
        if expr.startswith("(") and expr.endswith(")"):
            expr = expr[1:-1].strip()
            continue
        m = _FUNC_CALL_RE.match(expr)
        if m is not None and "," not in m["inner"]:
            expr = m["inner"].strip()
            continue
        stripped = _CAST_RE.sub("", expr)
        if stripped != expr:
            expr = stripped.strip()
            continue
        break
    return expr.strip('"')


def _split_key(cols: str, vals: str) -> list[tuple[str, str]] | None:
    """Pair the columns and values of a ``Key (a, b)=(1, 2)`` detail, if it is unambiguous."""
    col_list = [_column_of(c) for c in _split_top_level(cols)]
    if len(col_list) == 1:
        return [(col_list[0], vals)]
    val_list = vals.split(", ")
    if len(val_list) != len(col_list):
        return None
    return list(zip(col_list, val_list, strict=True))


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses or quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _describe_key(pairs: list[tuple[str, str]] | None, cols: str, vals: str) -> str:
    if pairs is None:
        return f"({cols}) = ({vals})"
    if len(pairs) == 1:
        col, val = pairs[0]
        return f"{col} {val!r}"
    return ", ".join(f"{c}={v!r}" for c, v in pairs)


def _qualified(schema: str | None, table: str | None) -> str | None:
    if table is None:
        return None
    return f"{schema}.{table}" if schema else table


def _prefix(query: str | None) -> str:
    return f"{query}: " if query else ""


def _sentence_for_check(constraint: str, schema: str | None = None) -> tuple[str | None, str]:
    known = check_message(schema, constraint)
    if known is not None:
        return known
    parsed = parse_constraint_name(constraint)
    if parsed is None or parsed[0] != "ck":
        return None, f"the value breaks the rule {constraint}"
    rule = parsed[2]
    for suffix, template in _RULE_SUFFIXES:
        if rule.endswith(suffix) and len(rule) > len(suffix):
            field = rule[: -len(suffix)]
            return field, template.format(field=field)
    return None, f"the row breaks the rule '{rule.replace('_', ' ')}'"


# --------------------------------------------------------------------------------------------
# The translation


class _Common(TypedDict):
    sqlstate: str | None
    query: str | None
    detail: str | None
    hint: str | None
    table: str | None


_INVALID_INPUT_HELP: Mapping[str, str] = {
    "22001": "shorten the value",
    "22003": "use a value within the type's range",
    "22007": "use ISO 8601, e.g. 2024-05-01T12:00:00+00:00",
    "22008": "use a valid date/time, e.g. 2024-05-01T12:00:00+00:00",
    "22021": "remove the invalid bytes (text must be valid UTF-8 without NUL characters)",
    "22P05": "remove characters the database encoding cannot store",
    "2201X": "OFFSET must be zero or more",
    "2201W": "LIMIT must be zero or more",
    "22004": "pass a value, not NULL",
    "22012": "avoid dividing by zero",
}

_CONFIG_FAILURE_RE = re.compile(
    r'(role|database) "[^"]*" does not exist|authentication failed|no password supplied'
    r"|password authentication|no pg_hba.conf entry"
)
# A pooler in transaction mode (PgBouncer) in front of the server: psycopg's prepared statements
# ("_pg3_0", ...) meet other clients' on the shared server connections, and PgBouncer refuses
# the "options" startup parameter (where DB_STATEMENT_TIMEOUT/DB_LOCK_TIMEOUT go).
_POOLER_PREPARED_RE = re.compile(r'prepared statement "_pg3_\w*"')
_POOLER_PREPARED_STATES = frozenset({"42P05", "26000", "08P01"})
_POOLER_STARTUP_RE = re.compile(r"unsupported startup parameter(?: in options)?: ?(?P<param>\S*)")
_POOLER_TODO = (
    "the connection goes through a pooler in transaction mode (PgBouncer), which shares "
    "server connections between clients: set DB_PGBOUNCER=true (docs/operations.md)"
)
_MIGRATION_STATES = frozenset({"42P01", "42883", "3F000", "42703", "42704"})
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300", "25P03"})


def _catalog(schema: str | None) -> Any:
    """The generated ``registry_sql.<schema>._catalog`` module (foreign keys, partitioned tables),
    or None for a schema without generated code. Imported on first need, then cached."""
    if schema is None or not _NAME_RE.match(schema):
        return None
    try:
        return importlib.import_module(f"registry_sql.{schema}._catalog")
    except ImportError:
        return None


def _user_table(schema: str | None, table: str | None) -> str | None:
    """The table as the user knows it: a partition's parent (``download_history``, not
    ``download_history_p20261130``), schema-qualified."""
    if table is None:
        return None
    facts = _catalog(schema)
    if facts is not None:
        for parent in facts.PARTITIONED:
            # the maintenance function names partitions <parent>_p<date>; plus <parent>_default
            if table.startswith(f"{parent}_") and _PARTITION_SUFFIX_RE.match(
                table[len(parent) + 1 :]
            ):
                table = parent
                break
    return _qualified(schema, table)


def _referenced_table(schema: str | None, table: str | None, constraint: str | None,
                      unqualified: str) -> str:
    """The table a foreign key references, schema-qualified from the catalog; PostgreSQL's
    message names it without its schema."""
    facts = _catalog(schema)
    if facts is not None and table is not None and constraint is not None:
        bare = table.rsplit(".", 1)[-1]  # already the user's table (a partition's parent)
        found: str | None = facts.FOREIGN_KEYS.get((bare, constraint))
        if found is not None:
            return found
    return f"{schema}.{unqualified}" if schema else unqualified


def _unique_key(table: str | None, constraint: str | None) -> tuple[str, ...] | None:
    if table is None or constraint is None or "." not in table:
        return None
    schema, bare = table.split(".", 1)
    facts = _catalog(schema)
    if facts is None:
        return None
    found: tuple[str, ...] | None = getattr(facts, "UNIQUE_KEYS", {}).get((bare, constraint))
    return found


def translate_error(exc: psycopg.Error, *, query: str | None = None) -> RegistrySqlError:
    """Map a psycopg error to the registry-sql hierarchy.

    The caller raises the result ``from exc`` so the driver error stays as ``__cause__``, except
    when values of secret columns were masked (:func:`registry_sql.secrets.is_masked`): then
    from :func:`registry_sql.secrets.sanitized_cause`, because the driver error carries them.
    """
    from registry_sql.secrets import mask_error  # secrets imports this module

    return mask_error(_translate_error(exc, query=query))


def _translate_error(exc: psycopg.Error, *, query: str | None = None) -> RegistrySqlError:
    p = _prefix(query)

    if isinstance(exc, psycopg_pool.PoolTimeout):
        return PoolTimeout(
            f"{p}no database connection became free in time ({exc}); return connections "
            "sooner (keep transactions short) or raise DB_POOL_MAX_SIZE / DB_POOL_TIMEOUT",
            query=query,
        )

    state = exc.diag.sqlstate or exc.sqlstate
    diag = exc.diag
    server_msg = diag.message_primary or str(exc).strip()
    detail = diag.message_detail
    hint = diag.message_hint
    constraint = diag.constraint_name
    schema_name = diag.schema_name
    table_name = diag.table_name
    if state is not None and state.startswith("23") and constraint is None and table_name is None:
        # Citus relays a worker's error without these fields, and names the shard
        # ("projects_102008"): take them from the message, the schema from the query's name.
        named = _CONSTRAINT_IN_MSG_RE.search(server_msg)
        constraint = named["name"] if named else None
        relation = _RELATION_IN_MSG_RE.search(server_msg)
        table_name = _CITUS_SHARD_RE.sub("", relation["rel"]) if relation else None
        if schema_name is None and query and "." in query:
            schema_name = query.split(".", 1)[0]
    table = _user_table(schema_name, table_name)
    common: _Common = {
        "sqlstate": state,
        "query": query,
        "detail": detail,
        "hint": hint,
        "table": table,
    }

    startup = _POOLER_STARTUP_RE.search(server_msg)
    if startup is not None:
        return ConfigError(
            f"{p}the server refused the startup parameter {startup['param'] or 'options'!r} "
            f"({server_msg.strip().splitlines()[-1].strip()}); {_POOLER_TODO}, which sets "
            "statement_timeout/lock_timeout inside each transaction instead, and remove "
            "options= from DATABASE_URL",
            **common,
        )
    if state in _POOLER_PREPARED_STATES and _POOLER_PREPARED_RE.search(server_msg):
        return ConfigError(
            f"{p}{server_msg}; {_POOLER_TODO} (it turns prepared statements off; or "
            "DB_PREPARE_THRESHOLD=none)",
            **common,
        )

    if state is None:
        if isinstance(exc, psycopg.DataError):
            return InvalidInput(
                f"{p}invalid parameter value: {server_msg}; fix the value and try again",
                **common,
            )
        if isinstance(exc, psycopg.OperationalError) and _CONFIG_FAILURE_RE.search(server_msg):
            return ConfigError(
                f"{p}cannot connect: {server_msg.strip()}; fix the user, password or database "
                "name in DATABASE_URL (or POSTGRES_*), or create the role/database",
                **common,
            )
        if isinstance(exc, psycopg.OperationalError):
            return Unavailable(
                f"{p}the database is unavailable: {server_msg}; check that the server is "
                "running and DATABASE_URL is right, then retry",
                **common,
            )
        return RegistrySqlError(f"{p}{server_msg}", **common)

    # --- integrity violations (class 23) ---
    if state == "23505" or state == "23P01":
        return _unique(p, state, constraint, table, detail, server_msg, query, hint)
    if state in ("23503", "23001"):
        return _foreign_key(
            p, state, constraint, table, detail, server_msg, query, hint, schema_name
        )
    if state == "23502":
        column = diag.column_name
        where = f"{table}.{column}" if table and column else (column or table or "a column")
        return InvalidInput(
            f"{p}{where} is required (NOT NULL); pass a value",
            field=column,
            **common,
        )
    if state == "23514":
        name = constraint or "a check constraint"
        field, sentence = _sentence_for_check(name, schema_name)
        owner = table or (f"type {diag.datatype_name}" if diag.datatype_name else "the row")
        return InvalidInput(
            f"{p}{owner}: {sentence} ({name})",
            constraint=constraint,
            field=field,
            **common,
        )

    # --- our own trigger ---
    if state == IMMUTABLE_SQLSTATE:
        # The raising trigger's HINT says what to do for that table; a generic one otherwise.
        todo = hint or (
            f"records in {table or 'this table'} are immutable: write a new record (e.g. a "
            "correcting entry) instead of changing or deleting one"
        )
        return ImmutableRecord(f"{p}{server_msg}; {todo}", constraint=constraint, **common)

    if state == RULE_VIOLATION_SQLSTATE:
        message = f"{p}{server_msg} ({constraint})" if constraint else f"{p}{server_msg}"
        if hint:
            message += f"; {hint}"
        return InvalidInput(message, constraint=constraint, **common)

    if state == STATE_CONFLICT_SQLSTATE:
        message = f"{p}{server_msg} ({constraint})" if constraint else f"{p}{server_msg}"
        if hint:
            message += f"; {hint}"
        return Conflict(message, constraint=constraint, **common)

    # --- data exceptions (class 22) ---
    if state.startswith("22"):
        return _data_exception(p, state, server_msg, common)

    if state == "42501":
        m = _RLS_RE.search(server_msg)
        if m is not None:
            rls_table = table or _CITUS_SHARD_RE.sub("", m["table"])
            if "." not in rls_table and query and "." in query:
                # PostgreSQL names the table without its schema here; the query knows it.
                rls_table = f"{query.split('.', 1)[0]}.{rls_table}"
            common["table"] = rls_table
            return Forbidden(
                f"{p}row-level security rejected the row for {rls_table}: the row's "
                "organization is not the current tenant; call tenant(conn, org_id) with the "
                "row's organization inside the transaction",
                **common,
            )
        return Forbidden(
            f"{p}{server_msg}; connect as a role that has the privilege (services use a "
            "member of registry_app; DDL needs registry_owner)",
            **common,
        )

    if state == "25006":
        return Forbidden(
            f"{p}{server_msg}: this transaction is read-only (transaction(read_only=True) or "
            "default_transaction_read_only); write in a read-write transaction",
            **common,
        )
    if state == "25P02":
        return TransactionAborted(
            f"{p}the transaction was aborted by an earlier error, so this statement was not "
            "run; roll back (leave the transaction() block). To go on after an expected error "
            "(e.g. a Conflict in get-or-create), run the statement that may fail in a nested "
            "`with transaction(conn):` block: a savepoint, so only that block is rolled back",
            **common,
        )
    if state in ("40001", "40P01"):
        what = "deadlock detected" if state == "40P01" else "serialization failure"
        return SerializationFailure(
            f"{p}{what}: {server_msg}; run the whole transaction again",
            **common,
        )
    if state == "55P03":
        return LockTimeout(
            f"{p}could not take a lock in time: {server_msg}; another transaction holds it, "
            "retry later or raise lock_timeout",
            **common,
        )
    if state == "57014" or state == "25P04":
        return QueryTimeout(
            f"{p}{server_msg}; the statement ran too long (statement_timeout / "
            "DB_STATEMENT_TIMEOUT): narrow the query or raise the timeout",
            **common,
        )
    if state.startswith("08") or state in _UNAVAILABLE_STATES:
        return Unavailable(
            f"{p}the database is unavailable: {server_msg}; retry, and check that the server "
            "is running and reachable",
            **common,
        )
    if state in _MIGRATION_STATES:
        return MigrationError(
            f"{p}{server_msg}: the database schema is not migrated or is out of date; "
            "run `registry-sql migrate`",
            **common,
        )

    message = f"{p}{server_msg} (SQLSTATE {state})"
    if hint:
        message += f"; hint: {hint}"
    return RegistrySqlError(message, constraint=constraint, **common)


def _unique(
    p: str,
    state: str,
    constraint: str | None,
    table: str | None,
    detail: str | None,
    server_msg: str,
    query: str | None,
    hint: str | None,
) -> Conflict:
    name = constraint or "a unique constraint"
    where = table or "the table"
    field: str | None = None
    what: str
    m = _KEY_EXISTS_RE.match(detail or "") or _KEY_CONFLICTS_RE.match(detail or "")
    if m is not None:
        pairs = _split_key(m["cols"], m["vals"])
        field = ", ".join(_column_of(c) for c in _split_top_level(m["cols"]))
        what = _describe_key(pairs, m["cols"], m["vals"])
    elif (key_cols := _unique_key(table, constraint)) is not None:
        # The key is hidden (row-level security); the catalog knows its columns.
        field = ", ".join(_column_of(c) for c in key_cols)
        what = f"this {field}"
    else:
        parsed = parse_constraint_name(constraint or "")
        if parsed is not None:
            field = parsed[2]
        elif constraint and constraint.endswith("_pkey"):
            field = "id"
        what = f"this {field}" if field else "this value"
    if state == "23P01":
        return Conflict(
            f"{p}{where}: {what} overlaps an existing row ({name}); choose values that do not "
            "conflict",
            sqlstate=state,
            constraint=constraint,
            field=field,
            table=table,
            query=query,
            detail=detail,
            hint=hint,
        )
    if field and "," not in field:
        todo = f"choose another {field}"
    else:
        todo = "choose different values, or update the existing row"
    return Conflict(
        f"{p}{where}: {what} is already taken ({name}); {todo}",
        sqlstate=state,
        constraint=constraint,
        field=field,
        table=table,
        query=query,
        detail=detail,
        hint=hint,
    )


def _foreign_key(
    p: str,
    state: str,
    constraint: str | None,
    table: str | None,
    detail: str | None,
    server_msg: str,
    query: str | None,
    hint: str | None,
    schema_name: str | None = None,
) -> ForeignKeyMissing:
    name = constraint or "a foreign key"
    d = detail or ""
    schema = table.split(".", 1)[0] + "." if table and "." in table else ""
    parsed_name = parse_constraint_name(constraint or "")
    named_field = parsed_name[2] if parsed_name is not None and parsed_name[0] == "fk" else None
    missing = _KEY_MISSING_RE.match(d)
    hidden = _HIDDEN_KEY_MISSING_RE.match(d) if missing is None else None
    if missing is not None or hidden is not None:
        if missing is not None:
            pairs = _split_key(missing["cols"], missing["vals"])
            field: str | None = ", ".join(
                _column_of(c) for c in _split_top_level(missing["cols"])
            )
            key = _describe_key(pairs, missing["cols"], missing["vals"])
            ref_name = missing["ref"]
        else:
            assert hidden is not None
            # The key is hidden (row-level security): the constraint name says the column.
            field = named_field
            key = f"the {named_field} given" if named_field else "the key given"
            ref_name = hidden["ref"]
        ref = _referenced_table(schema_name, table, constraint, ref_name)
        return ForeignKeyMissing(
            f"{p}{table or 'the row'}: {key} refers to a {ref} row that does not exist "
            f"({name}); create that row first or pass an existing id",
            sqlstate=state,
            constraint=constraint,
            field=field,
            table=table,
            query=query,
            detail=detail,
            hint=hint,
        )
    referenced = _KEY_REFERENCED_RE.match(d)
    hidden_ref = _HIDDEN_KEY_REFERENCED_RE.match(d) if referenced is None else None
    if referenced is not None or hidden_ref is not None:
        on = _ON_TABLE_RE.match(server_msg)
        parent = (
            _referenced_table(schema_name, table, constraint, on["table"]) if on else "the row"
        )
        if referenced is not None:
            pairs = _split_key(referenced["cols"], referenced["vals"])
            key = _describe_key(pairs, referenced["cols"], referenced["vals"])
            src = referenced["src"]
        else:
            assert hidden_ref is not None
            key = "this key"
            src = hidden_ref["src"]
        return ForeignKeyMissing(
            f"{p}{parent}: cannot delete or change the row with {key}: rows in "
            f"{table or schema + src} still reference it ({name}); delete or reassign "
            "those rows first",
            sqlstate=state,
            constraint=constraint,
            field=None,
            table=parent if on else table,
            query=query,
            detail=detail,
            hint=hint,
        )
    parsed = parse_constraint_name(constraint or "")
    fk_field = parsed[2] if parsed is not None else None
    return ForeignKeyMissing(
        f"{p}{server_msg} ({name}); make sure the referenced row exists, or remove the rows "
        "that still reference it",
        sqlstate=state,
        constraint=constraint,
        field=fk_field,
        table=table,
        query=query,
        detail=detail,
        hint=hint,
    )


_ECHO_CHARS = 100  # a rejected value is quoted in the message up to this length


def _echo(value: str) -> str:
    """``repr`` of a rejected value, cut when long (a 1 MB value makes no better message)."""
    if len(value) <= _ECHO_CHARS:
        return repr(value)
    return f"{value[:_ECHO_CHARS]!r}... ({len(value)} characters)"


def _data_exception(p: str, state: str, server_msg: str, common: _Common) -> InvalidInput:
    enum = _ENUM_RE.match(server_msg)
    if enum is not None:
        type_name = enum["type"]
        labels = _ENUM_LABELS.get(type_name)
        if labels is None and "." not in type_name:
            labels = next(
                (v for k, v in _ENUM_LABELS.items() if k.rsplit(".", 1)[-1] == type_name), None
            )
        allowed = (
            f"use one of: {', '.join(labels)}"
            if labels
            else f"use one of the labels of {type_name}"
        )
        return InvalidInput(
            f"{p}{_echo(enum['value'])} is not a valid {type_name} value; {allowed}",
            **common,
        )
    syntax = _SYNTAX_RE.match(server_msg)
    if syntax is not None:
        return InvalidInput(
            f"{p}{_echo(syntax['value'])} is not a valid {syntax['type']}; pass a well-formed "
            f"{syntax['type']}",
            **common,
        )
    todo = _INVALID_INPUT_HELP.get(state, "fix the value and try again")
    return InvalidInput(f"{p}invalid input: {server_msg}; {todo}", **common)


def not_found(query: str, **keys: object) -> NotFound:
    """The error a ``get_*`` function raises when its query returns no row.

    >>> str(not_found("get_user_by_id", id=1))
    'get_user_by_id: no row for id=1'
    """
    where = ", ".join(f"{k}={v}" for k, v in keys.items()) or "the given parameters"
    return NotFound(f"{query}: no row for {where}", query=query)
