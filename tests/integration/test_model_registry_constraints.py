"""Every named constraint of schema ``model_registry`` is violated once and the translated error
checked; NOT NULL columns; the lineage cycle trigger; the updated_at triggers; cascades (the
seed's "cascade deletes" test); privileges of registry_app.

The cases share one database per module and server; each is refused and rolled back, and the
row counts of the schema's tables are compared before and after. Meta-tests read the catalogs
and fail when a constraint or NOT NULL column has no case.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from catalog_support import named_constraints, required_columns
from psycopg import sql

from registry_sql import core
from registry_sql import model_registry as mr
from registry_sql.core import Application
from registry_sql.db import transaction
from registry_sql.errors import (
    Conflict,
    ForeignKeyMissing,
    InvalidInput,
    RegistrySqlError,
)
from registry_sql.model_registry import LineageRelationship
from registry_sql.testing import RegistryTestServer

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

Conn = psycopg.Connection[Any]
NULL: Any = None
PW = "$scrypt$ln=10,r=8,p=1$cmVnaXN0cnktdGVzdHMhIQ$Gq0k3y3m1x4JZ8t5oQ2pHn8y1Qk0J4o7Tt0bqv1mJbE"
TABLES = ("packages", "package_scores", "package_lineage", "download_history",
          "system_health_metrics")


@dataclass(frozen=True)
class Base:
    user_id: uuid.UUID
    pkg_id: uuid.UUID
    pkg2_id: uuid.UUID
    pkg3_id: uuid.UUID


@pytest.fixture(scope="module")
def shared_url(
    registry_server: RegistryTestServer, registry_migrate: Callable[[str], object]
) -> Iterator[str]:
    """One clone of the migrated template for this module (per server)."""
    dbname = registry_server.clone(registry_migrate, prefix="mrc_")
    try:
        yield registry_server.url(dbname)
    finally:
        registry_server.drop(dbname)


@pytest.fixture(scope="module")
def sconn(shared_url: str) -> Iterator[Conn]:
    with psycopg.connect(shared_url, autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def base(sconn: Conn) -> Base:
    user = core.create_user(sconn, username="mr.base", email="mr.base@example.com",
                            hashed_password=PW)
    pkgs = [
        mr.create_package(sconn, name=f"base-{i}", version="1.0.0", s3_key="k", s3_bucket="b",
                          file_size_bytes=1)
        for i in range(3)
    ]
    mr.upsert_package_score(sconn, package_id=pkgs[0].id, net_score=0.5)
    mr.add_lineage_edge(sconn, parent_package_id=pkgs[0].id, child_package_id=pkgs[1].id,
                        relationship=LineageRelationship.FINE_TUNED)
    mr.add_lineage_edge(sconn, parent_package_id=pkgs[1].id, child_package_id=pkgs[2].id,
                        relationship=LineageRelationship.QUANTIZED)
    return Base(user.id, pkgs[0].id, pkgs[1].id, pkgs[2].id)


def snapshot(conn: Conn) -> dict[str, int]:
    out = {}
    for t in TABLES:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("model_registry", t))
        ).fetchone()
        assert row is not None
        out[t] = int(row[0])
    return out


@dataclass(frozen=True)
class Case:
    id: str  # constraint name, or "nn:<table>.<column>"
    error: type[RegistrySqlError]
    field: str | None
    violate: Callable[[Conn, Base], object]

    @property
    def constraint(self) -> str | None:
        return None if self.id.startswith("nn:") else self.id


def _pkg(**kw: Any) -> Callable[[Conn, Base], object]:
    args: dict[str, Any] = {
        "name": f"p-{uuid.uuid4().hex[:8]}", "version": "1.0.0", "s3_key": "k",
        "s3_bucket": "b", "file_size_bytes": 1,
    } | kw
    return lambda c, b: mr.create_package(c, **args)


def _score(metric: str, value: Any = 1.5) -> Callable[[Conn, Base], object]:
    return lambda c, b: mr.upsert_package_score(c, package_id=b.pkg_id, **{metric: value})


def _edge(
    parent: str, child: str, rel: Any = LineageRelationship.OTHER
) -> Callable[[Conn, Base], object]:
    def run(c: Conn, b: Base) -> object:
        ids: dict[str, Any] = {"p1": b.pkg_id, "p2": b.pkg2_id, "p3": b.pkg3_id,
                               "new": uuid.uuid4(), "null": None}
        return mr.add_lineage_edge(c, parent_package_id=ids[parent], child_package_id=ids[child],
                                   relationship=rel)
    return run


METRICS = ("ramp_up_time", "bus_factor", "license_score", "performance_claims", "size_score",
           "dataset_and_code_score", "dataset_quality", "code_quality", "reproducibility",
           "reviewedness", "tree_score", "net_score")

INS_HEALTH = ("INSERT INTO model_registry.system_health_metrics (metric_name, metric_value) "
              "VALUES (%s, %s)")


def _sql(stmt: Any, params: tuple[Any, ...]) -> Callable[[Conn, Base], object]:
    return lambda c, b: c.execute(stmt, params)


CASES: list[Case] = [
    Case("uq_packages__name_version", Conflict, "name, version",
         _pkg(name="base-0", version="1.0.0")),
    Case("ck_packages__name_length", InvalidInput, "name", _pkg(name="")),
    Case("ck_packages__version_length", InvalidInput, "version", _pkg(version="")),
    Case("ck_packages__s3_key_nonempty", InvalidInput, "s3_key", _pkg(s3_key="")),
    Case("ck_packages__s3_bucket_nonempty", InvalidInput, "s3_bucket", _pkg(s3_bucket="")),
    Case("ck_packages__file_size_nonneg", InvalidInput, "file_size", _pkg(file_size_bytes=-1)),
    Case("ck_packages__tags_no_nulls", InvalidInput, "tags", _pkg(tags=["nlp", None])),
    Case("ck_packages__checksum_format", InvalidInput, "checksum",
         _pkg(checksum_sha256="ABC")),
    Case("ck_packages__sensitive_has_script", InvalidInput, "access_control_script",
         _pkg(is_sensitive=True)),
    Case("fk_packages__uploaded_by", ForeignKeyMissing, "uploaded_by",
         _pkg(uploaded_by=uuid.uuid4())),
    Case("nn:packages.name", InvalidInput, "name", _pkg(name=NULL)),
    Case("nn:packages.version", InvalidInput, "version", _pkg(version=NULL)),
    Case("nn:packages.s3_key", InvalidInput, "s3_key", _pkg(s3_key=NULL)),
    Case("nn:packages.s3_bucket", InvalidInput, "s3_bucket", _pkg(s3_bucket=NULL)),
    Case("nn:packages.file_size_bytes", InvalidInput, "file_size_bytes",
         _pkg(file_size_bytes=NULL)),
    *[Case(f"ck_package_scores__{m}_range", InvalidInput, m, _score(m)) for m in METRICS],
    Case("ck_package_scores__size_score_detail_object", InvalidInput, "size_score_detail",
         _score("size_score_detail", [1, 2])),
    Case("ck_package_scores__metric_latencies_ms_object", InvalidInput, "metric_latencies_ms",
         _score("metric_latencies_ms", "slow")),
    Case("fk_package_scores__package_id", ForeignKeyMissing, "package_id",
         lambda c, b: mr.upsert_package_score(c, package_id=uuid.uuid4(), net_score=0.5)),
    Case("uq_package_scores__package_id", Conflict, "package_id",
         lambda c, b: mr.copy_package_scores(
             c, [mr.PackageScoreIn(b.pkg_id, *([None] * 12))])),
    Case("nn:package_scores.package_id", InvalidInput, "package_id",
         lambda c, b: mr.upsert_package_score(c, package_id=NULL, net_score=0.5)),
    Case("uq_package_lineage__parent_child_relationship", Conflict,
         "parent_package_id, child_package_id, relationship",
         _sql("INSERT INTO model_registry.package_lineage (parent_package_id, child_package_id, "
              "relationship) SELECT parent_package_id, child_package_id, relationship "
              "FROM model_registry.package_lineage LIMIT 1", ())),
    Case("ck_package_lineage__no_self_edge", InvalidInput, None, _edge("p1", "p1")),
    Case("fk_package_lineage__parent_package_id", ForeignKeyMissing, "parent_package_id",
         _edge("new", "p1")),
    Case("fk_package_lineage__child_package_id", ForeignKeyMissing, "child_package_id",
         _edge("p1", "new")),
    Case("nn:package_lineage.parent_package_id", InvalidInput, "parent_package_id",
         _edge("null", "p1")),
    Case("nn:package_lineage.child_package_id", InvalidInput, "child_package_id",
         _edge("p1", "null")),
    Case("nn:package_lineage.relationship", InvalidInput, "relationship",
         _edge("p1", "p3", NULL)),
    Case("fk_download_history__package_id", ForeignKeyMissing, "package_id",
         lambda c, b: mr.record_download(c, package_id=uuid.uuid4(), access_granted=True)),
    Case("fk_download_history__user_id", ForeignKeyMissing, "user_id",
         lambda c, b: mr.record_download(c, package_id=b.pkg_id, user_id=uuid.uuid4(),
                                         access_granted=True)),
    Case("nn:download_history.package_id", InvalidInput, "package_id",
         lambda c, b: mr.record_download(c, package_id=NULL, access_granted=True)),
    Case("nn:download_history.access_granted", InvalidInput, "access_granted",
         lambda c, b: mr.record_download(c, package_id=b.pkg_id, access_granted=NULL)),
    Case("ck_system_health_metrics__name_nonempty", InvalidInput, "name",
         lambda c, b: mr.record_health_metric(c, metric_name="", metric_value=1.0)),
    Case("ck_system_health_metrics__labels_object", InvalidInput, "labels",
         lambda c, b: mr.record_health_metric(c, metric_name="x", metric_value=1.0,
                                              labels=[1])),
    Case("nn:system_health_metrics.metric_name", InvalidInput, "metric_name",
         _sql(INS_HEALTH, (None, 1.0))),
    Case("nn:system_health_metrics.metric_value", InvalidInput, "metric_value",
         lambda c, b: mr.record_health_metric(c, metric_name="x", metric_value=NULL)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_constraint_violation_is_translated_and_writes_nothing(
    case: Case, sconn: Conn, base: Base
) -> None:
    before = snapshot(sconn)
    with pytest.raises(RegistrySqlError) as info, transaction(sconn):
        case.violate(sconn, base)
    err = info.value
    assert type(err) is case.error, f"{type(err).__name__}: {err}"
    message = str(err)
    if case.constraint is not None:
        assert err.constraint == case.constraint, message
        assert case.constraint in message
    else:
        assert err.sqlstate == "23502"
        assert case.id.split(".", 1)[1] in message and "NOT NULL" in message
    if case.field is not None and case.error is not InvalidInput or case.constraint is None:
        assert err.field == case.field, message
    elif case.field is not None:
        # generic CHECK sentences derive the field from the name; a constraint comment may refine it
        assert err.field in (case.field, None) or case.field in (err.field or ""), message
    assert snapshot(sconn) == before, "a refused write left rows behind"


def test_cycle_is_rejected_naming_both_packages(sconn: Conn, base: Base) -> None:
    """p1 -> p2 -> p3 exists; p3 -> p1 (and p2 -> p1) would close a cycle: SQLSTATE RS002."""
    before = snapshot(sconn)
    for parent in (base.pkg3_id, base.pkg2_id):
        with pytest.raises(RegistrySqlError) as info:
            mr.add_lineage_edge(sconn, parent_package_id=parent, child_package_id=base.pkg_id,
                                relationship=LineageRelationship.MERGED)
        err = info.value
        assert err.sqlstate == "RS002"
        assert err.constraint == "ck_package_lineage__no_cycle"
        assert err.table == "model_registry.package_lineage"
        assert "base-0 1.0.0" in str(err)
        assert ("base-2 1.0.0" if parent == base.pkg3_id else "base-1 1.0.0") in str(err)
        assert "cycle" in str(err)
    # an UPDATE that would close a cycle (p1 -> p2 becomes p3 -> p2; p2 -> p3 exists) too
    with pytest.raises(RegistrySqlError) as info, transaction(sconn):
        sconn.execute(
            "UPDATE model_registry.package_lineage SET parent_package_id = %s "
            "WHERE parent_package_id = %s AND child_package_id = %s",
            (base.pkg3_id, base.pkg_id, base.pkg2_id),
        )
    assert info.value.sqlstate == "RS002"
    # a diamond is not a cycle
    edge = mr.add_lineage_edge(sconn, parent_package_id=base.pkg_id,
                               child_package_id=base.pkg3_id,
                               relationship=LineageRelationship.DISTILLED)
    assert mr.delete_lineage_edge(sconn, id=edge.id) == 1
    assert snapshot(sconn) == before


def test_enum_label_is_checked(sconn: Conn, base: Base) -> None:
    with pytest.raises(InvalidInput) as info, transaction(sconn):
        sconn.execute("SELECT 'nope'::model_registry.package_type")
    assert "package_type" in str(info.value)


# --------------------------------------------------------------------------- triggers


def test_updated_at_triggers(conn: Conn) -> None:
    pkg = mr.create_package(conn, name="m", version="1", s3_key="k", s3_bucket="b",
                            file_size_bytes=1)
    score = mr.upsert_package_score(conn, package_id=pkg.id, net_score=0.1)
    with transaction(conn):  # now() moves between transactions only
        conn.execute("SELECT pg_sleep(0.01)")
    after = mr.update_package(conn, id=pkg.id, description="d")
    assert after.updated_at > pkg.updated_at and after.created_at == pkg.created_at
    rescored = mr.upsert_package_score(conn, package_id=pkg.id, net_score=0.2)
    assert rescored.updated_at > score.updated_at and rescored.created_at == score.created_at
    names = {r[0] for r in conn.execute(
        "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'model_registry' AND NOT t.tgisinternal AND NOT c.relispartition")}
    assert names == {"trg_packages__set_updated_at", "trg_package_scores__set_updated_at",
                     "trg_package_lineage__no_cycle"}


# --------------------------------------------------------------------------- cascades


def test_deleting_a_package_cascades(conn: Conn) -> None:
    user = core.create_user(conn, username="u", email="u@example.com", hashed_password=PW)
    a, b, c = (mr.create_package(conn, name=n, version="1", s3_key="k", s3_bucket="b",
                                 file_size_bytes=1, uploaded_by=user.id) for n in "abc")
    mr.upsert_package_score(conn, package_id=b.id, net_score=0.3)
    mr.add_lineage_edge(conn, parent_package_id=a.id, child_package_id=b.id,
                        relationship=LineageRelationship.FINE_TUNED)
    mr.add_lineage_edge(conn, parent_package_id=b.id, child_package_id=c.id,
                        relationship=LineageRelationship.QUANTIZED)
    mr.record_download(conn, package_id=b.id, user_id=user.id, access_granted=True)
    mr.record_download(conn, package_id=c.id, user_id=user.id, access_granted=True)
    assert mr.delete_package(conn, id=b.id) == 1
    assert snapshot(conn) == {"packages": 2, "package_scores": 0, "package_lineage": 0,
                              "download_history": 1, "system_health_metrics": 0}


def test_deleting_a_user_keeps_packages_and_download_history(conn: Conn) -> None:
    user = core.create_user(conn, username="u", email="u@example.com", hashed_password=PW)
    pkg = mr.create_package(conn, name="m", version="1", s3_key="k", s3_bucket="b",
                            file_size_bytes=1, uploaded_by=user.id)
    dl = mr.record_download(conn, package_id=pkg.id, user_id=user.id, access_granted=True)
    conn.execute("DELETE FROM core.users WHERE id = %s", (user.id,))
    assert mr.get_package_by_id(conn, id=pkg.id).uploaded_by is None
    rows = mr.list_downloads_for_package(conn, package_id=pkg.id, limit=5)
    assert [(r.id, r.user_id) for r in rows] == [(dl.id, None)]


# --------------------------------------------------------------------------- privileges


def test_app_role_can_run_the_registry_but_not_rewrite_history(
    conn: Conn, app_conn: Conn
) -> None:
    user = core.create_user(conn, username="dora", email="d@example.com", hashed_password=PW)
    core.grant_role_by_name(conn, user_id=user.id, application=Application.MODEL_REGISTRY,
                            role_name="downloader")
    a = mr.create_package(app_conn, name="a", version="1", s3_key="k", s3_bucket="b",
                          file_size_bytes=1)
    b = mr.create_package(app_conn, name="b", version="1", s3_key="k", s3_bucket="b",
                          file_size_bytes=1, is_sensitive=True, access_control_script="x")
    mr.add_lineage_edge(app_conn, parent_package_id=a.id, child_package_id=b.id,
                        relationship=LineageRelationship.ADAPTER)
    decision = mr.check_download(app_conn, package_id=b.id, user_id=user.id,
                                 access_script_allowed=False)
    assert not decision.access_granted
    assert mr.get_user_permissions(app_conn, user_id=user.id).can_download
    with pytest.raises(RegistrySqlError) as info, transaction(app_conn):
        app_conn.execute("UPDATE model_registry.download_history SET access_granted = true")
    assert info.value.sqlstate == "42501"
    with pytest.raises(RegistrySqlError), transaction(app_conn):
        app_conn.execute("TRUNCATE model_registry.packages CASCADE")
    # the FK cascade runs as the owner: deleting the package removes its downloads
    assert mr.delete_package(app_conn, id=b.id) == 1
    assert mr.count_downloads(conn, package_id=b.id) == 0


# --------------------------------------------------------------------------- meta-tests

CATALOG_INDEXES = """
SELECT idx.relname
  FROM pg_index x
  JOIN pg_class idx ON idx.oid = x.indexrelid
  JOIN pg_class rel ON rel.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = rel.relnamespace
 WHERE n.nspname = 'model_registry' AND NOT rel.relispartition
ORDER BY 1
"""


def test_every_constraint_has_a_case(conn: Conn) -> None:
    names = named_constraints(conn, "model_registry")
    assert len(names) > 25
    covered = {c.id for c in CASES}
    missing = sorted(names - covered)
    assert not missing, f"constraints of model_registry without a violation case: {missing}"
    stale = sorted(c for c in covered if not c.startswith("nn:") and c not in names)
    assert not stale, f"cases for constraints that no longer exist: {stale}"


def test_every_not_null_column_without_default_has_a_case(conn: Conn) -> None:
    columns = required_columns(conn, "model_registry")
    covered = {c.id[3:] for c in CASES if c.id.startswith("nn:")}
    assert sorted(columns - covered) == []
    assert sorted(covered - columns) == []


def test_indexes_follow_the_catalog(conn: Conn) -> None:
    names = {r[0] for r in conn.execute(CATALOG_INDEXES)}
    assert names == {
        "packages_pkey", "uq_packages__name_version", "ix_packages__uploaded_by",
        "ix_packages__name_trgm", "ix_packages__search_trgm", "ix_packages__created_at",
        "ix_packages__package_type", "ix_packages__tags",
        "package_scores_pkey", "uq_package_scores__package_id", "ix_package_scores__net_score",
        "package_lineage_pkey", "uq_package_lineage__parent_child_relationship",
        "ix_package_lineage__child_package_id",
        "download_history_pkey", "ix_download_history__downloaded_at",
        "ix_download_history__package_time", "ix_download_history__user_time",
        "ix_download_history__denied",
        "system_health_metrics_pkey", "ix_system_health_metrics__recorded_at",
        "ix_system_health_metrics__name_time",
    }


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
