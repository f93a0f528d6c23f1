"""Sample data of the ``model_registry`` schema (seed 000).

The stated sample: ``bert-base-uncased`` 1.0.0 uploaded by alice, with its four scores. Around
it a small named lineage (a distilled and a fine-tuned child, a sensitive derivative) and
``size`` generated packages with deterministic names, versions, scores, lineage edges (a DAG:
every edge goes from an older generated package to a newer one) and a few downloads per package.
Bulk rows go through the COPY functions in batches. Idempotent: nothing is done when
``bert-base-uncased`` 1.0.0 exists.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from registry_sql import core
from registry_sql import model_registry as mr
from registry_sql.core import Application
from registry_sql.db import transaction
from registry_sql.errors import NotFound
from registry_sql.model_registry import (
    DownloadIn,
    LineageRelationship,
    PackageIn,
    PackageScoreIn,
    PackageType,
)
from registry_sql.seeds import Progress

BUCKET = "ml-registry"
BATCH = 5_000
DOWNLOADS_PER_PACKAGE = 3
#: uuid5 namespace of the generated packages, so ids are the same on every run.
NAMESPACE = uuid.UUID("6f1c2a8e-0d0e-4c59-9a51-6d8f3c0b7e11")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
FAMILIES = ("bert", "resnet", "llama", "whisper", "vit", "t5", "gpt2", "clip")
KINDS = (PackageType.MODEL, PackageType.MODEL, PackageType.DATASET, PackageType.CODE)
TAGS = ("nlp", "vision", "audio", "multimodal", "edge", "research")


def _generated(size: int, uploaders: list[uuid.UUID]) -> list[PackageIn]:
    rows = []
    for i in range(size):
        family = FAMILIES[i % len(FAMILIES)]
        kind = KINDS[i % len(KINDS)]
        name = f"{family}-{kind.value}-{i // len(FAMILIES):05d}"
        version = f"{i % 3}.{i % 7}.{i % 5}"
        sensitive = i % 25 == 0
        rows.append(PackageIn(
            id=uuid.uuid5(NAMESPACE, f"{name}@{version}"),
            name=name,
            version=version,
            package_type=kind,
            description=f"Generated {kind.value} of the {family} family (#{i})",
            tags=[TAGS[i % len(TAGS)], family],
            s3_key=f"packages/{name}-{version}.zip",
            s3_bucket=BUCKET,
            file_size_bytes=1_000_000 + (i * 7919) % 900_000_000,
            checksum_sha256=None,
            uploaded_by=uploaders[i % len(uploaders)],
            is_sensitive=sensitive,
            access_control_script="scripts/allow-internal.js" if sensitive else None,
            source_url=None,
            created_at=EPOCH + timedelta(minutes=i),
        ))
    return rows


def _scores(packages: list[PackageIn]) -> Iterator[PackageScoreIn]:
    for pkg in packages:
        rnd = random.Random(pkg.id.int)
        m = [round(rnd.random(), 3) for _ in range(11)]
        yield PackageScoreIn(
            package_id=pkg.id, ramp_up_time=m[0], bus_factor=m[1], license_score=m[2],
            performance_claims=m[3], size_score=m[4], dataset_and_code_score=m[5],
            dataset_quality=m[6], code_quality=m[7], reproducibility=m[8], reviewedness=m[9],
            tree_score=m[10], net_score=round(sum(m) / 11, 3),
        )


def _downloads(packages: list[PackageIn], users: list[uuid.UUID]) -> Iterator[DownloadIn]:
    now = datetime.now(UTC).replace(microsecond=0)
    for i, pkg in enumerate(packages):
        for k in range(DOWNLOADS_PER_PACKAGE):
            granted = not (pkg.is_sensitive and k == 0)
            yield DownloadIn(
                package_id=pkg.id,
                user_id=users[(i + k) % len(users)],
                downloaded_at=now - timedelta(hours=(i * 7 + k * 5) % (14 * 24), minutes=k),
                access_granted=granted,
                access_check_output=None if granted else "denied: not on the allow list",
                ip_address=ipaddress.ip_address(f"10.0.{i % 250}.{k + 1}"),
                user_agent="registry-sql seed",
            )


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(
    conn: psycopg.Connection[Any], *, size: int = 1_000, progress: Progress | None = None
) -> dict[str, int]:
    """Create the stated sample and ``size`` generated packages (once)."""
    try:
        mr.get_package_by_name_version(conn, name="bert-base-uncased", version="1.0.0")
        return {}
    except NotFound:
        pass
    users = {u: core.get_user_by_username(conn, username=u).id
             for u in ("alice", "admin", "scientist", "engineer")}
    alice = users["alice"]
    counts = {"packages": 0, "scores": 0, "lineage edges": 0, "downloads": 0, "role grants": 0}

    with transaction(conn):
        # Seed 000's permission defaults: can_search and can_download are true.
        for role in ("searcher", "downloader"):
            core.grant_role_by_name(conn, user_id=alice, application=Application.MODEL_REGISTRY,
                                    role_name=role)
            counts["role grants"] += 1
        bert = mr.create_package(
            conn, name="bert-base-uncased", version="1.0.0", description="BERT base model",
            s3_key="packages/bert-base-uncased-1.0.0.zip", s3_bucket=BUCKET,
            file_size_bytes=440473133, uploaded_by=alice, tags=["nlp", "bert"],
            source_url="https://huggingface.co/bert-base-uncased",
        )
        mr.upsert_package_score(conn, package_id=bert.id, ramp_up_time=0.85, bus_factor=0.90,
                                license_score=1.0, net_score=0.88)
        distil = mr.create_package(
            conn, name="distilbert-base-uncased", version="1.0.0",
            description="DistilBERT, distilled from BERT base", tags=["nlp", "bert", "edge"],
            s3_key="packages/distilbert-base-uncased-1.0.0.zip", s3_bucket=BUCKET,
            file_size_bytes=267967963, uploaded_by=alice,
        )
        squad = mr.create_package(
            conn, name="bert-base-uncased-squad", version="1.0.0",
            description="BERT base fine-tuned on SQuAD", tags=["nlp", "bert", "qa"],
            s3_key="packages/bert-base-uncased-squad-1.0.0.zip", s3_bucket=BUCKET,
            file_size_bytes=435000000, uploaded_by=alice,
        )
        clinical = mr.create_package(
            conn, name="bert-clinical-restricted", version="1.0.0",
            description="BERT fine-tuned on clinical notes (sensitive)",
            tags=["nlp", "bert", "medical"], is_sensitive=True,
            access_control_script="scripts/allow-medical-staff.js",
            s3_key="packages/bert-clinical-restricted-1.0.0.zip", s3_bucket=BUCKET,
            file_size_bytes=438000000, uploaded_by=alice,
        )
        counts["packages"] += 4
        counts["scores"] += 1
        for parent, child, rel in (
            (bert, distil, LineageRelationship.DISTILLED),
            (bert, squad, LineageRelationship.FINE_TUNED),
            (squad, clinical, LineageRelationship.FINE_TUNED),
        ):
            mr.add_lineage_edge(conn, parent_package_id=parent.id, child_package_id=child.id,
                                relationship=rel)
            counts["lineage edges"] += 1

    generated = _generated(size, list(users.values()))
    total = len(generated)
    done = 0
    for batch in _batches(iter(generated), BATCH):
        with transaction(conn):
            counts["packages"] += mr.copy_packages(conn, batch)
        done += len(batch)
        if progress:
            progress("model_registry packages", done, total)
    done = 0
    for batch in _batches(_scores(generated), BATCH):
        with transaction(conn):
            counts["scores"] += mr.copy_package_scores(conn, batch)
        done += len(batch)
        if progress:
            progress("model_registry scores", done, total)

    # Lineage: package i derives from an older package of the same family (a DAG by
    # construction: parents always have a smaller index). Every third package has a parent.
    edges = [(generated[i - len(FAMILIES) * (1 + i % 3)], generated[i])
             for i in range(len(FAMILIES) * 3, total, 3)]
    with transaction(conn):
        for n, (older, newer) in enumerate(edges, 1):
            mr.add_lineage_edge(
                conn, parent_package_id=older.id, child_package_id=newer.id,
                relationship=(LineageRelationship.FINE_TUNED if n % 2
                              else LineageRelationship.QUANTIZED),
            )
            if progress and n % 1_000 == 0:
                progress("model_registry lineage edges", n, len(edges))
    counts["lineage edges"] += len(edges)

    total_downloads = total * DOWNLOADS_PER_PACKAGE
    done = 0
    for batch in _batches(_downloads(generated, list(users.values())), BATCH):
        with transaction(conn):
            counts["downloads"] += mr.copy_downloads(conn, batch)
        done += len(batch)
        if progress:
            progress("model_registry downloads", done, total_downloads)
    return counts
