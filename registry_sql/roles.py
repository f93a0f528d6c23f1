"""The service's login role: a member of ``registry_app`` and nothing more.

Migration 0001 creates three NOLOGIN group roles: ``registry_owner`` (owns the schema; migrations
run as it), ``registry_app`` (DML only, under row-level security) and ``registry_readonly``.
A service must log in as its own role that is a member of ``registry_app`` only: a superuser, a
role with BYPASSRLS or the owner silently bypasses every row-level security policy and can
change the audit log. :func:`create_login_role` (``registry-sql roles create-login NAME``) makes
that role; :func:`registry_sql.db.create_pool` refuses a privileged role at start-up.

Run it as an administrator (a superuser, or a role with CREATEROLE and ADMIN OPTION on the group
role), e.g. with the URL migrations use.
"""

from __future__ import annotations

import re
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from registry_sql.errors import ConfigError, InvalidInput, translate_error

__all__ = ["APP_ROLE", "GROUP_ROLES", "READONLY_ROLE", "create_login_role", "role_report"]

APP_ROLE = "registry_app"
READONLY_ROLE = "registry_readonly"
GROUP_ROLES = ("registry_owner", APP_ROLE, READONLY_ROLE)

_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_ATTRIBUTES: LiteralString = (
    "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
)
_CREATE: LiteralString = "CREATE ROLE {} " + _ATTRIBUTES
_ALTER: LiteralString = "ALTER ROLE {} " + _ATTRIBUTES
_PASSWORD: LiteralString = "ALTER ROLE {} PASSWORD {}"
_GRANT: LiteralString = "GRANT {} TO {}"
_EXISTS: LiteralString = "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s"
_MEMBER_OF: LiteralString = """
SELECT g.rolname
FROM pg_catalog.pg_auth_members m
JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
JOIN pg_catalog.pg_roles u ON u.oid = m.member
WHERE u.rolname = %s
ORDER BY 1
"""
_REPORT: LiteralString = """
SELECT r.rolname::text, r.rolcanlogin, r.rolsuper, r.rolbypassrls,
       ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_roles g
              WHERE g.rolname = ANY(%s) AND pg_catalog.pg_has_role(r.oid, g.oid, 'MEMBER')
              ORDER BY 1)
FROM pg_catalog.pg_roles r
WHERE r.rolname = %s
"""


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name) or name in GROUP_ROLES:
        raise InvalidInput(
            f"role name {name!r} is not valid: use 1 to 63 lowercase letters, digits and "
            "underscores, starting with a letter (e.g. 'model_registry_api'), and not one of "
            f"the group roles ({', '.join(GROUP_ROLES)})",
            field="name",
        )


def create_login_role(
    conn: psycopg.Connection[Any],
    name: str,
    *,
    password: str | None = None,
    readonly: bool = False,
) -> bool:
    """Create (or bring into line) the login role ``name``, a member of ``registry_app`` (or of
    ``registry_readonly`` with ``readonly=True``) with no other privilege. Returns True when the
    role was created, False when it existed (its attributes are reset, the grant re-applied).

    Raises :class:`~registry_sql.errors.ConfigError` when an existing role of that name is a
    member of ``registry_owner`` (revoke that by hand: this helper never removes rights), and
    :class:`~registry_sql.errors.MigrationError` when the group roles do not exist yet (migrate
    first). Runs in its own transaction: all or nothing.
    """
    _check_name(name)
    group = READONLY_ROLE if readonly else APP_ROLE
    ident = sql.Identifier(name)
    try:
        with conn.transaction():
            if conn.execute(_EXISTS, (group,)).fetchone() is None:
                raise ConfigError(
                    f"role {group} does not exist: run `registry-sql migrate` on this server "
                    "first (migration 0001 creates the group roles)"
                )
            exists = conn.execute(_EXISTS, (name,)).fetchone() is not None
            if exists:
                groups = [row[0] for row in conn.execute(_MEMBER_OF, (name,)).fetchall()]
                if "registry_owner" in groups:
                    raise ConfigError(
                        f"role {name} is a member of registry_owner, so row-level security "
                        f"would not apply to it; revoke it (REVOKE registry_owner FROM {name}) "
                        "or choose another name for the service's role"
                    )
                conn.execute(sql.SQL(_ALTER).format(ident))
            else:
                conn.execute(sql.SQL(_CREATE).format(ident))
            if password is not None:
                conn.execute(sql.SQL(_PASSWORD).format(ident, sql.Literal(password)))
            conn.execute(sql.SQL(_GRANT).format(sql.Identifier(group), ident))
    except psycopg.Error as e:
        raise translate_error(e, query="create_login_role") from e
    return not exists


def role_report(conn: psycopg.Connection[Any], name: str | None = None) -> dict[str, Any]:
    """What ``name`` (default: the connected role) may do, for ``registry-sql roles check``."""
    if name is None:
        row = conn.execute("SELECT current_user::text").fetchone()
        assert row is not None
        name = str(row[0])
    found = conn.execute(_REPORT, (list(GROUP_ROLES), name)).fetchone()
    if found is None:
        raise ConfigError(f"role {name!r} does not exist")
    role, login, superuser, bypassrls, groups = found
    return {
        "role": role,
        "login": login,
        "superuser": superuser,
        "bypassrls": bypassrls,
        "groups": list(groups),
        "service_ok": bool(
            login
            and not superuser
            and not bypassrls
            and "registry_owner" not in groups
            and (APP_ROLE in groups or READONLY_ROLE in groups)
        ),
    }
