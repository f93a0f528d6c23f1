"""`registry-sql demo`: migrate, load sample data, and take a short tour of the typed functions.

Every database call in the tour goes through the generated functions (``registry_sql.<schema>``);
each step prints the call and what came back. Bad input is shown too: each refused write prints
the translated error and proves nothing was written. The segments live in
``registry_sql.tours.<schema>``, the sample data in ``registry_sql.seeds.<schema>``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from psycopg import sql as pgsql

from registry_sql import db, migrate
from registry_sql.seeds import seed_all
from registry_sql.settings import redact_url
from registry_sql.tours import BOLD, RESET, modules, section

DEMO_DB = "registry_sql_demo"
DEMO_SIZE = 200


def demo_url(server_url: str) -> str:
    """The URL of the demo's own database on the server of ``server_url`` (the embedded one).

    Written plainly (the socket directory in ``?host=`` is not percent-encoded), so it can be
    copied into ``DATABASE_URL`` as it is.
    """
    parts = urlsplit(server_url)
    query = dict(parse_qsl(parts.query))
    query.pop("dbname", None)
    return urlunsplit(
        parts._replace(path=f"/{DEMO_DB}", query=urlencode(query, safe="/"))
    )


def demo_database(url: str) -> str:
    """On the embedded server the demo uses a database of its own, created on first use."""
    with db.connect(url, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DEMO_DB,)
        ).fetchone()
        if not exists:
            admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(DEMO_DB)))
    return demo_url(url)


def run_demo(url: str, *, reset: bool = False, own_database: bool = False) -> int:
    """The tour. ``own_database``: ``url`` is a server (the embedded one): use a demo database."""
    if own_database:
        url = demo_database(url)
    print(f"{BOLD}registry-sql demo{RESET} on {redact_url(url)}")

    section("Migrations (yoyo, locked, checksummed)")
    if not reset and own_database and migrate.checksum_problems(url):
        # The demo's own database was migrated by other versions of these files (an older
        # checkout): start it over rather than tour a schema that no longer matches the code.
        print("the demo database was migrated by other versions of the migration files: "
              "starting it over")
        reset = True
    if reset:
        dropped = migrate.wipe(url)
        print(f"reset: dropped {', '.join(dropped) or 'nothing'}")
    applied = migrate.apply(url)
    print(f"applied {len(applied)} migration(s)"
          + (f": {', '.join(applied)}" if applied else " (already up to date)"))
    problems = migrate.checksum_problems(url)
    if problems:
        print(f"applied-migration checksums: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
        print("  (`registry-sql demo --reset` starts the demo data over)")
    else:
        print("applied-migration checksums: OK")

    with db.connect(url, autocommit=True) as conn:
        section("Sample data, loaded through the typed functions")
        for schema, counts in seed_all(conn, size=DEMO_SIZE).items():
            done = ", ".join(f"{n} {what}" for what, n in counts.items())
            print(f"{schema:15} {done or 'already present (demo --reset starts over)'}")
        for module in modules("tours"):
            module.tour(conn)

    print(f"\n{BOLD}Tour complete.{RESET} Next: `from registry_sql.core import get_user_by_id`; "
          "see README.md.")
    print("To use this database from Python (registry_sql.db.connect()) and the CLI "
          "(`registry-sql status`), set:")
    print(f"export DATABASE_URL='{redact_url(url)}'")
    return 0
