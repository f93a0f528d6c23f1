"""The yoyo backend behind both ways of migrating: `registry-sql migrate` and plain `yoyo apply`.

``yoyo.ini`` names the database as ``registry-sql:///DATABASE_URL``: "the URL in the environment
variable ``DATABASE_URL``". registry-sql registers this backend with yoyo (entry point
``yoyo.backends``, name ``registry-sql``), so a deploy pipeline that sets
``DATABASE_URL=postgresql://...`` (any form registry-sql accepts: ``postgres://``,
``postgresql+psycopg://``...) and runs ``yoyo apply --batch`` migrates with psycopg 3, and:

* the URL is read by registry-sql's one parser (:func:`registry_sql.settings.normalize_url`):
  yoyo and registry-sql cannot disagree on where it points (an unescaped ``@`` in the password is
  refused with a message showing how to percent-encode it);
* the connection is opened by :func:`registry_sql.db.connect`: a wrong password, an unknown
  database or a server that is down is one translated line, the password masked;
* before yoyo touches its bookkeeping tables, the migrating role's privileges are checked
  (:func:`bookkeeping_problems`): a role without ``CREATE`` on ``public`` (PostgreSQL 15's
  default for non-owners) is told so, with the ``GRANT`` that fixes it, instead of yoyo's
  ``relation "yoyo_lock" does not exist``.

* a migration may say ``-- runs-before: <id> ...`` in its leading comment: when it and a target
  are both pending, it is applied just before the target (and rolled back just after it). This
  is how a NEW migration can prepare the ground for a RELEASED one on a fresh database without
  editing it (0070 runs before 0011 on TimescaleDB, see docs/scale-out.md); on a database where
  the target is already applied it runs in number order like any other (:func:`ordered`).

Under the ``yoyo`` command a problem ends the run with one line on stderr and exit status 1.
"""

from __future__ import annotations

import os
import re
from typing import Any

from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import DatabaseURI
from yoyo.migrations import topological_sort

from registry_sql.errors import ConfigError, MigrationError, RegistrySqlError

SCHEME = "registry-sql"
"""The yoyo URL scheme of this backend: ``registry-sql:///<ENVIRONMENT VARIABLE>``."""

DEFAULT_VARIABLE = "DATABASE_URL"

CHECKSUM_TABLE = ("public", "_registry_sql_migration_checksums")
"""Where the post-apply hook (``migrations/post-apply.py``) records content checksums."""

YOYO_TABLES = ("yoyo_lock", "_yoyo_migration", "_yoyo_log", "_yoyo_version")
"""yoyo's own bookkeeping, created in the connection's ``current_schema()`` (``public``)."""

# Every bookkeeping table: whether it exists, its owner, the privileges the current role lacks
# on it, and whether the role may create it in its schema. Static SQL, names as parameters.
_BOOKKEEPING_SQL = """
WITH wanted(schema_name, table_name) AS (
    SELECT current_schema(), t FROM unnest(%(yoyo_tables)s::text[]) AS t
    UNION ALL
    SELECT %(checksum_schema)s::text, %(checksum_table)s::text
)
SELECT w.schema_name,
       w.table_name,
       c.oid IS NOT NULL AS present,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       CASE WHEN c.oid IS NOT NULL THEN ARRAY(
           SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p
           WHERE NOT has_table_privilege(c.oid, p)
       ) END AS missing,
       n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'CREATE') AS can_create,
       n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE') AS can_use,
       current_user AS role_name
FROM wanted AS w
LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = w.schema_name
LEFT JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = w.table_name
"""


def bookkeeping_problems(conn: Any) -> list[str]:
    """What keeps the connected role from keeping yoyo's and registry-sql's bookkeeping: one
    sentence per problem, each with the statement that fixes it. Empty when all is well."""
    rows = conn.execute(
        _BOOKKEEPING_SQL,
        {
            "yoyo_tables": list(YOYO_TABLES),
            "checksum_schema": CHECKSUM_TABLE[0],
            "checksum_table": CHECKSUM_TABLE[1],
        },
    ).fetchall()
    problems: list[str] = []
    need_create: dict[str, list[str]] = {}
    for schema, table, present, owner, missing, can_create, can_use, role in rows:
        if schema is None:
            problems.append(
                f"role {role} has no usable schema in its search_path for yoyo's tables; "
                "fix: ALTER ROLE ... SET search_path = public, or GRANT USAGE, CREATE ON "
                f"SCHEMA public TO {role}"
            )
            break
        if not present:
            if not (can_create and can_use):
                need_create.setdefault(schema, []).append(table)
        elif missing:
            problems.append(
                f"role {role} lacks {', '.join(missing)} on {schema}.{table} (owned by {owner}); "
                f"fix: ALTER TABLE {schema}.{table} OWNER TO {role} (as {owner} or a superuser; "
                "e.g. after a restore with --no-owner), or migrate as the role that owns it"
            )
    for schema, tables in need_create.items():
        role = rows[0][7]
        problems.append(
            f"role {role} lacks CREATE on schema {schema}, needed to create the migration "
            f"bookkeeping ({', '.join(tables)}); PostgreSQL 15+ grants it only to the schema's "
            f"owner; fix: GRANT USAGE, CREATE ON SCHEMA {schema} TO {role} (as the database "
            "owner or a superuser), or migrate as the schema's owner"
        )
    return problems


def _url_from_environment(dburi: DatabaseURI) -> str:
    variable = (dburi.database or "").strip("/") or DEFAULT_VARIABLE
    value = os.environ.get(variable, "").strip()
    if not value:
        raise ConfigError(
            f"{variable} is not set: export {variable}=postgresql://USER:PASSWORD@HOST:5432/DBNAME"
            f" (yoyo.ini reads the database to migrate from it)"
        )
    from registry_sql.settings import normalize_url

    return normalize_url(value, source=variable)


_RUNS_BEFORE = re.compile(r"^\s*--\s*runs-before\s*:\s*(.*)$", re.MULTILINE)


def runs_before(migration: Any) -> list[str]:
    """The ids a migration's ``-- runs-before:`` lines name (in its leading comment)."""
    migration.load()
    head: list[str] = []
    for line in str(migration.source).splitlines():
        if line.strip() and not line.lstrip().startswith("--"):
            break
        head.append(line)
    return [i for m in _RUNS_BEFORE.finditer("\n".join(head)) for i in m.group(1).split()]


def ordered(migrations: Any) -> list[Any]:
    """yoyo's order (number order, then ``-- depends:``), with each migration that
    ``runs-before`` a migration of the same list moved just before it and made one of its
    dependencies, so the topological sort keeps it there. Migrations not in the list (already
    applied, for ``to_apply``) are ignored: then the migration keeps its number-order place."""
    items = list(migrations)
    by_id = {m.id: m for m in items}
    for m in list(items):
        targets = [by_id[t] for t in runs_before(m) if t in by_id]
        if not targets:
            continue
        first = min(items.index(t) for t in targets)
        if items.index(m) > first:
            items.remove(m)
            items.insert(first, m)
        for t in targets:
            t.load()
            t._depends.add(m)  # yoyo keeps depends as a set of Migration objects
    return list(topological_sort(items))


def _has_timescaledb(conn: Any) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'"
    ).fetchone()
    return row is not None


class RegistrySqlBackend(PostgresqlPsycopgBackend):  # type: ignore[misc]
    """yoyo's psycopg 3 backend, connecting through :func:`registry_sql.db.connect`.

    ``url``: the libpq URL to migrate (``registry-sql migrate`` passes it); without it the URL
    comes from the environment variable named by the yoyo URL (``registry-sql:///DATABASE_URL``).
    """

    def __init__(
        self,
        dburi: DatabaseURI,
        migration_table: str,
        url: str | None = None,
        options: str | None = None,
    ) -> None:
        self._target = url
        self._options = options
        self._from_yoyo_cli = url is None
        try:
            super().__init__(dburi, migration_table)
        except RegistrySqlError as exc:
            self._exit_or_raise(exc)

    def _exit_or_raise(self, exc: RegistrySqlError) -> None:
        if self._from_yoyo_cli:
            message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise SystemExit(f"yoyo: {message}") from exc
        raise exc

    def connect(self, dburi: DatabaseURI) -> Any:
        from registry_sql import db

        if self._target is None:
            self._target = _url_from_environment(dburi)
        extra: dict[str, str] = {}
        if self._options:
            from psycopg.conninfo import conninfo_to_dict

            given = str(conninfo_to_dict(self._target).get("options") or "")
            extra["options"] = f"{given} {self._options}".strip()
        # No server-side prepared statements: migrations are not a hot path, and a plan cached
        # before `DROP EXTENSION timescaledb` (0003's rollback) fails afterwards on TimescaleDB
        # ("could not open relation with OID ..." on yoyo's own INSERT INTO _yoyo_log).
        return db.connect(self._target, autocommit=True, prepare_threshold=None, **extra)

    def init_database(self) -> None:
        try:
            problems = bookkeeping_problems(self.connection)
        except Exception as exc:  # a driver error: translated, one line
            import psycopg

            if not isinstance(exc, psycopg.Error):
                raise
            from registry_sql.errors import translate_error

            self._exit_or_raise(translate_error(exc, query="migration privilege check"))
            raise
        if problems:
            self._exit_or_raise(MigrationError("cannot migrate: " + "; ".join(problems)))
        super().init_database()

    def rollback_one(self, migration: Any, force: bool = False) -> None:
        """yoyo's rollback_one, plus: when the rollback dropped the timescaledb extension (0003's
        does, on TimescaleDB), reconnect before the bookkeeping. The rollback runs on a second
        connection; this one still has TimescaleDB's caches of the dropped catalog and fails on
        its next INSERT ("could not open relation with OID ...", TimescaleDB 2.29)."""
        self.ensure_internal_schema_updated()
        with self.copy() as migration_backend:
            had = _has_timescaledb(migration_backend.connection)
            migration.process_steps(migration_backend, "rollback", force=force)
            dropped = had and not _has_timescaledb(migration_backend.connection)
        if dropped:
            self.connection.close()
            self._connection = self.connect(self.uri)
            self.init_connection(self._connection)
        self.log_migration(migration, "rollback")
        with self.transaction():
            self.unmark_one(migration, log=False)

    def to_apply(self, migrations: Any) -> Any:
        applied = set(self.get_applied_migration_hashes())
        pending = [m for m in migrations if m.hash not in applied]
        return migrations.__class__(ordered(pending), migrations.post_apply)

    def to_rollback(self, migrations: Any) -> Any:
        applied = set(self.get_applied_migration_hashes())
        done = [m for m in migrations if m.hash in applied]
        return migrations.__class__(list(reversed(ordered(done))), migrations.post_apply)

    def copy(self) -> RegistrySqlBackend:
        return self.__class__(
            self.uri, self.migration_table, url=self._target, options=self._options
        )


def backend_for(
    url: str, *, options: str | None = None, migration_table: str = "_yoyo_migration"
) -> RegistrySqlBackend:
    """A connected, initialised backend for the libpq ``url`` (for `registry-sql migrate`);
    ``options``: server options for every migration connection (``-c lock_timeout=5s``)."""
    dburi = DatabaseURI(SCHEME, None, None, None, None, DEFAULT_VARIABLE, {})
    backend = RegistrySqlBackend(dburi, migration_table, url=url, options=options)
    try:
        backend.init_database()
    except BaseException:
        backend.connection.close()
        raise
    return backend
