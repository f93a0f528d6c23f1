"""The privilege matrix of docs/security.md, checked against the catalog of a freshly migrated
database, for every schema in it (so a schema added by a future migration is covered at once).

The matrix is parsed from the doc (between ``<!-- privilege-matrix -->`` markers): the doc and
this test cannot disagree. Every privilege in the catalog (``aclexplode`` over databases,
schemas, relations, columns, routines, types and default ACLs) must be allowed by the most
specific matrix row; rows that deny (``none``) are also checked with ``has_*_privilege``; exact
rows must be present in the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import psycopg
import pytest

from registry_sql import migrate

Conn = psycopg.Connection[Any]

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
GROUPS = ("registry_owner", "registry_app", "registry_readonly")
KINDS = {"database", "schema", "table", "partition", "column", "function", "type", "default_acl"}
PRIVILEGES = {
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "MAINTAIN",
    "USAGE",
    "CREATE",
    "CONNECT",
    "TEMPORARY",
    "EXECUTE",
}


@dataclass(frozen=True)
class Rule:
    grantee: str
    kind: str
    pattern: str
    privileges: frozenset[str]  # empty: none
    line: int

    @property
    def exact(self) -> bool:
        return "*" not in self.pattern

    def specificity(self) -> tuple[bool, int]:
        return self.exact, len(self.pattern.replace("*", ""))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def load_matrix(text: str) -> list[Rule]:
    m = re.search(r"<!-- privilege-matrix -->\n(.*?)<!-- /privilege-matrix -->", text, re.S)
    assert m is not None, f"{DOC}: no <!-- privilege-matrix --> block"
    first = text[: m.start(1)].count("\n") + 1
    lines = m[1].strip().splitlines()
    assert _cells(lines[0]) == ["grantee", "kind", "object", "privileges", "reason"], lines[0]
    rules = []
    for offset, line in enumerate(lines[2:], start=2):
        grantees, kind, objects, privileges, reason = _cells(line)
        where = f"docs/security.md:{first + offset}"
        assert kind in KINDS, f"{where}: unknown kind {kind!r}"
        assert reason, f"{where}: every grant needs its reason"
        privs = (
            frozenset()
            if privileges == "none"
            else frozenset(p.strip() for p in privileges.split(","))
        )
        assert privs <= PRIVILEGES, f"{where}: unknown privilege in {privileges!r}"
        for grantee in (g.strip() for g in grantees.split(",")):
            for pattern in (o.strip().strip("`") for o in objects.split(",")):
                rules.append(Rule(grantee, kind, pattern, privs, first + offset))
    return rules


def decide(rules: list[Rule], grantee: str, kind: str, obj: str) -> Rule | None:
    """The most specific rule for (grantee, kind, object); rows for ``*`` when none name it."""
    for who in (grantee, "*"):
        found = [
            r for r in rules if r.grantee == who and r.kind == kind and fnmatchcase(obj, r.pattern)
        ]
        if found:
            return max(found, key=Rule.specificity)
    return None


# --------------------------------------------------------------------------------------------
# The catalog

# Grantee names: PUBLIC, OWNER (the object's owner) or the role.
_CATALOG = {
    "database": """
        SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' WHEN acl.grantee = d.datdba THEN 'OWNER'
                    ELSE acl.grantee::regrole::text END, '*', acl.privilege_type
          FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) acl
         WHERE d.datname = current_database()""",
    "schema": """
        SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' WHEN acl.grantee = n.nspowner THEN 'OWNER'
                    ELSE acl.grantee::regrole::text END, n.nspname::text, acl.privilege_type
          FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) acl
         WHERE n.nspname = ANY(%(schemas)s)""",
    "relation": """
        SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' WHEN acl.grantee = c.relowner THEN 'OWNER'
                    ELSE acl.grantee::regrole::text END, n.nspname || '.' || c.relname,
               acl.privilege_type, c.relispartition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
               aclexplode(coalesce(c.relacl, acldefault(
                   CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) acl
         WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')""",
    "column": """
        SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' WHEN acl.grantee = c.relowner THEN 'OWNER'
                    ELSE acl.grantee::regrole::text END,
               n.nspname || '.' || c.relname || '.' || a.attname, acl.privilege_type
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) acl
         WHERE n.nspname = ANY(%(schemas)s) AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attacl IS NOT NULL""",
    "function": """
        SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' WHEN acl.grantee = p.proowner THEN 'OWNER'
                    ELSE acl.grantee::regrole::text END, n.nspname || '.' || p.proname,
               acl.privilege_type
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
               aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl
         WHERE n.nspname = ANY(%(schemas)s)""",
    "type": """
        SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' WHEN acl.grantee = t.typowner THEN 'OWNER'
                    ELSE acl.grantee::regrole::text END, n.nspname || '.' || t.typname,
               acl.privilege_type
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace,
               aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) acl
         WHERE n.nspname = ANY(%(schemas)s) AND t.typtype IN ('e', 'd', 'r', 'm')""",
    "default_acl": """
        SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE acl.grantee::regrole::text END,
               '*', acl.privilege_type
          FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace,
               aclexplode(d.defaclacl) acl
         WHERE n.nspname IS NULL OR n.nspname = ANY(%(schemas)s)""",
}


def catalog_privileges(conn: Conn, schemas: list[str]) -> Iterator[tuple[str, str, str, str]]:
    """(grantee, kind, object, privilege) for every privilege the catalog holds."""
    args = {"schemas": schemas}
    for kind, query in _CATALOG.items():
        for row in conn.execute(query, args).fetchall():
            if kind == "relation":
                grantee, obj, priv, is_partition = row
                yield grantee, "partition" if is_partition else "table", obj, priv
            else:
                grantee, obj, priv = row
                yield grantee, kind, obj, priv


def registry_schemas(conn: Conn) -> list[str]:
    """Every schema of the database except PostgreSQL's own and ``public``, cross-checked with
    the schemas the migrations create."""
    found = [
        r[0]
        for r in conn.execute(
            "SELECT nspname::text FROM pg_namespace WHERE nspname !~ '^pg_'"
            " AND nspname NOT IN ('information_schema', 'public') ORDER BY 1"
        ).fetchall()
    ]
    created = set()
    for path in (ROOT / "migrations").glob("*.sql"):
        if not path.name.endswith(".rollback.sql"):
            created |= set(
                re.findall(r"(?im)^\s*CREATE SCHEMA (?:IF NOT EXISTS )?(\w+)", path.read_text())
            )
    assert created and created <= set(found), (created, found)
    return found


@pytest.fixture
def fresh(empty_url: str) -> Iterator[Conn]:
    """A database migrated from nothing (database privileges do not survive CREATE DATABASE
    ... TEMPLATE, which the other tests' clones use)."""
    migrate.apply(empty_url)
    with psycopg.connect(empty_url, autocommit=True) as c:
        yield c


def test_the_matrix_parses_and_names_a_reason_for_every_row() -> None:
    rules = load_matrix(DOC.read_text())
    assert len(rules) > 40
    assert {r.grantee for r in rules} >= {"OWNER", "PUBLIC", *GROUPS}
    assert decide(rules, "registry_app", "table", "core.audit_log") is not None
    got = decide(rules, "registry_app", "table", "core.audit_log")
    assert got is not None and got.privileges == {"SELECT"}
    got = decide(rules, "registry_app", "table", "core.organizations")
    assert got is not None and got.privileges == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    got = decide(rules, "somebody", "partition", "mlops.run_metrics_default")
    assert got is not None and got.privileges == frozenset()


def test_every_privilege_in_the_catalog_is_in_the_matrix(fresh: Conn) -> None:
    rules = load_matrix(DOC.read_text())
    schemas = registry_schemas(fresh)
    assert {"core", "model_registry", "mlops"} <= set(schemas)
    held = set(catalog_privileges(fresh, schemas))
    assert len(held) > 200

    unexpected = []
    for grantee, kind, obj, priv in sorted(held):
        rule = decide(rules, grantee, kind, obj)
        if rule is None or priv not in rule.privileges:
            why = (
                f"docs/security.md:{rule.line} allows {sorted(rule.privileges) or 'none'}"
                if rule
                else "no row"
            )
            unexpected.append(f"{grantee} {priv} on {kind} {obj} ({why})")
    assert not unexpected, "privileges not in the matrix:\n  " + "\n  ".join(unexpected)

    # Exact rows are facts: the catalog must hold them (the doc cannot drift either way).
    missing = []
    for r in rules:
        if not r.exact or not r.privileges or r.grantee in ("*", "OWNER"):
            continue
        for priv in r.privileges:
            if priv == "MAINTAIN" and fresh.info.server_version < 170000:
                continue
            if (r.grantee, r.kind, r.pattern, priv) not in held:
                missing.append(f"docs/security.md:{r.line}: {r.grantee} {priv} on {r.pattern}")
    assert not missing, "matrix rows the catalog does not hold:\n  " + "\n  ".join(missing)


def test_denied_rows_hold_through_role_membership(fresh: Conn) -> None:
    """has_*_privilege (which follows membership and PUBLIC) agrees with every ``none`` row that
    names a group and an exact object, and no group reaches any partition."""
    rules = load_matrix(DOC.read_text())
    checked = 0
    for r in rules:
        if r.privileges or not r.exact or r.grantee not in GROUPS:
            continue
        if r.kind == "column":
            schema, table, column = r.pattern.split(".")
            # Table-level privileges cover every column: only the others must be absent.
            table_rule = decide(rules, r.grantee, "table", f"{schema}.{table}")
            covered = table_rule.privileges if table_rule else frozenset()
            for priv in sorted({"SELECT", "INSERT", "UPDATE", "REFERENCES"} - covered):
                row = fresh.execute(
                    "SELECT has_column_privilege(%s, %s, %s, %s)",
                    (r.grantee, f"{schema}.{table}", column, priv),
                ).fetchone()
                assert row == (False,), (r, priv)
                checked += 1
        elif r.kind == "table":
            for priv in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER"):
                row = fresh.execute(
                    "SELECT has_table_privilege(%s, %s, %s)", (r.grantee, r.pattern, priv)
                ).fetchone()
                assert row == (False,), (r, priv)
                checked += 1
    partitions = [
        r[0]
        for r in fresh.execute(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relispartition"
        ).fetchall()
    ]
    assert partitions
    for part in partitions:
        for role in GROUPS:
            row = fresh.execute(
                "SELECT has_table_privilege(%s, %s, 'SELECT')"
                " OR has_table_privilege(%s, %s, 'INSERT')"
                " OR has_any_column_privilege(%s, %s, 'SELECT')",
                (role, part) * 3,
            ).fetchone()
            assert row == (False,), (role, part)
            checked += 1
    assert checked > 50


def test_a_new_schema_is_covered_without_editing_the_test(fresh: Conn) -> None:
    """A schema created by a (future) migration with a grant the matrix lacks fails the check."""
    fresh.execute("CREATE SCHEMA future_app")
    fresh.execute("CREATE TABLE future_app.things (id int)")
    fresh.execute("GRANT TRUNCATE ON future_app.things TO registry_app")
    rules = load_matrix(DOC.read_text())
    schemas = [
        r[0]
        for r in fresh.execute(
            "SELECT nspname::text FROM pg_namespace WHERE nspname !~ '^pg_'"
            " AND nspname NOT IN ('information_schema', 'public')"
        ).fetchall()
    ]
    assert "future_app" in schemas
    bad = [
        (g, k, o, p)
        for g, k, o, p in catalog_privileges(fresh, schemas)
        if (rule := decide(rules, g, k, o)) is None or p not in rule.privileges
    ]
    assert ("registry_app", "table", "future_app.things", "TRUNCATE") in bad
