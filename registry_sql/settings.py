"""Configuration from the environment: one reader for every service (catalog §3.3 C16).

Order: ``DATABASE_URL`` first (libpq ``postgresql://`` / ``postgres://`` or SQLAlchemy
``postgresql+psycopg://``, ``+asyncpg``, ``+psycopg2``, normalised to libpq form); else, if any
``POSTGRES_HOST/PORT/DB/USER/PASSWORD`` is set, a URL built from them; else no URL (the CLI then
starts an embedded server). Pool sizes from ``DB_POOL_MIN_SIZE``/``DB_POOL_MAX_SIZE`` or the
SQLAlchemy-style ``DB_POOL_SIZE`` + ``DB_MAX_OVERFLOW`` (also spelt ``DATABASE_*``).

Every bad value is a :class:`~registry_sql.errors.ConfigError` at start-up whose message names the
variable, shows the value (passwords masked) and says what to write instead. See docs/runtime.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Self
from urllib.parse import parse_qsl, quote, urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from registry_sql.errors import ConfigError

__all__ = [
    "DEFAULT_POSTGRES_DB",
    "DEFAULT_POSTGRES_HOST",
    "DEFAULT_POSTGRES_PORT",
    "DEFAULT_POSTGRES_USER",
    "Settings",
    "normalize_url",
    "redact_url",
    "yoyo_url",
]

DEFAULT_POSTGRES_HOST = "localhost"
DEFAULT_POSTGRES_PORT = 5432
DEFAULT_POSTGRES_DB = "registry"
DEFAULT_POSTGRES_USER = "postgres"

DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_OVERFLOW = 10
DEFAULT_PREPARE_THRESHOLD = 5  # psycopg's own default

_POSTGRES_VARS = (
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
)

# SQLAlchemy dialect+driver suffixes we accept and strip.
_KNOWN_DRIVERS = frozenset(
    {"psycopg", "psycopg2", "psycopg2cffi", "asyncpg", "pg8000", "psycopg_async"}
)
_SCHEME_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.S)
EXAMPLE_URL = "postgresql://USER:PASSWORD@HOST:5432/DBNAME"
_EXAMPLE_URL = EXAMPLE_URL

# asyncpg's ``ssl=`` query parameter (seed 004 uses +asyncpg URLs) -> libpq's ``sslmode``.
_ASYNCPG_SSL = {
    "true": "require",
    "1": "require",
    "false": "disable",
    "0": "disable",
    "disable": "disable",
    "allow": "allow",
    "prefer": "prefer",
    "require": "require",
    "verify-ca": "verify-ca",
    "verify-full": "verify-full",
}


# --------------------------------------------------------------------------------------------
# URLs


def redact_url(url: str) -> str:
    """The URL with its password masked (``***``), safe to print or log.

    >>> redact_url("postgresql://app:s3cret@db:5432/registry")
    'postgresql://app:***@db:5432/registry'
    """
    m = _SCHEME_RE.match(url.strip())
    if m is None:
        # Not a URL: mask anything that looks like user:password@ or password=...
        masked = re.sub(r"(?<=:)[^:@/\s]*(?=@)", "***", url)
        return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", masked, flags=re.I)
    scheme, rest = m["scheme"], m["rest"]
    authority, sep, tail = _split_authority(rest)
    userinfo, at, hosts = authority.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        authority = f"{user}:***@{hosts}"
    tail = re.sub(r"(?i)((?:^|[?&])password=)[^&#]*", r"\1***", tail)
    redacted = f"{scheme}://{authority}{sep}{tail}"
    # A raw password containing '?...=' reads like a query string to the split above: when
    # everything between "user:" and the last '@' survived, mask all of it (over-masking is
    # safe; showing a password is not).
    raw = re.match(r"^(?P<user>[^/?#@:]*):(?P<pw>.+)@(?P<after>[^@]*)$", rest, re.S)
    if raw is not None and raw["pw"] in redacted:
        after = re.sub(r"(?i)((?:^|[?&])password=)[^&#]*", r"\1***", raw["after"])
        return f"{scheme}://{raw['user']}:***@{after}"
    return redacted


def _split_authority(rest: str) -> tuple[str, str, str]:
    """Split ``user:pw@host:port/db?x`` into ``("user:pw@host:port", "/", "db?x")``."""
    # The password may contain '/', '?' or '#' only percent-encoded (RFC 3986), but people do
    # write them raw; the last '@' before the path ends the userinfo.
    at = rest.rfind("@")
    if at >= 0 and "?" in rest[:at] and "=" in rest[rest.index("?") : at]:
        at = -1  # the '@' is inside a query parameter (e.g. ?user=a@b), not in userinfo
    start = at + 1 if at >= 0 else 0
    for i in range(start, len(rest)):
        if rest[i] in "/?#":
            return rest[:i], rest[i], rest[i + 1 :]
    return rest, "", ""


def _password_of(url: str) -> str | None:
    m = _SCHEME_RE.match(url.strip())
    if m is None:
        return None
    authority, _, tail = _split_authority(m["rest"])
    userinfo, at, _ = authority.rpartition("@")
    password: str | None = None
    if at and ":" in userinfo:
        password = userinfo.split(":", 1)[1]
    for key, value in parse_qsl(tail.partition("?")[2] if "?" in tail else tail):
        if key.lower() == "password":
            password = value
    return password or None


def _url_error(url: str, source: str, problem: str) -> ConfigError:
    shown = redact_url(url)
    password = _password_of(url)
    if password:
        problem = problem.replace(f'"{password}"', '"***"')
        if len(password) >= 4:
            problem = problem.replace(password, "***")
    return ConfigError(
        f"{source}={shown!r} is not a valid PostgreSQL URL: {problem}; write it as "
        f"{_EXAMPLE_URL} (percent-encode special characters in the user and password)"
    )


def normalize_url(url: str, *, source: str = "DATABASE_URL") -> str:
    """Return the libpq form (``postgresql://...``) of a PostgreSQL URL.

    Accepts ``postgresql://``, ``postgres://`` and the SQLAlchemy forms ``postgresql+psycopg://``,
    ``postgresql+asyncpg://`` (its ``ssl=`` becomes libpq's ``sslmode=``), ``postgresql+psycopg2://``.
    Raises :class:`ConfigError` (naming ``source``) for anything else or for a malformed URL.

    >>> normalize_url("postgresql+asyncpg://u:p@db/app?ssl=require")
    'postgresql://u:p@db/app?sslmode=require'
    """
    text = url.strip()
    m = _SCHEME_RE.match(text)
    if m is None:
        raise _url_error(url, source, "it does not start with postgresql://")
    scheme = m["scheme"].lower()
    rest = m["rest"]
    dialect, plus, driver = scheme.partition("+")
    if dialect not in ("postgresql", "postgres"):
        raise ConfigError(
            f"{source}={redact_url(url)!r} uses the scheme {m['scheme']!r}: registry-sql needs "
            f"PostgreSQL; write it as {_EXAMPLE_URL}"
        )
    if plus and driver not in _KNOWN_DRIVERS:
        raise ConfigError(
            f"{source}={redact_url(url)!r} names the unknown driver {driver!r}; write it as "
            f"{_EXAMPLE_URL} (or postgresql+psycopg://...)"
        )
    authority, sep, tail = _split_authority(rest)
    userinfo = authority.rpartition("@")[0]
    if "@" in userinfo:
        raise _url_error(
            url,
            source,
            "the user or password contains an unescaped '@' (only the last '@' may end them); "
            "percent-encode it as %40 (a password a@b is written a%40b: "
            "postgresql://USER:a%40b@HOST:5432/DBNAME)",
        )
    if any(ch in userinfo for ch in "/?#"):
        raise _url_error(
            url,
            source,
            "the user or password contains '/', '?' or '#'; percent-encode them as %2F, %3F, %23",
        )
    if sep == "#" or "#" in tail:
        raise _url_error(url, source, "it has a '#' fragment (percent-encode '#' as %23)")
    path, qmark, query = tail.partition("?")
    if sep == "?":
        path, qmark, query = "", "?", tail
    if qmark and query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k == "ssl" for k, _ in pairs):
            converted: list[tuple[str, str]] = []
            for k, v in pairs:
                if k == "ssl":
                    mode = _ASYNCPG_SSL.get(v.lower())
                    if mode is None:
                        raise _url_error(
                            url, source, f"ssl={v!r} is not understood; use sslmode=require"
                        )
                    converted.append(("sslmode", mode))
                else:
                    converted.append((k, v))
            query = urlencode(converted, quote_via=quote, safe="/")
    result = f"postgresql://{authority}"
    if sep == "/" or path:
        result += f"/{path}"
    if qmark:
        result += f"?{query}"
    try:
        params = conninfo_to_dict(result)
    except psycopg.Error as e:
        raise _url_error(url, source, str(e).strip()) from None
    for port in str(params.get("port", "")).split(","):
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise _url_error(url, source, f"port {port!r} is not a number from 1 to 65535")
    return result


def yoyo_url(url: str) -> str:
    """The URL form yoyo-migrations needs to use psycopg 3: ``postgresql+psycopg://...``."""
    normal = normalize_url(url)
    return "postgresql+psycopg://" + normal.removeprefix("postgresql://")


def _build_url(host: str, port: int, db: str, user: str, password: str | None) -> str:
    userinfo = quote(user, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    dbname = quote(db, safe="")
    if host.startswith("/"):
        # a Unix-socket directory goes in the query string
        return f"postgresql://{userinfo}@/{dbname}?host={quote(host, safe='/')}&port={port}"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    return f"postgresql://{userinfo}@{host}:{port}/{dbname}"


# --------------------------------------------------------------------------------------------
# Values


def _lookup(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    """The (name, value) of the first set variable among spellings of one setting.

    Two spellings set to different values is an error: which one wins would be a guess.
    """
    found = [(n, env[n].strip()) for n in names if env.get(n, "").strip() != ""]
    if not found:
        return None
    distinct = {v for _, v in found}
    if len(distinct) > 1:
        shown = " and ".join(f"{n}={v!r}" for n, v in found)
        raise ConfigError(
            f"{shown} are both set, to different values; set only one of {', '.join(names)}"
        )
    return found[0]


def _parse_int(name: str, value: str, *, minimum: int, example: str) -> int:
    try:
        number = int(value, 10)
    except ValueError:
        raise ConfigError(
            f"{name}={value!r} is not a whole number; write e.g. {name}={example}"
        ) from None
    if number < minimum:
        raise ConfigError(
            f"{name}={value!r} must be at least {minimum}; write e.g. {name}={example}"
        )
    return number


def _parse_seconds(name: str, value: str, *, example: str) -> float:
    text = value.lower()
    scale = 1.0
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("min", 60.0)):
        if text.endswith(suffix):
            text, scale = text[: -len(suffix)].strip(), factor
            break
    try:
        number = float(text) * scale
    except ValueError:
        number = -1.0
    if not number >= 0 or number == float("inf"):
        raise ConfigError(
            f"{name}={value!r} is not a number of seconds; write e.g. {name}={example}"
        )
    return number


_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f"})


def _parse_bool(name: str, value: str) -> bool:
    text = value.lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; write {name}=true or {name}=false")


_DURATION_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|sec|min|h)?$")
_UNIT_MS = {None: 1.0, "ms": 1.0, "s": 1000.0, "sec": 1000.0, "min": 60_000.0, "h": 3_600_000.0}


def _parse_duration_ms(name: str, value: str) -> int:
    m = _DURATION_RE.match(value.lower())
    if m is None:
        raise ConfigError(
            f"{name}={value!r} is not a duration; write milliseconds or a unit, e.g. "
            f"{name}=30s, {name}=500ms or {name}=2min (0 turns the timeout off)"
        )
    return round(float(m["num"]) * _UNIT_MS[m["unit"]])


def _parse_prepare_threshold(name: str, value: str) -> int | None:
    if value.lower() in ("none", "off", "disable", "disabled", "never"):
        return None
    try:
        number = int(value, 10)
    except ValueError:
        number = -1
    if number < 0:
        raise ConfigError(
            f"{name}={value!r} is not valid; write a whole number of executions before a query "
            f"is prepared (e.g. {name}=5), or {name}=none to never prepare (PgBouncer in "
            "transaction mode)"
        )
    return number


# --------------------------------------------------------------------------------------------
# The model


class Settings(BaseModel):
    """Validated runtime configuration. Build it with :meth:`Settings.from_env`.

    ``database_url`` is the libpq form, or None when nothing is configured (the CLI then starts
    the embedded server). Pool sizes and timeouts follow psycopg-pool's names and units.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str | None = None
    min_size: int = Field(default=DEFAULT_POOL_SIZE, ge=0)
    max_size: int = Field(default=DEFAULT_POOL_SIZE + DEFAULT_MAX_OVERFLOW, ge=1)
    timeout: float = Field(default=30.0, ge=0)
    max_idle: float = Field(default=600.0, ge=0)
    max_lifetime: float = Field(default=3600.0, ge=0)
    echo: bool = False
    prepare_threshold: int | None = Field(default=DEFAULT_PREPARE_THRESHOLD, ge=0)
    statement_timeout_ms: int | None = Field(default=None, ge=0)
    lock_timeout_ms: int | None = Field(default=None, ge=0)
    pgbouncer: bool = False
    """Connections go through PgBouncer in transaction pooling mode (``DB_PGBOUNCER``): no
    prepared statements unless ``prepare_threshold`` is given explicitly, no startup ``options``;
    the timeouts are set inside each transaction instead (docs/operations.md)."""

    @model_validator(mode="before")
    @classmethod
    def _pgbouncer_defaults(cls, data: Any) -> Any:
        # Behind PgBouncer (transaction mode) a prepared statement name can belong to another
        # client on the server connection: never prepare, unless asked to explicitly (PgBouncer
        # 1.21+ with max_prepared_statements keeps them per client).
        if isinstance(data, dict) and data.get("pgbouncer") and "prepare_threshold" not in data:
            return {**data, "prepare_threshold": None}
        return data

    @field_validator("database_url")
    @classmethod
    def _normal_url(cls, value: str | None) -> str | None:
        return None if value is None else normalize_url(value, source="database_url")

    @model_validator(mode="after")
    def _sizes(self) -> Self:
        if self.max_size < self.min_size:
            raise ConfigError(
                f"the pool's max_size ({self.max_size}) is smaller than its min_size "
                f"({self.min_size}); raise max_size or lower min_size"
            )
        return self

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for key, value in super().__repr_args__():
            if key == "database_url" and isinstance(value, str):
                yield key, redact_url(value)
            else:
                yield key, value

    @property
    def redacted_url(self) -> str | None:
        """``database_url`` with the password masked, for logs and messages."""
        return None if self.database_url is None else redact_url(self.database_url)

    @property
    def transaction_timeouts(self) -> tuple[str, str] | None:
        """``(statement_timeout, lock_timeout)`` to set inside each transaction, as
        ``set_config`` values (``'0'`` leaves one unlimited), when ``pgbouncer`` is on and a
        timeout is configured; None otherwise (then they are connection options)."""
        if not self.pgbouncer or (self.statement_timeout_ms, self.lock_timeout_ms) == (None, None):
            return None
        return (
            "0" if self.statement_timeout_ms is None else str(self.statement_timeout_ms),
            "0" if self.lock_timeout_ms is None else str(self.lock_timeout_ms),
        )

    @property
    def conninfo(self) -> str:
        """The psycopg connection string, with ``statement_timeout`` / ``lock_timeout`` as
        connection options (not behind PgBouncer: it refuses the ``options`` startup parameter,
        and they are set per transaction instead, see :attr:`transaction_timeouts`)."""
        if self.database_url is None:
            raise ConfigError(
                "no database is configured: set DATABASE_URL (e.g. "
                f"DATABASE_URL={_EXAMPLE_URL}) or POSTGRES_HOST/POSTGRES_DB/..., or use "
                "registry_sql.server.embedded_url() for a local embedded server"
            )
        extra = []
        if self.statement_timeout_ms is not None:
            extra.append(f"-c statement_timeout={self.statement_timeout_ms}")
        if self.lock_timeout_ms is not None:
            extra.append(f"-c lock_timeout={self.lock_timeout_ms}")
        if self.pgbouncer or not extra:
            return self.database_url
        params = conninfo_to_dict(self.database_url)
        options = str(params.get("options") or "").strip()
        return make_conninfo(self.database_url, options=" ".join([options, *extra]).strip())

    @property
    def yoyo_url(self) -> str | None:
        """``database_url`` in the form yoyo-migrations needs (``postgresql+psycopg://``)."""
        return None if self.database_url is None else yoyo_url(self.database_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the configuration from ``environ`` (default ``os.environ``)."""
        if environ is None:
            import os

            environ = os.environ
        env = environ

        url: str | None = None
        found = _lookup(env, "DATABASE_URL")
        if found is not None:
            url = normalize_url(found[1], source=found[0])
        elif any(env.get(n, "").strip() for n in _POSTGRES_VARS):
            port = DEFAULT_POSTGRES_PORT
            port_var = _lookup(env, "POSTGRES_PORT")
            if port_var is not None:
                port = _parse_int(*port_var, minimum=1, example="5432")
                if port > 65535:
                    raise ConfigError(
                        f"POSTGRES_PORT={port_var[1]!r} is not a port number; write a number "
                        "from 1 to 65535, e.g. POSTGRES_PORT=5432"
                    )
            url = _build_url(
                host=env.get("POSTGRES_HOST", "").strip() or DEFAULT_POSTGRES_HOST,
                port=port,
                db=env.get("POSTGRES_DB", "").strip() or DEFAULT_POSTGRES_DB,
                user=env.get("POSTGRES_USER", "").strip() or DEFAULT_POSTGRES_USER,
                password=env.get("POSTGRES_PASSWORD") or None,
            )
            url = normalize_url(url, source="the URL built from POSTGRES_*")

        pool_size = DEFAULT_POOL_SIZE
        found = _lookup(env, "DB_POOL_SIZE", "DATABASE_POOL_SIZE")
        if found is not None:
            pool_size = _parse_int(*found, minimum=0, example="5")
        overflow = DEFAULT_MAX_OVERFLOW
        found = _lookup(env, "DB_MAX_OVERFLOW", "DATABASE_MAX_OVERFLOW")
        if found is not None:
            overflow = _parse_int(*found, minimum=0, example="10")

        min_size = pool_size
        min_var = _lookup(env, "DB_POOL_MIN_SIZE")
        if min_var is not None:
            min_size = _parse_int(*min_var, minimum=0, example="5")
        max_size = pool_size + overflow
        max_var = _lookup(env, "DB_POOL_MAX_SIZE")
        if max_var is not None:
            max_size = _parse_int(*max_var, minimum=1, example="15")
        elif min_var is not None:
            max_size = max(max_size, min_size)
        if max_size < 1:
            raise ConfigError(
                "the pool would have no connections: DB_POOL_SIZE + DB_MAX_OVERFLOW is 0; set "
                "DB_POOL_SIZE=5 (or DB_POOL_MAX_SIZE=1 or more)"
            )
        if max_size < min_size:
            min_name = min_var[0] if min_var else "DB_POOL_SIZE"
            max_name = max_var[0] if max_var else "DB_POOL_SIZE + DB_MAX_OVERFLOW"
            raise ConfigError(
                f"{max_name}={max_size} is smaller than {min_name}={min_size}; the pool's "
                f"maximum must be at least its minimum: raise {max_name} or lower {min_name}"
            )

        timeout = _seconds(env, "DB_POOL_TIMEOUT", 30.0, "30")
        max_idle = _seconds(env, "DB_POOL_MAX_IDLE", 600.0, "600")
        max_lifetime = _seconds(env, "DB_POOL_MAX_LIFETIME", 3600.0, "3600")

        echo = False
        found = _lookup(env, "DB_ECHO", "DATABASE_ECHO")
        if found is not None:
            echo = _parse_bool(*found)

        pgbouncer = False
        found = _lookup(env, "DB_PGBOUNCER", "DATABASE_PGBOUNCER")
        if found is not None:
            pgbouncer = _parse_bool(*found)

        # Behind PgBouncer: never prepare unless DB_PREPARE_THRESHOLD says otherwise.
        prepare_threshold: int | None = None if pgbouncer else DEFAULT_PREPARE_THRESHOLD
        found = _lookup(env, "DB_PREPARE_THRESHOLD")
        if found is not None:
            prepare_threshold = _parse_prepare_threshold(*found)

        statement_timeout_ms: int | None = None
        found = _lookup(env, "DB_STATEMENT_TIMEOUT")
        if found is not None:
            statement_timeout_ms = _parse_duration_ms(*found)

        lock_timeout_ms: int | None = None
        found = _lookup(env, "DB_LOCK_TIMEOUT")
        if found is not None:
            lock_timeout_ms = _parse_duration_ms(*found)

        return cls(
            database_url=url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            max_idle=max_idle,
            max_lifetime=max_lifetime,
            echo=echo,
            prepare_threshold=prepare_threshold,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            pgbouncer=pgbouncer,
        )


def _seconds(env: Mapping[str, str], name: str, default: float, example: str) -> float:
    found = _lookup(env, name)
    return default if found is None else _parse_seconds(*found, example=example)
