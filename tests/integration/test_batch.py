"""Several generated calls in one round trip: batch() / abatch() over libpq's pipeline mode.

A batch calls each generated function once (against a recorder), converts every value, then
queues its statements on libpq's pipeline mode (under the connection's lock) and reads the
results back in one round trip. Statements are prepared on first use under names of ours
(``_rs_<n>``), at most ``prepared_max`` per connection, and never when ``prepare_threshold`` is
None (PgBouncer). The pooled batch (``batch(pool)``) is in ``test_pooled_batch.py``.
"""

from __future__ import annotations

import gc
import uuid
import weakref
from typing import Any

import psycopg
import pytest

from registry_sql import core, execute
from registry_sql import model_registry as mr
from registry_sql.db import abatch, atransaction, batch, transaction
from registry_sql.errors import Conflict, InvalidInput, NotFound, RegistrySqlError
from registry_sql.model_registry import aio as mra
from registry_sql.model_registry.models import PackageRow


def _package_params(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "version": "1.0.0",
        "s3_key": f"packages/{name}.zip",
        "s3_bucket": "b",
        "file_size_bytes": 10,
    }


def _package(conn: psycopg.Connection[Any], name: str) -> PackageRow:
    return mr.create_package(conn, **_package_params(name))


_OURS = "SELECT statement FROM pg_prepared_statements WHERE name LIKE '\\_rs\\_%' ORDER BY name"


def _ours(conn: psycopg.Connection[Any]) -> list[str]:
    return [row[0] for row in conn.execute(_OURS).fetchall()]


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


# -- how the pipeline is driven ------------------------------------------------------------


def test_a_statement_is_prepared_once_and_reused(conn: psycopg.Connection[Any]) -> None:
    with transaction(conn):
        a = _package(conn, "pipe-prep")
        before = _ours(conn)
        for _ in range(3):
            with batch(conn) as b:
                got = b.add(mr.get_package_by_id, id=a.id)
                again = b.add(mr.get_package_by_id, id=a.id)  # same statement, same batch
            assert got.result == again.result == a
        added = [text for text in _ours(conn) if text not in before]
    assert len(added) == 1 and "get_package_by_id" in added[0]


def _three_statements_twice(conn: psycopg.Connection[Any], a: PackageRow) -> None:
    """Two batches of the same three distinct statements; the results checked."""
    for _ in range(2):
        with batch(conn) as b:
            got = b.add(mr.get_package_by_id, id=a.id)
            versions = b.add(mr.list_package_versions, name=a.name)
            count = b.add(mr.count_downloads, package_id=a.id)
        assert (got.result, versions.result, count.result) == (a, [a], 0)


def test_at_most_prepared_max_statements_are_kept(conn: psycopg.Connection[Any]) -> None:
    conn.prepared_max = 2
    with transaction(conn):
        a = _package(conn, "pipe-max")
        _three_statements_twice(conn, a)
        # The least recently used were closed: two remain, the last two of the batch.
        kept = _ours(conn)
    assert len(kept) == 2
    assert any("list_package_versions" in text for text in kept)
    assert any("count_downloads" in text for text in kept)


def test_without_protocol_close_statements_beyond_the_limit_go_unnamed(
    conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a libpq older than 17 a prepared statement could only be closed with DEALLOCATE,
    which fails (and aborts the pipeline) when the name is gone: the batch never evicts then;
    once ``prepared_max`` names are kept, further statements are sent unnamed."""
    monkeypatch.setattr(execute, "_CLOSE_BY_PROTOCOL", False)
    conn.prepared_max = 2
    with transaction(conn):
        a = _package(conn, "pipe-old-libpq")
        before = len(_ours(conn))
        _three_statements_twice(conn, a)
        kept = _ours(conn)
    assert len(kept) - before <= 2
    assert not any("count_downloads" in text for text in kept[before:])


def test_nothing_is_prepared_without_a_prepare_threshold(conn: psycopg.Connection[Any]) -> None:
    conn.prepare_threshold = None  # what DB_PGBOUNCER=true sets
    with transaction(conn):
        a = _package(conn, "pipe-unnamed")
        before = _ours(conn)
        with batch(conn) as b:
            got = b.add(mr.get_package_by_id, id=a.id)
        assert got.result == a
        assert _ours(conn) == before


def test_a_statement_skipped_after_an_error_is_prepared_next_time(
    conn: psycopg.Connection[Any],
) -> None:
    """A failed call aborts the rest of the pipeline, the preparing of later statements
    included: the next batch must prepare them again, not use a name the server never saw."""
    with transaction(conn):
        a = _package(conn, "pipe-abort")
    with pytest.raises(Conflict), transaction(conn), batch(conn) as b:
        b.add(mr.create_package, **_package_params("pipe-abort"))
        skipped = b.add(mr.list_downloads_for_package, package_id=a.id, limit=5)
    with pytest.raises(RegistrySqlError, match="did not run"):
        _ = skipped.result
    with transaction(conn), batch(conn) as b:
        listed = b.add(mr.list_downloads_for_package, package_id=a.id, limit=5)
    assert listed.result == []


def test_names_dropped_behind_its_back_fail_one_batch_only(conn: psycopg.Connection[Any]) -> None:
    """DEALLOCATE ALL (or DISCARD ALL) run by other code drops the batch's prepared statements:
    the next batch fails on the missing name and forgets them all; the one after prepares
    again."""
    with transaction(conn):
        a = _package(conn, "pipe-dealloc")
        with batch(conn) as b:
            b.add(mr.get_package_by_id, id=a.id)
    conn.execute("DEALLOCATE ALL")
    with pytest.raises(RegistrySqlError, match="does not exist"):
        with transaction(conn), batch(conn) as b:
            b.add(mr.get_package_by_id, id=a.id)
    with transaction(conn), batch(conn) as b:
        again = b.add(mr.get_package_by_id, id=a.id)
    assert again.result == a


def test_a_value_that_cannot_be_sent_sends_nothing(conn: psycopg.Connection[Any]) -> None:
    with transaction(conn):
        a = _package(conn, "pipe-nul")
        with pytest.raises(InvalidInput, match="name") as info:
            with batch(conn) as b:
                made = b.add(mr.create_package, **_package_params("pipe-made"))
                bad = b.add(mr.create_package, **{**_package_params("n"), "name": "nul\x00name"})
        assert info.value.field == "name"
        with pytest.raises(InvalidInput):
            _ = bad.result
        with pytest.raises(RegistrySqlError, match="nothing was sent"):
            _ = made.result
        # The first call was not sent either: its package does not exist, the transaction is
        # usable.
        assert mr.list_package_versions(conn, name="pipe-made") == []
        assert mr.get_package_by_id(conn, id=a.id) == a


def test_a_batch_inside_conn_pipeline_is_refused(conn: psycopg.Connection[Any]) -> None:
    with transaction(conn), conn.pipeline():
        with pytest.raises(InvalidInput, match="pipeline mode"):
            with batch(conn) as b:
                b.add(mr.get_package_by_id, id=uuid.uuid4())


def test_outside_a_transaction_it_opens_one_as_psycopg_would(app_url: str) -> None:
    """On a connection that is not autocommit and idle, a batch starts the transaction
    psycopg would have started (with the connection's isolation level), and leaves it open for
    the caller to commit or roll back, like any statement."""
    with psycopg.connect(app_url) as c:
        c.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with batch(c) as b:
            level = b.add(_show_isolation)
        assert level.result == "repeatable read"
        assert _status(c) == psycopg.pq.TransactionStatus.INTRANS
        c.rollback()
        c.autocommit = True  # autocommit: the pipeline is its own implicit transaction
        with batch(c) as b:
            b.add(_show_isolation)
        assert _status(c) == psycopg.pq.TransactionStatus.IDLE


def _status(conn: psycopg.Connection[Any]) -> psycopg.pq.TransactionStatus:
    return conn.info.transaction_status


def _show_isolation(conn: Any) -> Any:
    """A hand-written batchable function: one helper call, returned as is."""
    from registry_sql.execute import fetch_value

    return fetch_value(conn, "SHOW transaction_isolation", {}, "test.show_isolation")


def test_what_a_connection_keeps_goes_with_it(app_url: str) -> None:
    """Idle cursors, adapters and prepared names are kept on the connection itself: a closed,
    dropped connection is freed (a module-level map would keep every connection ever used)."""
    c = psycopg.connect(app_url)
    with transaction(c):
        missing = uuid.uuid4()
        with batch(c) as b:
            found = b.add(mr.list_package_versions, name=str(missing))
        assert found.result == []
        with pytest.raises(RegistrySqlError):
            mr.get_package_by_id(c, id=missing)  # the single-row path keeps a cursor
    c.close()
    gone = weakref.ref(c)
    del c, b  # the batch object refers to its connection, as a cursor does
    gc.collect()
    assert gone() is None
