"""Several generated calls in one round trip: batch() / abatch() over psycopg's pipeline mode."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from registry_sql import core
from registry_sql import model_registry as mr
from registry_sql.db import abatch, atransaction, batch, transaction
from registry_sql.errors import Conflict, InvalidInput, NotFound, RegistrySqlError
from registry_sql.model_registry import aio as mra
from registry_sql.model_registry.models import PackageRow


def _package(conn: psycopg.Connection[Any], name: str) -> PackageRow:
    return mr.create_package(
        conn,
        name=name,
        version="1.0.0",
        s3_key=f"packages/{name}.zip",
        s3_bucket="b",
        file_size_bytes=10,
    )


def test_a_batch_returns_what_the_calls_return_one_by_one(conn: psycopg.Connection[Any]) -> None:
    with transaction(conn):
        a = _package(conn, "batch-a")
        with batch(conn) as b:
            got = b.add(mr.get_package_by_id, id=a.id)
            made = b.add(
                mr.create_package,
                name="batch-b",
                version="1.0.0",
                s3_key="packages/b.zip",
                s3_bucket="b",
                file_size_bytes=20,
            )
            versions = b.add(mr.list_package_versions, name="batch-a")
            count = b.add(mr.count_downloads, package_id=a.id)
            deleted = b.add(mr.delete_package, id=uuid.uuid4())
        assert got.ok and got.result == a == mr.get_package_by_id(conn, id=a.id)
        assert isinstance(made.result, PackageRow) and made.result.name == "batch-b"
        assert mr.get_package_by_id(conn, id=made.result.id) == made.result
        assert versions.result == [a]
        assert count.result == 0
        assert deleted.result == 0


def test_each_call_runs_its_function_once(conn: psycopg.Connection[Any]) -> None:
    """A batched call builds its parameters once (the batch computes the result from the rows,
    as the function's helper would), and a read that finds nothing gives None."""
    seen: list[object] = []

    def counted(conn: psycopg.Connection[Any], **params: Any) -> PackageRow:
        seen.append(conn)
        return mr.get_package_by_id(conn, **params)

    with transaction(conn):
        a = _package(conn, "batch-once")
        with batch(conn) as b:
            got = b.add(counted, id=a.id)
            nobody = b.add(core.find_user_for_login, email="nobody@example.invalid")
        assert got.result == a
        assert len(seen) == 1 and seen[0] is not conn
        assert nobody.ok and nobody.result is None
        assert core.find_user_for_login(conn, email="nobody@example.invalid") is None


def test_a_failed_call_is_translated_and_named(conn: psycopg.Connection[Any]) -> None:
    with transaction(conn):
        a = _package(conn, "batch-dup")
    with pytest.raises(Conflict) as info:
        with transaction(conn), batch(conn) as b:
            first = b.add(mr.get_package_by_id, id=a.id)
            dup = b.add(
                mr.create_package,
                name="batch-dup",
                version="1.0.0",
                s3_key="packages/x.zip",
                s3_bucket="b",
                file_size_bytes=1,
            )
            after = b.add(mr.get_package_by_id, id=a.id)
    assert "create_package" in str(info.value)
    assert first.result == a
    with pytest.raises(Conflict):
        _ = dup.result
    with pytest.raises(RegistrySqlError, match="did not run"):
        _ = after.result
    assert not after.ok


def test_not_found_belongs_to_its_call(conn: psycopg.Connection[Any]) -> None:
    missing = uuid.uuid4()
    with transaction(conn):
        a = _package(conn, "batch-nf")
        with pytest.raises(NotFound, match=str(missing)):
            with batch(conn) as b:
                ok = b.add(mr.get_package_by_id, id=a.id)
                gone = b.add(mr.get_package_by_id, id=missing)
        assert ok.result == a
        with pytest.raises(NotFound):
            _ = gone.result


def test_results_are_not_there_before_the_batch_runs(conn: psycopg.Connection[Any]) -> None:
    b = batch(conn)
    pending = b.add(mr.get_package_by_id, id=uuid.uuid4())
    with pytest.raises(InvalidInput, match="has not run yet"):
        _ = pending.result


def test_streams_and_copies_are_refused(conn: psycopg.Connection[Any]) -> None:
    with transaction(conn), pytest.raises(InvalidInput, match="cannot run in a batch"):
        with batch(conn) as b:
            b.add(mr.copy_packages, rows=[])
    with transaction(conn), pytest.raises(InvalidInput, match="cannot run in a batch"):
        with batch(conn) as b:
            b.add(mr.stream_list_packages, limit=10)


async def test_async_batch(aconn: psycopg.AsyncConnection[Any]) -> None:
    async with atransaction(aconn):
        a = await mra.create_package(
            aconn,
            name="abatch-a",
            version="1.0.0",
            s3_key="packages/a.zip",
            s3_bucket="b",
            file_size_bytes=10,
        )
        async with abatch(aconn) as b:
            got = b.add(mra.get_package_by_id, id=a.id)
            count = b.add(mra.count_downloads, package_id=a.id)
        assert got.result == a
        assert count.result == 0
        with pytest.raises(NotFound):
            async with abatch(aconn) as b:
                b.add(mra.get_package_by_id, id=uuid.uuid4())
