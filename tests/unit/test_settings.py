"""Settings.from_env: every variable, every bad value (the message names the variable)."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict
from pydantic import ValidationError

from registry_sql.errors import ConfigError
from registry_sql.settings import (
    DEFAULT_POSTGRES_DB,
    DEFAULT_POSTGRES_USER,
    Settings,
    normalize_url,
    redact_url,
    yoyo_url,
)

URL = "postgresql://app:s3cret@db.example:5433/registry"


def env(**values: str) -> Settings:
    return Settings.from_env(values)


# ------------------------------------------------------------------ URL sources


def test_nothing_configured_means_no_url_and_defaults() -> None:
    s = env()
    assert s.database_url is None
    assert (s.min_size, s.max_size) == (5, 15)
    assert (s.timeout, s.max_idle, s.max_lifetime) == (30.0, 600.0, 3600.0)
    assert s.echo is False
    assert s.prepare_threshold == 5
    assert s.statement_timeout_ms is None
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        _ = s.conninfo


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", URL)
    assert Settings.from_env().database_url == URL


@pytest.mark.parametrize(
    "given",
    [
        URL,
        "postgres://app:s3cret@db.example:5433/registry",
        "postgresql+psycopg://app:s3cret@db.example:5433/registry",
        "postgresql+psycopg2://app:s3cret@db.example:5433/registry",
        "postgresql+asyncpg://app:s3cret@db.example:5433/registry",
        "  POSTGRESQL+ASYNCPG://app:s3cret@db.example:5433/registry  ",
    ],
)
def test_database_url_forms_are_normalised(given: str) -> None:
    assert env(DATABASE_URL=given).database_url == URL


def test_asyncpg_ssl_parameter_becomes_sslmode() -> None:
    s = env(DATABASE_URL="postgresql+asyncpg://u:p@h/db?ssl=require")
    assert s.database_url == "postgresql://u:p@h/db?sslmode=require"


def test_unix_socket_url() -> None:
    url = "postgresql://postgres@/postgres?host=/tmp/pg"
    assert normalize_url(url) == url
    assert yoyo_url(url) == "postgresql+psycopg://postgres@/postgres?host=/tmp/pg"


def test_database_url_wins_over_postgres_vars() -> None:
    s = env(DATABASE_URL=URL, POSTGRES_HOST="other")
    assert s.database_url == URL


def test_postgres_vars_build_the_url_with_defaults() -> None:
    s = env(POSTGRES_HOST="db.internal")
    assert s.database_url == (
        f"postgresql://{DEFAULT_POSTGRES_USER}@db.internal:5432/{DEFAULT_POSTGRES_DB}"
    )


def test_postgres_vars_are_percent_encoded() -> None:
    s = env(
        POSTGRES_HOST="db",
        POSTGRES_PORT="6543",
        POSTGRES_DB="air lock",
        POSTGRES_USER="ap@p",
        POSTGRES_PASSWORD="p@ss/w:rd%",
    )
    assert s.database_url is not None
    params = conninfo_to_dict(s.database_url)
    assert params == {
        "host": "db",
        "port": "6543",
        "dbname": "air lock",
        "user": "ap@p",
        "password": "p@ss/w:rd%",
    }
    assert "p@ss" not in repr(s)


def test_postgres_socket_dir_and_ipv6_host() -> None:
    sock = env(POSTGRES_HOST="/var/run/postgresql").database_url
    assert sock is not None
    assert conninfo_to_dict(sock)["host"] == "/var/run/postgresql"
    v6 = env(POSTGRES_HOST="::1").database_url
    assert v6 is not None
    assert conninfo_to_dict(v6)["host"] == "::1"


def test_only_password_set_still_builds_a_url() -> None:
    s = env(POSTGRES_PASSWORD="x")
    assert s.database_url == f"postgresql://{DEFAULT_POSTGRES_USER}:x@localhost:5432/registry"


# ------------------------------------------------------------------ pool sizes


def test_pool_size_and_overflow() -> None:
    s = env(DB_POOL_SIZE="3", DB_MAX_OVERFLOW="4")
    assert (s.min_size, s.max_size) == (3, 7)


def test_database_spellings() -> None:
    s = env(DATABASE_POOL_SIZE="10", DATABASE_MAX_OVERFLOW="20", DATABASE_ECHO="true")
    assert (s.min_size, s.max_size, s.echo) == (10, 30, True)


def test_both_spellings_with_the_same_value_are_fine() -> None:
    assert env(DB_POOL_SIZE="4", DATABASE_POOL_SIZE="4").min_size == 4


def test_both_spellings_with_different_values_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        env(DB_POOL_SIZE="4", DATABASE_POOL_SIZE="10")
    message = str(info.value)
    assert "DB_POOL_SIZE='4'" in message and "DATABASE_POOL_SIZE='10'" in message
    assert "set only one" in message


def test_explicit_min_and_max_win() -> None:
    s = env(DB_POOL_SIZE="3", DB_MAX_OVERFLOW="4", DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="2")
    assert (s.min_size, s.max_size) == (1, 2)


def test_min_size_above_default_max_raises_max() -> None:
    s = env(DB_POOL_MIN_SIZE="20")
    assert (s.min_size, s.max_size) == (20, 20)


def test_zero_min_size_is_allowed() -> None:
    s = env(DB_POOL_MIN_SIZE="0", DB_POOL_MAX_SIZE="3")
    assert (s.min_size, s.max_size) == (0, 3)


def test_other_pool_settings() -> None:
    s = env(
        DB_POOL_TIMEOUT="2.5",
        DB_POOL_MAX_IDLE="60s",
        DB_POOL_MAX_LIFETIME="10min",
        DB_ECHO="yes",
        DB_PREPARE_THRESHOLD="0",
        DB_STATEMENT_TIMEOUT="1500ms",
    )
    assert (s.timeout, s.max_idle, s.max_lifetime) == (2.5, 60.0, 600.0)
    assert s.echo is True
    assert s.prepare_threshold == 0
    assert s.statement_timeout_ms == 1500


@pytest.mark.parametrize("value", ["none", "None", "off", "disable"])
def test_prepare_threshold_off_for_pgbouncer(value: str) -> None:
    assert env(DB_PREPARE_THRESHOLD=value).prepare_threshold is None


@pytest.mark.parametrize(
    ("value", "ms"), [("30s", 30_000), ("250", 250), ("2min", 120_000), ("1h", 3_600_000), ("0", 0)]
)
def test_statement_timeout_units(value: str, ms: int) -> None:
    assert env(DB_STATEMENT_TIMEOUT=value).statement_timeout_ms == ms


def test_statement_timeout_goes_into_conninfo_options() -> None:
    s = env(DATABASE_URL=URL + "?options=-c%20search_path%3Dcore", DB_STATEMENT_TIMEOUT="5s")
    params = conninfo_to_dict(s.conninfo)
    assert params["options"] == "-c search_path=core -c statement_timeout=5000"
    assert params["password"] == "s3cret"


def test_conninfo_without_timeout_is_the_url() -> None:
    assert env(DATABASE_URL=URL).conninfo == URL


# ------------------------------------------------------------------ bad values


@pytest.mark.parametrize(
    ("var", "value", "words"),
    [
        ("DB_POOL_SIZE", "five", "not a whole number"),
        ("DB_POOL_SIZE", "-1", "must be at least 0"),
        ("DATABASE_POOL_SIZE", "1.5", "not a whole number"),
        ("DB_MAX_OVERFLOW", "x", "not a whole number"),
        ("DATABASE_MAX_OVERFLOW", "-3", "must be at least 0"),
        ("DB_POOL_MIN_SIZE", "-1", "must be at least 0"),
        ("DB_POOL_MAX_SIZE", "0", "must be at least 1"),
        ("DB_POOL_MAX_SIZE", "lots", "not a whole number"),
        ("DB_POOL_TIMEOUT", "soon", "not a number of seconds"),
        ("DB_POOL_TIMEOUT", "-1", "not a number of seconds"),
        ("DB_POOL_MAX_IDLE", "nan", "not a number of seconds"),
        ("DB_POOL_MAX_LIFETIME", "inf", "not a number of seconds"),
        ("DB_ECHO", "maybe", "not a boolean"),
        ("DATABASE_ECHO", "2", "not a boolean"),
        ("DB_PREPARE_THRESHOLD", "-1", "never prepare"),
        ("DB_PREPARE_THRESHOLD", "some", "never prepare"),
        ("DB_STATEMENT_TIMEOUT", "30 parsecs", "not a duration"),
        ("DB_STATEMENT_TIMEOUT", "-5s", "not a duration"),
        ("POSTGRES_PORT", "abc", "not a whole number"),
        ("POSTGRES_PORT", "0", "must be at least 1"),
        ("POSTGRES_PORT", "70000", "1 to 65535"),
    ],
)
def test_bad_value_names_the_variable_and_the_value(var: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        env(**{var: value})
    message = str(info.value)
    assert f"{var}={value!r}" in message
    assert words in message
    assert f"{var}=" in message.split(";", 1)[1] or "write" in message  # says what to write


def test_max_below_min_names_both_variables() -> None:
    with pytest.raises(ConfigError) as info:
        env(DB_POOL_MIN_SIZE="5", DB_POOL_MAX_SIZE="2")
    message = str(info.value)
    assert "DB_POOL_MAX_SIZE=2" in message and "DB_POOL_MIN_SIZE=5" in message


def test_pool_of_zero_connections_is_an_error() -> None:
    with pytest.raises(ConfigError, match="DB_POOL_SIZE"):
        env(DB_POOL_SIZE="0", DB_MAX_OVERFLOW="0")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://root:hunter22@db/app", "scheme 'mysql'"),
        ("sqlite:///app.db", "scheme 'sqlite'"),
        ("postgresql+pg9000://u:hunter22@h/db", "unknown driver 'pg9000'"),
        ("db.example:5432/app", "does not start with postgresql://"),
        ("postgresql://u:hunter22@h:99999/db", "port '99999'"),
        ("postgresql://u:hunter22@h/db?bogus=1", 'invalid URI query parameter: "bogus"'),
        ("postgresql://u:hunter%zz@h/db", "percent-encoded"),
        ("postgresql://u:hun/ter22@h/db", "percent-encode them"),
        ("postgresql+asyncpg://u:hunter22@h/db?ssl=sometimes", "ssl='sometimes'"),
    ],
)
def test_bad_database_url(url: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        env(DATABASE_URL=url)
    message = str(info.value)
    assert message.startswith("DATABASE_URL=")
    assert words in message
    assert "hunter" not in message  # never print the password
    assert "postgresql://" in message  # says what to write instead


def test_settings_constructed_directly_are_validated() -> None:
    assert Settings(database_url="postgres://h/db").database_url == "postgresql://h/db"
    with pytest.raises(ConfigError, match="mysql"):
        Settings(database_url="mysql://h/db")
    with pytest.raises(ConfigError, match="max_size"):
        Settings(min_size=5, max_size=2)
    with pytest.raises(ValidationError):
        Settings(min_size=-1)


def test_settings_are_frozen() -> None:
    s = env()
    with pytest.raises(ValidationError):
        s.min_size = 3  # type: ignore[misc]


# ------------------------------------------------------------------ helpers


def test_redact_url() -> None:
    assert redact_url(URL) == "postgresql://app:***@db.example:5433/registry"
    assert redact_url("postgresql://h/db?user=u&password=pw") == (
        "postgresql://h/db?user=u&password=***"
    )
    assert redact_url("postgresql://app@h/db") == "postgresql://app@h/db"
    assert "pw" not in redact_url("host=h password=pw")


def test_repr_masks_the_password() -> None:
    s = env(DATABASE_URL=URL)
    assert "s3cret" not in repr(s)
    assert "app:***@" in repr(s)
    assert s.redacted_url == "postgresql://app:***@db.example:5433/registry"


def test_yoyo_url() -> None:
    assert yoyo_url(URL) == "postgresql+psycopg://app:s3cret@db.example:5433/registry"
    assert yoyo_url("postgresql+asyncpg://h/db") == "postgresql+psycopg://h/db"
    assert env(DATABASE_URL=URL).yoyo_url == yoyo_url(URL)
    assert env().yoyo_url is None


def test_lock_timeout_goes_into_conninfo_options_too() -> None:
    s = env(DATABASE_URL=URL, DB_STATEMENT_TIMEOUT="5s", DB_LOCK_TIMEOUT="2s")
    assert s.lock_timeout_ms == 2000
    options = conninfo_to_dict(s.conninfo)["options"]
    assert options == "-c statement_timeout=5000 -c lock_timeout=2000"
    assert s.transaction_timeouts is None  # not behind PgBouncer: connection options


def test_pgbouncer_turns_off_prepared_statements_and_startup_options() -> None:
    s = env(DATABASE_URL=URL, DB_PGBOUNCER="true", DB_STATEMENT_TIMEOUT="30s")
    assert s.pgbouncer is True
    assert s.prepare_threshold is None
    assert "options" not in conninfo_to_dict(s.conninfo)
    assert s.transaction_timeouts == ("30000", "0")  # lock_timeout 0: unlimited
    assert env(DATABASE_URL=URL, DB_PGBOUNCER="on").transaction_timeouts is None  # nothing to set


def test_pgbouncer_keeps_an_explicit_prepare_threshold() -> None:
    # PgBouncer 1.21+ with max_prepared_statements keeps prepared statements per client
    assert env(DB_PGBOUNCER="true", DB_PREPARE_THRESHOLD="5").prepare_threshold == 5
    assert Settings(pgbouncer=True).prepare_threshold is None
    assert Settings(pgbouncer=True, prepare_threshold=3).prepare_threshold == 3


def test_pgbouncer_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match="DB_PGBOUNCER='maybe' is not a boolean"):
        env(DB_PGBOUNCER="maybe")
