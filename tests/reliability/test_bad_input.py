"""Bad input into EVERY generated function: NUL bytes, lone surrogates, very long strings, huge
and negative numbers, NaN/inf, wrong enum labels, malformed JSON, SQL injection strings.

The functions are discovered, not listed: every ``registry_sql.<schema>.queries`` module of a
schema with a ``sql/<schema>/`` folder, every public function in it (the ``stream_*`` twins run
the same SQL as their list function and are left out), and each parameter's type from
``typing.get_type_hints``. A new schema or query is covered the day it is generated; a parameter
type this suite has no strategy for fails ``test_every_parameter_type_has_a_strategy``.

Each call targets one parameter with a bad value; the other required parameters get valid
values where the suite can make them (a user, an organization, a role, an API key, a token, an
identity, an audit event: made with the generated functions themselves). Each call runs in
``registry_sql.db.transaction(conn)`` and must end in one of two ways:

* a translated ``RegistrySqlError`` subclass (never a raw driver error, never another exception)
  that names the query, and the parameter or the constraint when it can be known; and no table
  of the schema changed (row counts before and after);
* success; then every text, enum and JSON argument that comes back in the returned row (or in the
  row read again with the matching ``get_*`` function) is identical to what was sent.

After every call the schema's tables are all still there (the injection canaries).

Two tests per function: a deterministic sweep of every canary value into every parameter, and a
hypothesis property test (``max_examples`` from the profile: 5 in ``make test``, 50 in ``make
reliability``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from ipaddress import IPv4Address
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql
from pydantic import BaseModel, ValidationError

from registry_sql import core, db
from registry_sql.codegen.source import schemas_in
from registry_sql.core import Application, AuditAction, AuthProvider
from registry_sql.errors import InvalidInput, NotFound, QueryTimeout, RegistrySqlError
from registry_sql.paths import sql_dir

pytest_plugins = ["reliability_plugin"]
# A long suite: `make test-long` (and CI) runs it, `make test` does not (docs/testing.md).
pytestmark = pytest.mark.long

from reliability_plugin import TALLY, hypothesis_settings  # noqa: E402  (the plugin module)

Conn = psycopg.Connection[Any]
PASSWORD_HASH = "$scrypt$ln=10,r=8,p=1$cmVnaXN0cnktdGVzdHMhIQ$" + "A" * 43

# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # text, int, float, numeric, bool, uuid, datetime, interval, enum, json, inet, array
    required: bool
    element: str | None = None  # kind of an array's elements
    enum: type[StrEnum] | None = None


@dataclass(frozen=True)
class Target:
    schema: str
    name: str
    fn: Callable[..., Any]
    params: tuple[Param, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def bad_input_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.kind in BAD_KINDS)


BAD_KINDS = frozenset({"text", "int", "float", "numeric", "enum", "json", "inet", "array"})
_SCALARS: dict[object, str] = {
    str: "text",
    int: "int",
    float: "float",
    Decimal: "numeric",
    bool: "bool",
    uuid.UUID: "uuid",
    datetime: "datetime",
    date: "date",
    timedelta: "interval",
    object: "json",
}


def _kind(annotation: Any) -> tuple[str, str | None, type[StrEnum] | None]:
    """(kind, element kind, enum class) of a parameter annotation (Optional unwrapped)."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if {typing.get_origin(a) for a in rest} == {Mapping, Sequence} and all(
            typing.get_args(a)[-1] is Any for a in rest
        ):
            return "json", None, None  # Mapping[str, Any] | Sequence[Any]: a JSON parameter
        if all(getattr(a, "__module__", "") == "ipaddress" for a in rest if a is not str):
            return "inet", None, None
        if len(rest) == 1:
            return _kind(rest[0])
        return f"unsupported union {annotation!r}", None, None
    if origin is not None and origin in (Sequence, list, tuple):
        element = _kind(args[0])[0] if args else "json"
        return "array", element, None
    if inspect.isclass(annotation) and issubclass(annotation, StrEnum):
        return "enum", None, annotation
    if annotation in _SCALARS:
        return _SCALARS[annotation], None, None
    return f"unsupported {annotation!r}", None, None


def _copy_target(schema: str, name: str, fn: Callable[..., Any]) -> Target | None:
    """A COPY ingest ``name(conn, rows: Iterable[RowIn])`` is fuzzed one row at a time: each
    field of the input NamedTuple becomes a parameter, and the call sends ``[RowIn(**values)]``.
    """
    hints = typing.get_type_hints(fn)
    if list(inspect.signature(fn).parameters)[1:] != ["rows"]:
        return None
    (row_type,) = typing.get_args(hints["rows"])
    fields = typing.get_type_hints(row_type)
    params = []
    for field, annotation in fields.items():
        kind, element, enum = _kind(annotation)
        optional = type(None) in typing.get_args(annotation)
        params.append(Param(field, kind, not optional, element, enum))

    def one_row(conn: Conn, **values: Any) -> int:
        full = {field: values.get(field) for field in fields}
        result: int = fn(conn, [row_type(**full)])
        return result

    return Target(schema, name, one_row, tuple(params))


def discover() -> list[Target]:
    targets: list[Target] = []
    for schema in schemas_in(sql_dir()):
        module = importlib.import_module(f"registry_sql.{schema}")
        functions = {
            name: fn
            for name in module.__all__
            if inspect.isfunction(fn := getattr(module, name))
            and fn.__module__.startswith(f"{module.__name__}.")
        }
        for name, fn in sorted(functions.items()):
            if name.startswith("stream_") and name.removeprefix("stream_") in functions:
                continue  # the streamed twin of a list function: same SQL, same parameters
            copy_target = _copy_target(schema, name, fn)
            if copy_target is not None:
                targets.append(copy_target)
                continue
            hints = typing.get_type_hints(fn)
            params = []
            for p in list(inspect.signature(fn).parameters.values())[1:]:  # after conn
                kind, element, enum = _kind(hints[p.name])
                params.append(
                    Param(p.name, kind, p.default is inspect.Parameter.empty, element, enum)
                )
            targets.append(Target(schema, name, fn, tuple(params)))
    return targets


TARGETS = discover()
SCHEMAS = sorted({t.schema for t in TARGETS})


def test_functions_are_discovered() -> None:
    assert len(TARGETS) >= 79, [t.qualified for t in TARGETS]
    assert "core" in SCHEMAS


def test_every_parameter_type_has_a_strategy() -> None:
    unsupported = [
        f"{t.qualified}({p.name}): {p.kind}"
        for t in TARGETS
        for p in t.params
        if p.kind.startswith("unsupported") or (p.element or "").startswith("unsupported")
    ]
    assert not unsupported, (
        "parameter types without a valid/bad value strategy in tests/reliability/"
        f"test_bad_input.py (add one): {unsupported}"
    )


# --------------------------------------------------------------------------- bad values

def _nested(depth: int) -> object:
    value: object = {"x": 1}
    for _ in range(depth):
        value = [value]
    return {"deep": value}


INJECTIONS = [
    "'; DROP TABLE core.users; --",
    "Robert'); DROP TABLE core.audit_log; --",
    "1' OR '1'='1",
    "x'); TRUNCATE core.organizations CASCADE; --",
    "$$; DROP SCHEMA core CASCADE; $$",
    "%(id)s",
    "%s %s %%",
    "$1",
    ":id",
    "\\'; SELECT pg_sleep(10); --",
]
TEXT_CANARIES: list[object] = [
    "a\x00b",
    "\x00",
    "\ud800",
    "x\udfffy",
    "x" * 100_000,
    "é" * 50_000,
    "",
    " \t\n",
    "😀 e\u0301 \u202e\u200b",
    "NULL",
    *INJECTIONS,
]
INT_CANARIES: list[object] = [
    2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**100, -1, 0, -(10**9),
    float("nan"), float("inf"), float("-inf"),
]
ENUM_CANARIES: list[object] = [
    "not_a_label", "", "ADMIN", "admin'; --", "a\x00", "\ud800", "x" * 10_000, *INJECTIONS[:2],
]
JSON_CANARIES: list[object] = [
    float("nan"),
    {"v": float("inf")},
    {"v": "\x00"},
    {"v": "\ud800"},
    {"\x00": 1},
    "{not json",
    [1, 2, 3],
    "just a string",
    10**100,
    _nested(200),
    {"big": "x" * 100_000},
    {"set": {1, 2}},
    {"k": INJECTIONS[0]},
]
INET_CANARIES: list[object] = [
    "999.1.1.1", "not an ip", "10.0.0.1/99", "", "a\x00", "\ud800", *INJECTIONS[:2],
]


def canaries(param: Param) -> list[object]:
    if param.kind == "array":
        element = Param(param.name, param.element or "json", True)
        values: list[object] = [[], [None]]
        if param.element in BAD_KINDS:
            values += [[v] for v in canaries(element)[:12]]
        if param.element == "uuid":
            values.append([uuid.uuid4() for _ in range(5_000)])
        else:
            values.append(["x"] * 5_000)
        return values
    return {
        "text": TEXT_CANARIES,
        "int": INT_CANARIES,
        "float": INT_CANARIES,
        "numeric": [*INT_CANARIES, Decimal("NaN"), Decimal("1e1000")],
        "enum": ENUM_CANARIES,
        "json": JSON_CANARIES,
        "inet": INET_CANARIES,
    }[param.kind]


_ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)  # surrogates included


def bad_strategy(param: Param) -> st.SearchStrategy[object]:
    curated = st.sampled_from(canaries(param))
    if param.kind in ("text", "enum", "inet"):
        return st.one_of(curated, _ANY_TEXT)
    if param.kind in ("int", "float", "numeric"):
        return st.one_of(curated, st.integers(), st.floats(allow_nan=True, allow_infinity=True))
    if param.kind == "json":
        json_values = st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | _ANY_TEXT,
            lambda inner: st.lists(inner, max_size=4)
            | st.dictionaries(_ANY_TEXT, inner, max_size=4),
            max_leaves=10,
        )
        # a top-level None means "not passed" (the column default), not a JSON null
        return st.one_of(curated, json_values.filter(lambda v: v is not None))
    if param.kind == "array" and param.element in ("text", "enum", "inet"):
        return st.one_of(curated, st.lists(_ANY_TEXT, max_size=20))
    if param.kind == "array" and param.element == "int":
        return st.one_of(curated, st.lists(st.integers(), max_size=20))
    return curated


# --------------------------------------------------------------------------- valid values


@dataclass
class World:
    """Rows the valid arguments point at, made with the generated functions."""

    user: core.UserRow
    org: core.OrganizationRow
    role: core.RoleRow
    api_key: core.ApiKeyRow
    token: core.AuthTokenRow
    identity: core.UserIdentityRow
    audit: core.CreateAuditEventRow


def _hex() -> str:
    return uuid.uuid4().hex


def _sha256() -> str:
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()


BAD_INPUT_STATEMENT_TIMEOUT = "30s"


@pytest.fixture
def world(conn: Conn) -> World:
    # A bad input that makes a statement spin (it once looped forever) fails its case, named,
    # instead of hanging the run: see check_call.
    conn.execute("SELECT set_config('statement_timeout', %s, true)", [BAD_INPUT_STATEMENT_TIMEOUT])
    h = _hex()[:10]
    with db.transaction(conn):
        user = core.create_user(
            conn, username=f"w_{h}", email=f"w_{h}@example.com", hashed_password=PASSWORD_HASH
        )
        org = core.create_organization(conn, name=f"World {h}", slug=f"world-{h}")
        core.add_organization_member(conn, organization_id=org.id, user_id=user.id)
        roles = core.list_roles(conn, application=Application.CORE)
        if not roles:
            core.ensure_roles(conn, application=Application.CORE, names=["reliability_role"])
            roles = core.list_roles(conn, application=Application.CORE)
        api_key = core.create_api_key(
            conn, application=Application.CORE, name="world key", key_prefix="rk_world",
            key_hash=_sha256(), user_id=user.id, organization_id=org.id,
        )
        token = core.issue_token(
            conn, user_id=user.id, application=Application.CORE, jti=f"jti-{h}",
            token_hash=_sha256(), expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        identity = core.link_identity(
            conn, user_id=user.id, provider=AuthProvider.OIDC, issuer="https://issuer.example",
            subject=f"sub-{h}",
        )
        audit = core.create_audit_event(
            conn, application=Application.CORE, action=AuditAction.CREATE,
            entity_type="world", entity_id=h,
        )
    return World(user, org, roles[0], api_key, token, identity, audit)


_USER_REFS = {
    "created_by", "updated_by", "deleted_by", "revoked_by", "invited_by", "granted_by",
    "restored_by", "actor_user_id",
}


def valid_value(target: Target, param: Param, w: World) -> object:
    n, fn = param.name, target.name
    if param.kind == "uuid":
        if n.endswith("user_id") or n in _USER_REFS:
            return w.user.id
        if n == "organization_id":
            return w.org.id
        if n == "role_id":
            return w.role.id
        if n == "actor_api_key_id":
            return w.api_key.id
        if n == "id":
            for marker, value in (
                ("api_key", w.api_key.id), ("identity", w.identity.id), ("audit", w.audit.id),
                ("organization", w.org.id), ("role", w.role.id), ("user", w.user.id),
            ):
                if marker in fn:
                    return value
        return uuid.uuid4()
    if param.kind == "text":
        unique = _hex()[:12]
        by_name: dict[str, object] = {
            "username": f"u_{unique}",
            "email": f"e_{unique}@example.com",
            "slug": f"s-{unique}",
            "key_hash": _sha256(),
            "token_hash": _sha256(),
            "key_prefix": "rk_test",
            "hashed_password": PASSWORD_HASH,
            "jti": f"jti-{unique}" if fn.startswith("issue_") else w.token.jti,
            "role_name": w.role.name,
            "name": f"n_{unique}",
            "issuer": "https://issuer.example",
            "subject": f"sub-{unique}" if fn.startswith("link_") else w.identity.subject,
            "entity_type": "reliability",
            "code": "core:things:read",
        }
        return by_name.get(n, f"v_{unique}")
    if param.kind == "int":
        return 10 if n in ("limit", "batch_size") else 1
    if param.kind in ("float", "numeric"):
        return 1
    if param.kind == "bool":
        return False
    if param.kind == "datetime":
        if n == "occurred_at":
            return w.audit.occurred_at
        return datetime.now(UTC) + timedelta(days=1)
    if param.kind == "date":
        return date.today()
    if param.kind == "interval":
        return timedelta(days=1)
    if param.kind == "enum":
        assert param.enum is not None
        members = list(param.enum)
        if n == "provider":
            return members[-1]  # an external provider (identities refuse 'local')
        return members[0]
    if param.kind == "json":
        return {"k": "v"}
    if param.kind == "inet":
        return IPv4Address("10.0.0.1")
    if param.kind == "array":
        element = Param(n, param.element or "json", True)
        if param.element == "uuid" and n == "ids":
            return [w.user.id]
        if n == "names":
            return [f"r_{_hex()[:12]}"]
        return [valid_value(target, element, w)]
    raise AssertionError(f"{target.qualified}({n}): no valid value for kind {param.kind}")


# --------------------------------------------------------------------------- the check


class Snapshot:
    """Row counts of every table of the schema, and the set of its relations (one round trip
    each). Table names come from the catalogs, composed with ``psycopg.sql.Identifier``."""

    def __init__(self, conn: Conn, schema: str) -> None:
        self.conn = conn
        self.schema = schema
        tables = conn.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            " ORDER BY 1",
            (schema,),
        ).fetchall()
        assert tables, f"schema {schema} has no tables"
        self.count_query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}::text, count(*) FROM {}").format(
                sql.Literal(t), sql.Identifier(schema, t)
            )
            for (t,) in tables
        )

    def counts(self) -> dict[str, int]:
        return {str(t): int(c) for t, c in self.conn.execute(self.count_query).fetchall()}

    def relations(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            (self.schema,),
        ).fetchall()
        return {str(r[0]) for r in rows}


def _json_number_exact(value: object) -> object:
    """A JSON value with its numbers as Decimals: jsonb stores numbers as ``numeric``, so a float
    such as 5.0e16 is read back as the int 50000000000000000: the same number, another type."""
    return json.loads(json.dumps(value), parse_float=Decimal, parse_int=Decimal)


def _same(sent: object, stored: object, kind: str) -> bool:
    if kind == "json":
        return _json_number_exact(sent) == _json_number_exact(stored)
    if isinstance(sent, float) and isinstance(stored, float) and math.isnan(sent):
        return math.isnan(stored)
    if isinstance(sent, StrEnum) or isinstance(stored, StrEnum):
        return str(sent) == str(stored)
    return sent == stored


_ROUND_TRIP_KINDS = frozenset({"text", "enum", "json"})


def _read_back(target: Target, row: BaseModel, conn: Conn) -> BaseModel | None:
    """The row again through the schema's ``get_<entity>_by_id`` / ``get_<entity>``, if any."""
    if not target.name.startswith("create_"):
        return None
    module = importlib.import_module(f"registry_sql.{target.schema}")
    entity = target.name.removeprefix("create_")
    for getter_name in (f"get_{entity}_by_id", f"get_{entity}"):
        getter = getattr(module, getter_name, None)
        if getter is None:
            continue
        wanted = [p for p in list(inspect.signature(getter).parameters)[1:]]
        fields = row.model_dump()
        if all(p in fields for p in wanted):
            result: BaseModel = getter(conn, **{p: fields[p] for p in wanted})
            return result
    return None


KNOWN_NULL_ELEMENT_GAPS: dict[tuple[str, str], str] = {
    # (function, parameter): why a list with a NULL element is stored although the row model
    # (list[T]) cannot read it back. Empty: every array column has a CHECK
    # (array_position(<col>, NULL) IS NULL), and tests/reliability/test_schema_rules.py keeps it so.
}


def _known_gap(
    conn: Conn, snap: Snapshot, target: Target, param: Param, kwargs: dict[str, object]
) -> str | None:
    bad = kwargs[param.name]
    gap = KNOWN_NULL_ELEMENT_GAPS.get((target.qualified, param.name))
    if gap is None or not (isinstance(bad, list) and None in bad):
        return None
    before = snap.counts()
    try:
        with db.transaction(conn):
            row = target.fn(conn, **kwargs)
            _read_back(target, row, conn)
    except ValidationError:
        assert snap.counts() == before, f"{target.qualified}: rolled back, yet rows changed"
        return "known gap (NULL array element, reported)"
    pytest.fail(
        f"{target.qualified}({param.name}={bad!r:.60}) no longer breaks ({gap}): remove it "
        "from KNOWN_NULL_ELEMENT_GAPS"
    )


def check_call(
    conn: Conn, snap: Snapshot, target: Target, param: Param, bad: object, w: World
) -> str:
    """Call ``target`` with ``bad`` as ``param`` (valid values elsewhere); assert the contract.
    Returns the outcome's name."""
    kwargs = {
        p.name: valid_value(target, p, w) for p in target.params if p.required and p is not param
    }
    kwargs[param.name] = bad
    gap = _known_gap(conn, snap, target, param, kwargs)
    if gap is not None:
        TALLY.bad_input(gap)
        return gap
    relations = snap.relations()
    before = snap.counts()
    label = f"{target.qualified}({param.name}={bad!r:.80})"
    try:
        with db.transaction(conn):
            result = target.fn(conn, **kwargs)
            read_back = _read_back(target, result, conn) if isinstance(result, BaseModel) else None
    except RegistrySqlError as err:
        outcome = type(err).__name__
        assert not isinstance(err, QueryTimeout), (
            f"{label}: ran past the suite's statement_timeout ({BAD_INPUT_STATEMENT_TIMEOUT}): "
            "a bad value must be refused or served quickly, never spin"
        )
        assert type(err) is not RegistrySqlError, f"{label}: untranslated: {err}"
        assert err.query == target.qualified, f"{label}: the error does not name the query: {err}"
        assert str(err).startswith(f"{target.qualified}: "), f"{label}: {err}"
        assert len(str(err)) < 2_000, f"{label}: a {len(str(err))}-character message"
        # Refused client-side before sending (a secret parameter's format, docs/security.md):
        # there is no driver error to chain, and the error says the value was not sent.
        refused_before_sending = (
            isinstance(err, InvalidInput) and err.sqlstate is None and "not sent" in str(err)
        )
        if not isinstance(err, NotFound) and not refused_before_sending:
            assert isinstance(err.__cause__, psycopg.Error | UnicodeEncodeError | TypeError), (
                f"{label}: raised from {err.__cause__!r}"
            )
        if err.sqlstate is not None and err.sqlstate.startswith("23"):
            assert err.constraint or err.field, f"{label}: names no constraint/field: {err}"
        if err.sqlstate is None and not isinstance(err, NotFound):
            assert err.field == param.name, f"{label}: does not name the parameter: {err}"
        after = snap.counts()
        assert after == before, f"{label}: failed, yet rows changed: {before} -> {after}"
    except Exception as exc:  # the point: nothing else may escape
        pytest.fail(f"{label}: raised {type(exc).__name__} (not a RegistrySqlError): {exc}")
    else:
        outcome = "accepted"
        rows = [r for r in (result, read_back) if isinstance(r, BaseModel)]
        for p in target.params:
            if p.kind not in _ROUND_TRIP_KINDS or p.name not in kwargs:
                continue
            for row in rows:
                if p.name in type(row).model_fields:
                    stored = getattr(row, p.name)
                    assert _same(kwargs[p.name], stored, p.kind), (
                        f"{label}: {p.name} stored as {stored!r:.80}, sent {kwargs[p.name]!r:.80}"
                    )
                    if p is param:
                        outcome = "stored and read back identical"
    assert snap.relations() == relations, f"{label}: relations of {snap.schema} changed"
    TALLY.bad_input(outcome)
    return outcome


WITH_BAD_INPUT = [t for t in TARGETS if t.bad_input_params]
"""The functions that take text, numbers, arrays, JSON or enums (the others take only ids,
booleans and timestamps)."""


def _ids(targets: list[Target]) -> list[str]:
    return [t.qualified for t in targets]


@pytest.mark.parametrize("target", WITH_BAD_INPUT, ids=_ids(WITH_BAD_INPUT))
def test_every_canary_into_every_parameter(conn: Conn, world: World, target: Target) -> None:
    snap = Snapshot(conn, target.schema)
    for param in target.bad_input_params:
        for bad in canaries(param):
            check_call(conn, snap, target, param, bad, world)
    assert {"users", "audit_log"} <= set(Snapshot(conn, "core").counts())


@pytest.mark.parametrize("target", WITH_BAD_INPUT, ids=_ids(WITH_BAD_INPUT))
@hypothesis_settings()
@given(data=st.data())
def test_bad_input_property(conn: Conn, world: World, target: Target, data: st.DataObject) -> None:
    snap = Snapshot(conn, target.schema)
    param = data.draw(st.sampled_from(target.bad_input_params), label="parameter")
    bad = data.draw(bad_strategy(param), label=param.name)
    check_call(conn, snap, target, param, bad, world)
