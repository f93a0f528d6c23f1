"""A throwaway PgBouncer in transaction pooling mode in front of a test server.

The reliability suite runs its tenant and fault cases through it when the ``pgbouncer`` binary
is installed (Debian: ``apt-get install pgbouncer``; ``.ci/run`` installs it best effort).
When it is absent, the tests that need it are SKIPPED, with the reason in the summary.

PgBouncer refuses to run as root: when we are root it runs as the same unprivileged user as the
test servers (:func:`registry_sql.server.server_user`). It listens on a free loopback port,
authenticates nobody (``auth_type = trust``; the server behind it trusts local users too) and
forwards every database name to the test server's Unix socket, with few server connections per
database and user so that client connections share them, as in production.

(PYTEST_DONT_REWRITE: a helper module, not a test module.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from psycopg.conninfo import conninfo_to_dict

from registry_sql.server import server_user

#: Where to look for the binary besides $PATH (Debian installs it in /usr/sbin).
PGBOUNCER_PATHS = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer")
PGBOUNCER_ENV = "REGISTRY_SQL_PGBOUNCER"
MISSING_REASON = (
    "pgbouncer is not installed: the PgBouncer (transaction pooling) cases are skipped; "
    "install it with `apt-get install pgbouncer` (or set REGISTRY_SQL_PGBOUNCER=/path/to/pgbouncer)"
)


def find_pgbouncer() -> str | None:
    """The pgbouncer binary: ``$REGISTRY_SQL_PGBOUNCER``, ``$PATH``, or Debian's /usr/sbin."""
    explicit = os.environ.get(PGBOUNCER_ENV, "").strip()
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = shutil.which("pgbouncer")
    if found:
        return found
    return next((p for p in PGBOUNCER_PATHS if os.access(p, os.X_OK)), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgBouncer:
    """One pgbouncer process (``pool_mode = transaction``) in front of ``server_host``."""

    def __init__(
        self,
        binary: str,
        *,
        server_host: str,
        server_port: int,
        users: tuple[str, ...],
        pool_size: int = 2,
    ) -> None:
        self.binary = binary
        self.server_host = server_host
        self.server_port = server_port
        self.users = users
        self.pool_size = pool_size
        self.port = 0
        self.dir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        assert self.dir is not None
        return self.dir / "pgbouncer.log"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _write_config(self) -> Path:
        assert self.dir is not None
        (self.dir / "userlist.txt").write_text(
            "".join(f'"{u}" ""\n' for u in self.users), encoding="utf-8"
        )
        ini = self.dir / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={self.server_host} port={self.server_port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.dir}\n"
            "auth_type = trust\n"
            f"auth_file = {self.dir / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "min_pool_size = 0\n"
            "reserve_pool_size = 0\n"
            "max_client_conn = 200\n"
            f"logfile = {self.log_file}\n"
            "log_connections = 0\n"
            "log_disconnections = 0\n",
            encoding="utf-8",
        )
        return ini

    def start(self) -> PgBouncer:
        user = server_user()
        self.dir = Path(tempfile.mkdtemp(prefix="registry-sql-pgbouncer-", dir="/tmp"))
        kwargs: dict[str, object] = {}
        if user is not None:  # root: run it as the servers' unprivileged user
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        for _attempt in range(3):
            self.port = _free_port()
            ini = self._write_config()
            self.proc = subprocess.Popen(  # type: ignore[call-overload]
                [self.binary, str(ini)],
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                **kwargs,
            )
            if self._wait_ready():
                return self
            self._kill()
            if "Address already in use" not in self.log_tail():
                break
        log = self.log_tail()
        self.stop()
        raise RuntimeError(f"pgbouncer did not start; its log:\n{log}")

    def _wait_ready(self, timeout: float = 20.0) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return True
            time.sleep(0.05)
        return False

    def _kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # immediate shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        self._kill()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def url(self, direct_url: str) -> str:
        """``direct_url`` (a test server URL), rewritten to go through this PgBouncer: same
        user and database, host 127.0.0.1 and PgBouncer's port."""
        params = conninfo_to_dict(direct_url)
        user = quote(str(params.get("user") or "postgres"), safe="")
        dbname = quote(str(params["dbname"]), safe="")
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"


@contextlib.contextmanager
def running_pgbouncer(
    *, server_host: str, server_port: int, users: tuple[str, ...], pool_size: int = 2
) -> Iterator[PgBouncer]:
    """Start a PgBouncer for the test, or SKIP it (visibly) when pgbouncer is not installed."""
    binary = find_pgbouncer()
    if binary is None:
        pytest.skip(MISSING_REASON)
    bouncer = PgBouncer(
        binary,
        server_host=server_host,
        server_port=server_port,
        users=users,
        pool_size=pool_size,
    )
    bouncer.start()
    try:
        yield bouncer
    finally:
        bouncer.stop()
