"""The runtime layer against a real server: pools, transactions, tenant context, error mapping.

Most tests use ``empty_url`` (a fresh empty database) and create their own tables with plain SQL;
a few use ``migrated_url`` to check the mapping on the real ``core`` schema.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import pq

from registry_sql.db import (
    aconnect,
    acurrent_tenant,
    ahealth_check,
    atenant,
    atransaction,
    batch,
    connect,
    correlation,
    create_async_pool,
    create_pool,
    current_tenant,
    health_check,
    tenant,
    transaction,
)
from registry_sql.errors import (
    ConfigError,
    Conflict,
    ForeignKeyMissing,
    ImmutableRecord,
    InvalidInput,
    LockTimeout,
    MigrationError,
    PoolTimeout,
    QueryTimeout,
    RegistrySqlError,
    TransactionRequired,
    Unavailable,
    register_enum_labels,
)
from registry_sql.execute import fetch_value
from registry_sql.settings import Settings

ORG = uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")

SCHEMA = """
CREATE TYPE rt_color AS ENUM ('red', 'green');
CREATE TABLE rt_parent (
    id int PRIMARY KEY,
    name text NOT NULL,
    color rt_color,
    qty int CONSTRAINT ck_rt_parent__qty_positive CHECK (qty > 0)
);
CREATE UNIQUE INDEX uq_rt_parent__name_lower ON rt_parent (lower(name));
CREATE TABLE rt_child (
    id int PRIMARY KEY,
    parent_id int CONSTRAINT fk_rt_child__parent_id REFERENCES rt_parent (id)
);
CREATE FUNCTION rt_forbid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'RS001', MESSAGE = 'append-only table public.rt_parent';
END $$;
"""


def _one(url: str) -> Settings:
    """A pool of one connection (the tests connect as the superuser: pool mechanics only)."""
    return Settings(database_url=url, min_size=1, max_size=1)


@pytest.fixture
def url(empty_url: str) -> str:
    with psycopg.connect(empty_url, autocommit=True) as c:
        c.execute(SCHEMA)
    return empty_url


@pytest.fixture
def db(url: str) -> Iterator[psycopg.Connection[Any]]:
    with connect(url) as c:
        yield c


def ids(url: str) -> list[int]:
    with psycopg.connect(url) as c:
        return [r[0] for r in c.execute("SELECT id FROM rt_parent ORDER BY id")]


# ------------------------------------------------------------------ connections and pools


def test_connect_without_url_is_config_error() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        connect(Settings())
    with pytest.raises(ConfigError, match="embedded_url"):
        create_pool(Settings())


def test_connect_to_nowhere_is_unavailable() -> None:
    with pytest.raises(Unavailable) as info:
        connect("postgresql://postgres@/postgres?host=/nonexistent-dir&connect_timeout=2")
    assert info.value.retryable
    assert isinstance(info.value.__cause__, psycopg.OperationalError)


def test_connect_applies_settings(url: str) -> None:
    settings = Settings(database_url=url, statement_timeout_ms=1234, prepare_threshold=None)
    with connect(settings) as c:
        assert c.execute("SHOW statement_timeout").fetchone() == ("1234ms",)
        assert c.prepare_threshold is None
    with connect(url, autocommit=True) as c:
        assert c.autocommit
        assert c.prepare_threshold == 5


def test_pool_open_health_close(url: str) -> None:
    settings = Settings(database_url=url, min_size=1, max_size=2)
    pool = create_pool(settings, open=False, allow_privileged_role=True)
    assert pool.closed
    pool.open(wait=True, timeout=20)
    try:
        health_check(pool)
        assert pool.get_stats()["pool_min"] == 1
        with pool.connection() as c:
            health_check(c)
    finally:
        pool.close()
    assert pool.closed


def test_pool_timeout_is_translated(url: str) -> None:
    settings = Settings(database_url=url, min_size=1, max_size=1, timeout=0.2)
    with create_pool(settings, allow_privileged_role=True) as pool, pool.connection():
        with pytest.raises(PoolTimeout, match="DB_POOL_MAX_SIZE") as info:
            with transaction(pool):
                pass
        assert info.value.retryable


def test_echo_logs_statements(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="registry_sql.sql"):
        with connect(Settings(database_url=url, echo=True)) as c:
            c.execute("SELECT %s::int AS echoed", (41,))
    assert any("echoed" in r.getMessage() for r in caplog.records)


def test_echo_logs_a_batchs_statements(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A batch sends its statements without a cursor: it logs them itself, in order."""
    with caplog.at_level(logging.DEBUG, logger="registry_sql.sql"):
        with connect(Settings(database_url=url, echo=True)) as c, batch(c) as b:
            value = b.add(_echoed_value)
    assert value.result == 42
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "BEGIN"  # psycopg's transaction start, sent by the batch
    assert any("batch_echoed" in m for m in messages)
    assert any("parameters" in m and "42" in m for m in messages)


def _echoed_value(conn: Any) -> Any:
    return fetch_value(conn, "SELECT %(v)s::int AS batch_echoed", {"v": 42}, "test.echoed")


# ------------------------------------------------------------------ transactions


def test_transaction_commits(db: psycopg.Connection[Any], url: str) -> None:
    with transaction(db) as c:
        assert c is db
        c.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'a')")
    assert db.info.transaction_status == pq.TransactionStatus.IDLE
    assert ids(url) == [1]


def test_transaction_rolls_back_on_exception(db: psycopg.Connection[Any], url: str) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with transaction(db):
            db.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'a')")
            raise Boom
    assert ids(url) == []


def test_nested_transaction_is_a_savepoint(db: psycopg.Connection[Any], url: str) -> None:
    with transaction(db):
        db.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'a')")
        with pytest.raises(Conflict):
            with transaction(db):
                db.execute("INSERT INTO rt_parent (id, name) VALUES (2, 'b')")
                db.execute("INSERT INTO rt_parent (id, name) VALUES (3, 'A')")  # lower() dup
        db.execute("INSERT INTO rt_parent (id, name) VALUES (4, 'c')")
    assert ids(url) == [1, 4]


def test_transaction_on_pool_checks_out_and_commits(url: str) -> None:
    with create_pool(_one(url), allow_privileged_role=True) as pool:
        with transaction(pool) as c:
            c.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'a')")
        with pytest.raises(Conflict):
            with transaction(pool) as c:
                c.execute("INSERT INTO rt_parent (id, name) VALUES (2, 'b')")
                c.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'dup')")
        health_check(pool)
    assert ids(url) == [1]


def test_commit_time_error_is_translated(db: psycopg.Connection[Any]) -> None:
    db.execute(
        "ALTER TABLE rt_child ALTER CONSTRAINT fk_rt_child__parent_id DEFERRABLE INITIALLY DEFERRED"
    )
    db.commit()
    with pytest.raises(ForeignKeyMissing) as info:
        with transaction(db):
            db.execute("INSERT INTO rt_child (id, parent_id) VALUES (1, 99)")
    assert info.value.constraint == "fk_rt_child__parent_id"


# ------------------------------------------------------------------ tenant context


def test_tenant_is_transaction_local_on_a_pooled_connection(url: str) -> None:
    with create_pool(_one(url), allow_privileged_role=True) as pool:
        with transaction(pool) as c:
            assert tenant(c, str(ORG)) == ORG
            assert current_tenant(c) == ORG
            pid = c.info.backend_pid
        with transaction(pool) as c:
            assert c.info.backend_pid == pid  # the same server session
            row = c.execute("SELECT current_setting('app.org_id', true)").fetchone()
            assert row is not None and row[0] in (None, "")
            assert current_tenant(c) is None


def test_pool_resets_session_settings_on_return(url: str) -> None:
    """Even a session-level SET made by application code never reaches the next checkout."""
    with create_pool(_one(url), allow_privileged_role=True) as pool:
        with pool.connection() as c:
            c.execute("SET app.org_id = '00000000-0000-0000-0000-000000000042'")
            c.execute("SET statement_timeout = '1234ms'")
            pid = c.info.backend_pid
        with pool.connection() as c:
            assert c.info.backend_pid == pid  # the same server session
            row = c.execute(
                "SELECT current_setting('app.org_id', true), current_setting('statement_timeout')"
            ).fetchone()
            assert row is not None and row[0] in (None, "") and row[1] != "1234ms"


async def test_async_pool_resets_session_settings_on_return(url: str) -> None:
    async with create_async_pool(_one(url), allow_privileged_role=True) as pool:
        async with pool.connection() as c:
            await c.execute("SET app.org_id = '00000000-0000-0000-0000-000000000042'")
        async with pool.connection() as c:
            cur = await c.execute("SELECT current_setting('app.org_id', true)")
            row = await cur.fetchone()
            assert row is not None and row[0] in (None, "")


def test_tenant_rolled_back_with_a_savepoint(db: psycopg.Connection[Any]) -> None:
    with transaction(db):
        tenant(db, ORG)
        with pytest.raises(MigrationError):
            with transaction(db):
                tenant(db, uuid.UUID(int=5))
                db.execute("SELECT * FROM rt_missing")
        assert current_tenant(db) == ORG


def test_transaction_sets_org_and_correlation(db: psycopg.Connection[Any]) -> None:
    with transaction(db, org_id=ORG, correlation_id="req-42") as c:
        row = c.execute(
            "SELECT current_setting('app.org_id'), current_setting('app.correlation_id')"
        ).fetchone()
        assert row == (str(ORG), "req-42")


def test_tenant_outside_a_transaction_raises(url: str) -> None:
    with connect(url, autocommit=True) as c:
        with pytest.raises(TransactionRequired, match="with transaction"):
            tenant(c, ORG)
    with connect(url) as c:  # not autocommit, but idle: SET LOCAL would do nothing
        with pytest.raises(TransactionRequired):
            tenant(c, ORG)
        with pytest.raises(TransactionRequired):
            correlation(c, "abc")


def test_tenant_in_a_failed_transaction_raises(db: psycopg.Connection[Any]) -> None:
    class Leave(Exception):
        pass

    with pytest.raises(Leave):
        with transaction(db):
            with pytest.raises(psycopg.errors.UndefinedTable):
                db.execute("SELECT * FROM rt_missing")
            with pytest.raises(TransactionRequired, match="has failed"):
                tenant(db, ORG)
            raise Leave


@pytest.mark.parametrize("bad", ["nope", "", "1'; DROP TABLE rt_parent; --", "123"])
def test_tenant_rejects_non_uuid(db: psycopg.Connection[Any], bad: str) -> None:
    with transaction(db):
        with pytest.raises(InvalidInput, match="org_id") as info:
            tenant(db, bad)
        assert info.value.field == "org_id"


def test_correlation_rejects_bad_values(db: psycopg.Connection[Any]) -> None:
    with transaction(db):
        for bad in ["", "x" * 201, "a\nb"]:
            with pytest.raises(InvalidInput, match="correlation_id"):
                correlation(db, bad)
        correlation(db, "it's fine")  # quoted as a literal
        row = db.execute("SELECT current_setting('app.correlation_id')").fetchone()
        assert row == ("it's fine",)


# ------------------------------------------------------------------ error translation


def expect(conn: psycopg.Connection[Any], stmt: str, cls: type[RegistrySqlError]) -> Any:
    with pytest.raises(cls) as info:
        with transaction(conn):
            conn.execute(stmt.encode())
    assert isinstance(info.value.__cause__, psycopg.Error)
    return info.value


def test_unique_violation(db: psycopg.Connection[Any]) -> None:
    db.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'alice')")
    db.commit()
    err = expect(db, "INSERT INTO rt_parent (id, name) VALUES (2, 'ALICE')", Conflict)
    assert str(err) == (
        "public.rt_parent: name 'alice' is already taken (uq_rt_parent__name_lower); "
        "choose another name"
    )
    assert (err.field, err.constraint, err.sqlstate) == (
        "name",
        "uq_rt_parent__name_lower",
        "23505",
    )
    err = expect(db, "INSERT INTO rt_parent (id, name) VALUES (1, 'bob')", Conflict)
    assert err.constraint == "rt_parent_pkey"
    assert err.field == "id"


def test_foreign_key_violations(db: psycopg.Connection[Any]) -> None:
    err = expect(db, "INSERT INTO rt_child (id, parent_id) VALUES (1, 7)", ForeignKeyMissing)
    assert err.field == "parent_id"
    assert "public.rt_parent row that does not exist (fk_rt_child__parent_id)" in str(err)
    db.execute("INSERT INTO rt_parent (id, name) VALUES (7, 'p')")
    db.execute("INSERT INTO rt_child (id, parent_id) VALUES (1, 7)")
    db.commit()
    err = expect(db, "DELETE FROM rt_parent WHERE id = 7", ForeignKeyMissing)
    assert "rows in public.rt_child still reference it" in str(err)
    assert err.table == "public.rt_parent"


def test_not_null_violation(db: psycopg.Connection[Any]) -> None:
    err = expect(db, "INSERT INTO rt_parent (id, name) VALUES (1, NULL)", InvalidInput)
    assert str(err) == "public.rt_parent.name is required (NOT NULL); pass a value"
    assert err.field == "name"


def test_check_violation(db: psycopg.Connection[Any]) -> None:
    err = expect(db, "INSERT INTO rt_parent (id, name, qty) VALUES (1, 'a', 0)", InvalidInput)
    assert err.constraint == "ck_rt_parent__qty_positive"
    assert err.field == "qty"
    assert "qty must be greater than zero" in str(err)


def test_invalid_enum_label(db: psycopg.Connection[Any]) -> None:
    register_enum_labels("rt_color", ["red", "green"])
    err = expect(
        db, "INSERT INTO rt_parent (id, name, color) VALUES (1, 'a', 'blue')", InvalidInput
    )
    assert "'blue' is not a valid rt_color value; use one of: red, green" in str(err)


def test_nul_byte_is_invalid_input(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(InvalidInput, match="NUL"):
        with transaction(db):
            db.execute("INSERT INTO rt_parent (id, name) VALUES (1, %s)", ("a\x00b",))


def test_immutable_record_from_our_trigger(db: psycopg.Connection[Any]) -> None:
    db.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'a')")
    db.execute(
        "CREATE TRIGGER trg_rt_parent__no_update BEFORE UPDATE ON rt_parent "
        "FOR EACH ROW EXECUTE FUNCTION rt_forbid()"
    )
    db.commit()
    err = expect(db, "UPDATE rt_parent SET name = 'b'", ImmutableRecord)
    assert err.sqlstate == "RS001"


def test_statement_timeout(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(QueryTimeout, match="statement timeout"):
        with transaction(db):
            db.execute("SET LOCAL statement_timeout = '50ms'")
            db.execute("SELECT pg_sleep(2)")


def test_statement_timeout_from_settings(url: str) -> None:
    with connect(Settings(database_url=url, statement_timeout_ms=50)) as c:
        with pytest.raises(QueryTimeout):
            with transaction(c):
                c.execute("SELECT pg_sleep(2)")


def test_lock_timeout(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'a')")
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(url) as holder, holder.transaction():
            holder.execute("SELECT id FROM rt_parent WHERE id = 1 FOR UPDATE")
            locked.set()
            release.wait(10)

    t = threading.Thread(target=hold_lock)
    t.start()
    try:
        assert locked.wait(10)
        with connect(url) as c:
            with pytest.raises(LockTimeout) as info:
                with transaction(c):
                    c.execute("SET LOCAL lock_timeout = '50ms'")
                    c.execute("UPDATE rt_parent SET name = 'b' WHERE id = 1")
            assert info.value.retryable
            assert info.value.sqlstate == "55P03"
    finally:
        release.set()
        t.join()


def test_undefined_table_is_migration_error(db: psycopg.Connection[Any]) -> None:
    err = expect(db, "SELECT * FROM core.users", MigrationError)
    assert "registry-sql migrate" in str(err)


# ------------------------------------------------------------------ the real core schema


def test_audit_log_is_immutable(migrated_url: str) -> None:
    with connect(migrated_url) as c:
        err = expect(c, "TRUNCATE core.audit_log", ImmutableRecord)
        assert err.table == "core.audit_log"


def test_duplicate_organization_slug(migrated_url: str) -> None:
    with connect(migrated_url) as c:
        c.execute("INSERT INTO core.organizations (name, slug) VALUES ('Acme', 'acme')")
        c.commit()
        err = expect(
            c, "INSERT INTO core.organizations (name, slug) VALUES ('Acme 2', 'acme')", Conflict
        )
        assert str(err) == (
            "core.organizations: slug 'acme' is already taken (uq_organizations__slug); "
            "choose another slug"
        )
        err = expect(
            c,
            "INSERT INTO core.organizations (name, slug) VALUES ('B', 'Not A Slug')",
            InvalidInput,
        )
        assert err.constraint == "ck_organizations__slug_format"
        assert err.field == "slug"


# ------------------------------------------------------------------ async twins


async def test_async_pool_transaction_and_tenant(url: str) -> None:
    async with create_async_pool(_one(url), allow_privileged_role=True) as pool:
        await ahealth_check(pool)
        async with atransaction(pool) as c:
            assert await atenant(c, ORG) == ORG
            assert await acurrent_tenant(c) == ORG
            await c.execute("INSERT INTO rt_parent (id, name) VALUES (1, 'a')")
        async with atransaction(pool) as c:
            assert await acurrent_tenant(c) is None
        with pytest.raises(Conflict):
            async with atransaction(pool) as c:
                await c.execute("INSERT INTO rt_parent (id, name) VALUES (2, 'A')")
    assert ids(url) == [1]


async def test_async_tenant_requires_transaction(url: str) -> None:
    conn = await aconnect(url, autocommit=True)
    try:
        with pytest.raises(TransactionRequired):
            await atenant(conn, ORG)
        async with atransaction(conn, org_id=ORG):
            assert await acurrent_tenant(conn) == ORG
            with pytest.raises(InvalidInput):
                await atenant(conn, "nope")
    finally:
        await conn.close()
