"""Every message names what the user wrote, and transaction() options behave as documented.

The table as the user knows it (core.users, not the querying schema; a partition's parent), a
friendly foreign-key message under row-level security, the parameter behind a value the server
rejected, a hint to use a savepoint after an aborted transaction; nested tenants restored on exit;
isolation / read_only / lock_timeout; the retry helper against real serialization failures.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from mlops_support import make_tenant

from registry_sql import core, db, mlops
from registry_sql import model_registry as mr
from registry_sql.errors import (
    Conflict,
    Forbidden,
    ForeignKeyMissing,
    InvalidInput,
    NotFound,
    SerializationFailure,
    TransactionAborted,
)
from registry_sql.model_registry import HealthMetricIn, PackageRow
from registry_sql.model_registry import aio as mr_aio
from registry_sql.retry import aretry, retry
from registry_sql.settings import Settings

Conn = psycopg.Connection[Any]
AConn = psycopg.AsyncConnection[Any]


def _pkg(conn: Conn, name: str, version: str = "1.0.0", **kw: Any) -> PackageRow:
    return mr.create_package(
        conn, name=name, version=version, s3_key="k", s3_bucket="b", file_size_bytes=1, **kw
    )


# ------------------------------------------------------------------------------- table names


def test_foreign_key_names_the_referenced_table_in_its_own_schema(conn: Conn) -> None:
    with pytest.raises(ForeignKeyMissing) as info:
        _pkg(conn, "orphan", uploaded_by=uuid.uuid4())
    err = info.value
    assert "refers to a core.users row" in str(err), str(err)
    assert "model_registry.users" not in str(err)
    assert err.field == "uploaded_by" and err.table == "model_registry.packages"


def test_errors_on_a_partition_name_the_partitioned_table(conn: Conn) -> None:
    # labels is NOT NULL: None is the bad value under test (the type says so too).
    sample = HealthMetricIn("cpu", 1.0, None, None, datetime.now(UTC))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as info:
        mr.copy_health_metrics(conn, [sample])
    assert info.value.table == "model_registry.system_health_metrics"
    assert "_p20" not in str(info.value) and "system_health_metrics.labels" in str(info.value)
    with pytest.raises(ForeignKeyMissing) as fk:
        mr.record_download(conn, package_id=uuid.uuid4(), access_granted=True)
    assert fk.value.table == "model_registry.download_history"
    assert "refers to a model_registry.packages row" in str(fk.value)
    assert "_p20" not in str(fk.value) and fk.value.field == "package_id"


def test_foreign_key_under_row_level_security_is_friendly(conn: Conn, app_conn: Conn) -> None:
    t = make_tenant(conn, "fk-rls")
    with pytest.raises(ForeignKeyMissing) as info, db.transaction(app_conn, org_id=t.org_id):
        mlops.create_model(app_conn, organization_id=t.org_id, project_id=uuid.uuid4(), name="m")
    err = info.value
    assert err.field == "project_id" and err.table == "mlops.models"
    assert "refers to a mlops.projects row that does not exist" in str(err), str(err)
    assert "create that row first" in str(err)


def test_server_rejected_values_name_the_parameter(conn: Conn) -> None:
    with pytest.raises(InvalidInput) as info:
        core.get_user_by_id(conn, id="not-a-uuid")  # type: ignore[arg-type]
    assert info.value.field == "id" and "parameter id" in str(info.value)
    pkg = _pkg(conn, "inet")
    with pytest.raises(InvalidInput) as inet:
        mr.record_download(conn, package_id=pkg.id, access_granted=True, ip_address="10.0.0.300")
    assert inet.value.field == "ip_address", str(inet.value)
    assert "'10.0.0.300' is not a valid inet" in str(inet.value)


def test_aborted_transaction_says_to_use_a_savepoint(conn: Conn) -> None:
    _pkg(conn, "taken")
    with pytest.raises(TransactionAborted) as info, db.transaction(conn):
        with pytest.raises(Conflict):
            _pkg(conn, "taken")
        mr.get_package_by_name_version(conn, name="taken", version="1.0.0")
    assert "nested `with transaction(conn):`" in str(info.value)
    assert info.value.sqlstate == "25P02"
    # the pattern the message recommends: get-or-create with a savepoint
    with db.transaction(conn):
        try:
            with db.transaction(conn):
                _pkg(conn, "taken")
        except Conflict:
            found = mr.get_package_by_name_version(conn, name="taken", version="1.0.0")
        assert found.name == "taken"


# --------------------------------------------------------------------------- nested tenants


def test_nested_tenant_is_restored_on_exit(conn: Conn) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    with db.transaction(conn, org_id=a, correlation_id="outer"):
        with db.transaction(conn, org_id=b, correlation_id="inner"):
            assert db.current_tenant(conn) == b
        assert db.current_tenant(conn) == a
        with pytest.raises(NotFound), db.transaction(conn, org_id=b):
            core.get_user_by_id(conn, id=uuid.uuid4())
        assert db.current_tenant(conn) == a  # also after a failure (the savepoint's rollback)
        row = conn.execute("SELECT current_setting('app.correlation_id')").fetchone()
        assert row == ("outer",)
    with db.transaction(conn):
        with db.transaction(conn, org_id=b):
            assert db.current_tenant(conn) == b
        assert db.current_tenant(conn) is None  # no outer tenant: none again


async def test_async_nested_tenant_is_restored_on_exit(aconn: AConn) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    async with db.atransaction(aconn, org_id=a):
        async with db.atransaction(aconn, org_id=b):
            assert await db.acurrent_tenant(aconn) == b
        assert await db.acurrent_tenant(aconn) == a


# ---------------------------------------------------------------------- transaction options


def _show(conn: Conn, setting: str) -> str:
    row = conn.execute("SELECT current_setting(%s)", (setting,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.clone  # isolation/read_only apply to a top-level transaction only
def test_isolation_read_only_and_lock_timeout(conn: Conn) -> None:
    with db.transaction(
        conn, isolation="serializable", read_only=True, lock_timeout=timedelta(milliseconds=250)
    ):
        assert _show(conn, "transaction_isolation") == "serializable"
        assert _show(conn, "transaction_read_only") == "on"
        assert _show(conn, "lock_timeout") == "250ms"
        with db.transaction(conn, lock_timeout=2):
            assert _show(conn, "lock_timeout") == "2s"
        assert _show(conn, "lock_timeout") == "250ms"  # restored
        with pytest.raises(Forbidden) as info, db.transaction(conn):
            _pkg(conn, "read-only")
        assert "read-only" in str(info.value)
    assert _show(conn, "transaction_isolation") == "read committed"
    with db.transaction(conn, isolation=psycopg.IsolationLevel.REPEATABLE_READ):
        assert _show(conn, "transaction_isolation") == "repeatable read"


def test_transaction_options_are_validated(conn: Conn) -> None:
    with pytest.raises(InvalidInput) as info, db.transaction(conn, isolation="snapshot"):  # type: ignore[arg-type]
        pass
    assert info.value.field == "isolation"
    with pytest.raises(InvalidInput), db.transaction(conn, lock_timeout=0):
        pass
    with db.transaction(conn), pytest.raises(InvalidInput) as nested:
        with db.transaction(conn, isolation="serializable"):
            pass
    assert "outermost" in str(nested.value)


def test_pool_transaction_takes_the_options(migrated_url: str) -> None:
    settings = Settings(database_url=migrated_url, min_size=1, max_size=1)
    with db.create_pool(settings, allow_privileged_role=True) as pool:
        with db.transaction(pool, isolation="repeatable read", read_only=True) as c:
            assert _show(c, "transaction_isolation") == "repeatable read"
        with db.transaction(pool) as c:  # nothing leaks to the next checkout
            assert _show(c, "transaction_read_only") == "off"


# ---------------------------------------------------------------------------------- retries


def _concurrent_update(url: str, package_id: uuid.UUID) -> None:
    with psycopg.connect(url, autocommit=True) as other:
        other.execute(
            "UPDATE model_registry.packages SET description = 'other' WHERE id = %s", (package_id,)
        )


def test_retry_runs_the_transaction_again_after_a_serialization_failure(
    conn: Conn, migrated_url: str
) -> None:
    pkg = _pkg(conn, "contended")
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        with db.transaction(conn, isolation="repeatable read"):
            mr.get_package_by_id(conn, id=pkg.id)  # the snapshot is taken here
            if len(calls) == 1:  # someone else changes the row meanwhile, once
                thread = threading.Thread(target=_concurrent_update, args=(migrated_url, pkg.id))
                thread.start()
                thread.join()
            mr.update_package(conn, id=pkg.id, description=f"mine {len(calls)}")
        return "done"

    assert retry(work, first_delay=0.001) == "done"
    assert len(calls) == 2
    assert mr.get_package_by_id(conn, id=pkg.id).description == "mine 2"

    calls.clear()
    with pytest.raises(SerializationFailure):  # attempts=1: no retry
        retry(work, attempts=1)
    with pytest.raises(Conflict):  # not retryable: raised at once

        def conflict() -> None:
            calls.append(1)
            _pkg(conn, "contended")

        calls.clear()
        retry(conflict)
    assert calls == [1]


async def test_aretry(aconn: AConn, migrated_url: str) -> None:
    pkg = await mr_aio.create_package(
        aconn, name="acontended", version="1", s3_key="k", s3_bucket="b", file_size_bytes=1
    )
    calls: list[int] = []

    async def work() -> int:
        calls.append(1)
        async with db.atransaction(aconn, isolation="repeatable read"):
            await mr_aio.get_package_by_id(aconn, id=pkg.id)
            if len(calls) == 1:
                _concurrent_update(migrated_url, pkg.id)
            await mr_aio.update_package(aconn, id=pkg.id, description="mine")
        return len(calls)

    assert await aretry(work, first_delay=0.001) == 2
