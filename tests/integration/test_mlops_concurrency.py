"""Concurrency of the version counter and of promotions, with real parallel connections.

Run as the application role, one connection per thread, each in its own transaction.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from mlops_support import Conn, Tenant, make_tenant

from registry_sql import mlops
from registry_sql.db import transaction
from registry_sql.mlops import ModelVersionStage

THREADS = 20


@pytest.fixture
def tenant(conn: Conn) -> Tenant:
    return make_tenant(conn, "concurrent")


def test_20_threads_get_20_distinct_consecutive_versions(tenant: Tenant, app_url: str) -> None:
    start = threading.Barrier(THREADS)

    def create_one(i: int) -> tuple[int, int]:
        with psycopg.connect(app_url) as c:
            start.wait()
            with transaction(c, org_id=tenant.org_id):
                asked = mlops.get_next_model_version(
                    c, organization_id=tenant.org_id, model_id=tenant.model_id
                )
                v = mlops.create_model_version(
                    c,
                    organization_id=tenant.org_id,
                    model_id=tenant.model_id,
                    artifact_uri=f"s3://models/thread-{i}",
                )
            return asked, v.version

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(create_one, range(THREADS)))
    versions = sorted(v for _, v in results)
    # version 1 exists already (make_tenant); each thread got the number it was told
    assert versions == list(range(2, 2 + THREADS))
    assert all(asked == got for asked, got in results)
    with psycopg.connect(app_url) as c, transaction(c, org_id=tenant.org_id):
        listed = mlops.list_model_versions(
            c, organization_id=tenant.org_id, model_id=tenant.model_id
        )
    assert sorted(v.version for v in listed) == list(range(1, 2 + THREADS))


def test_concurrent_promotions_leave_exactly_one_production_version(
    tenant: Tenant, app_url: str
) -> None:
    with psycopg.connect(app_url) as c, transaction(c, org_id=tenant.org_id):
        ids: list[uuid.UUID] = [tenant.version_id] + [
            mlops.create_model_version(
                c,
                organization_id=tenant.org_id,
                model_id=tenant.model_id,
                artifact_uri=f"s3://models/{n}",
            ).id
            for n in range(3)
        ]
        mlops.transition_model_version_stage(
            c, organization_id=tenant.org_id, id=ids[0], stage=ModelVersionStage.PRODUCTION
        )
    for round_ in range(3):
        contenders = [ids[1], ids[2]] if round_ % 2 == 0 else [ids[3], ids[1]]
        start = threading.Barrier(len(contenders))

        def promote(version_id: uuid.UUID, start: threading.Barrier = start) -> ModelVersionStage:
            with psycopg.connect(app_url) as c:
                start.wait()
                with transaction(c, org_id=tenant.org_id):
                    row = mlops.transition_model_version_stage(
                        c,
                        organization_id=tenant.org_id,
                        id=version_id,
                        stage=ModelVersionStage.PRODUCTION,
                    )
                return row.stage

        with ThreadPoolExecutor(len(contenders)) as pool:
            stages = list(pool.map(promote, contenders))
        assert stages == [ModelVersionStage.PRODUCTION] * len(contenders)  # both succeeded
        with psycopg.connect(app_url) as c, transaction(c, org_id=tenant.org_id):
            prod = mlops.list_model_versions(
                c,
                organization_id=tenant.org_id,
                model_id=tenant.model_id,
                stage=ModelVersionStage.PRODUCTION,
            )
            archived = mlops.list_model_versions(
                c,
                organization_id=tenant.org_id,
                model_id=tenant.model_id,
                stage=ModelVersionStage.ARCHIVED,
            )
        assert len(prod) == 1 and prod[0].id in contenders
        assert ids[0] in {v.id for v in archived}
