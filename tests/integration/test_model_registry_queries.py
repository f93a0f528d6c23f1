"""Every named query of sql/model_registry through its generated function: values, types,
ordering, pagination, NotFound, the COALESCE upsert, lineage traversals and the graph, the
audited download check (one statement), download and health rollups."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from registry_sql import core
from registry_sql import model_registry as mr
from registry_sql.core import Application
from registry_sql.db import transaction
from registry_sql.errors import Conflict, InvalidInput, NotFound
from registry_sql.model_registry import (
    DownloadIn,
    HealthMetricIn,
    LineageRelationship,
    PackageRow,
    PackageType,
)

Conn = psycopg.Connection[Any]


def _pw(password: str) -> str:
    salt = b"registry-tests!!"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    s = base64.b64encode(salt).decode().rstrip("=")
    return f"$scrypt$ln=10,r=8,p=1${s}${base64.b64encode(digest).decode().rstrip('=')}"


PW = _pw("pw")


def make_user(conn: Conn, name: str, *roles: str) -> uuid.UUID:
    user = core.create_user(conn, username=name, email=f"{name}@example.com", hashed_password=PW)
    for role in roles:
        core.grant_role_by_name(
            conn, user_id=user.id, application=Application.MODEL_REGISTRY, role_name=role
        )
    return user.id


def make_pkg(conn: Conn, name: str, version: str = "1.0.0", **kw: Any) -> PackageRow:
    args: dict[str, Any] = {
        "s3_key": f"packages/{name}-{version}.zip",
        "s3_bucket": "ml-registry",
        "file_size_bytes": 1000,
    } | kw
    return mr.create_package(conn, name=name, version=version, **args)


# --------------------------------------------------------------------------- packages


def test_package_crud(conn: Conn) -> None:
    alice = make_user(conn, "alice", "uploader")
    bert = mr.create_package(
        conn, name="bert-base-uncased", version="1.0.0", description="BERT base model",
        s3_key="packages/bert-base-uncased-1.0.0.zip", s3_bucket="ml-registry",
        file_size_bytes=440473133, uploaded_by=alice, tags=["nlp", "bert"],
        checksum_sha256="a" * 64,
    )
    assert bert.package_type is PackageType.MODEL
    assert bert.tags == ["nlp", "bert"] and not bert.is_sensitive
    assert bert.file_size_bytes == 440473133 and bert.uploaded_by == alice
    assert bert.created_at.tzinfo is not None
    assert mr.get_package_by_id(conn, id=bert.id) == bert
    assert mr.get_package_by_name_version(conn, name="bert-base-uncased", version="1.0.0") == bert
    with pytest.raises(NotFound):
        mr.get_package_by_name_version(conn, name="bert-base-uncased", version="9.9.9")
    with pytest.raises(NotFound):
        mr.get_package_by_id(conn, id=uuid.uuid4())

    updated = mr.update_package(
        conn, id=bert.id, description="BERT, uncased", is_sensitive=True,
        access_control_script="exit 0", package_type=PackageType.MODEL, tags=["nlp"],
        s3_key="packages/moved.zip", s3_bucket="other", file_size_bytes=1,
        checksum_sha256="b" * 64, source_url="https://huggingface.co/bert-base-uncased",
    )
    assert updated.description == "BERT, uncased" and updated.is_sensitive
    assert updated.tags == ["nlp"] and updated.s3_bucket == "other"
    assert updated.updated_at >= bert.updated_at
    kept = mr.update_package(conn, id=bert.id)  # all omitted: nothing changes
    assert kept.description == "BERT, uncased" and kept.source_url is not None
    with pytest.raises(NotFound):
        mr.update_package(conn, id=uuid.uuid4(), description="x")

    with pytest.raises(Conflict) as info:
        make_pkg(conn, "bert-base-uncased", "1.0.0")
    assert info.value.constraint == "uq_packages__name_version"

    assert mr.delete_package(conn, id=bert.id) == 1
    assert mr.delete_package(conn, id=bert.id) == 0


def test_list_package_versions_semver_order(conn: Conn) -> None:
    for v in ("1.0.0", "10.0.0", "9.1.0", "2.0.0-rc1", "nightly"):
        make_pkg(conn, "resnet", v)
    make_pkg(conn, "other", "1.0.0")
    versions = [p.version for p in mr.list_package_versions(conn, name="resnet")]
    assert versions == ["10.0.0", "9.1.0", "2.0.0-rc1", "1.0.0", "nightly"]
    streamed = [p.version for p in mr.stream_list_package_versions(conn, name="resnet")]
    assert streamed == versions
    assert mr.list_package_versions(conn, name="nope") == []


def test_search_filters_pagination_and_count(conn: Conn) -> None:
    pkgs = []
    for i in range(5):
        pkgs.append(make_pkg(
            conn, f"vision-net-{i}", description="image classifier",
            package_type=PackageType.MODEL if i % 2 == 0 else PackageType.DATASET,
            tags=["vision"] + (["edge"] if i < 2 else []),
            is_sensitive=i == 4, access_control_script="exit 0" if i == 4 else None,
        ))
    make_pkg(conn, "text-net", description="text model with 100% recall_x")
    mr.upsert_package_score(conn, package_id=pkgs[0].id, net_score=0.9)
    mr.upsert_package_score(conn, package_id=pkgs[1].id, net_score=0.4)

    # name or description, case-insensitive
    assert mr.count_search_packages(conn, q="VISION") == 5
    assert mr.count_search_packages(conn, q="classifier") == 5
    # LIKE wildcards are literal
    assert [p.name for p in mr.search_packages(conn, q="100%", limit=10)] == ["text-net"]
    assert mr.count_search_packages(conn, q="recall_x") == 1
    assert mr.count_search_packages(conn, q="recallAx") == 0
    # filters
    assert mr.count_search_packages(conn, q="vision", package_type=PackageType.DATASET) == 2
    assert mr.count_search_packages(conn, q="vision", tags=["vision", "edge"]) == 2
    assert mr.count_search_packages(conn, q="vision", is_sensitive=True) == 1
    hits = mr.search_packages(conn, q="vision", min_net_score=0.5, limit=10)
    assert [h.name for h in hits] == ["vision-net-0"]
    assert hits[0].net_score == pytest.approx(0.9)
    assert mr.count_search_packages(conn, q="vision", min_net_score=0.3) == 2
    # keyset pagination, newest first, no overlap
    page1 = mr.search_packages(conn, q="vision", limit=3)
    assert len(page1) == 3
    last = page1[-1]
    page2 = mr.search_packages(
        conn, q="vision", after_created_at=last.created_at, after_id=last.id, limit=3
    )
    assert len(page2) == 2
    ids = [p.id for p in page1 + page2]
    assert len(set(ids)) == 5
    keys = [(p.created_at, p.id) for p in page1 + page2]
    assert keys == sorted(keys, reverse=True)
    unscored = next(p for p in page1 + page2 if p.name == "vision-net-3")
    assert unscored.net_score is None


def test_list_count_and_suggest_packages(conn: Conn) -> None:
    alice = make_user(conn, "alice")
    for i in range(4):
        make_pkg(conn, f"llama-{i}", package_type=PackageType.CODE if i else PackageType.MODEL,
                 uploaded_by=alice if i < 2 else None)
    assert mr.count_packages(conn) == 4
    assert mr.count_packages(conn, package_type=PackageType.CODE) == 3
    everything = mr.list_packages(conn, limit=10)
    assert len(everything) == 4
    first = mr.list_packages(conn, limit=2)
    rest = mr.list_packages(
        conn, after_created_at=first[-1].created_at, after_id=first[-1].id, limit=10
    )
    assert [p.id for p in first + rest] == [p.id for p in everything]
    assert len(mr.list_packages(conn, uploaded_by=alice, limit=10)) == 2
    assert len(mr.list_packages(conn, package_type=PackageType.MODEL, limit=10)) == 1
    make_pkg(conn, "bert-base-uncased")
    suggestions = mr.suggest_packages(conn, q="bert-base-uncasd", limit=5)
    assert suggestions and suggestions[0].name == "bert-base-uncased"
    assert 0.6 <= suggestions[0].score <= 1.0


# --------------------------------------------------------------------------- scores


@pytest.mark.clone  # scored_at: now() on update vs statement_timestamp() on insert
def test_upsert_score_keeps_omitted_metrics(conn: Conn) -> None:
    pkg = make_pkg(conn, "bert-base-uncased")
    first = mr.upsert_package_score(
        conn, package_id=pkg.id, ramp_up_time=0.85, bus_factor=0.90, license_score=1.0,
        net_score=0.88, size_score_detail={"raspberry_pi": 0.2, "aws_server": 1.0},
    )
    assert first.ramp_up_time == pytest.approx(0.85) and first.net_score == pytest.approx(0.88)
    assert first.reproducibility is None
    second = mr.upsert_package_score(
        conn, package_id=pkg.id, reproducibility=0.5, net_score=0.7,
        performance_claims=0.1, size_score=0.2, dataset_and_code_score=0.3,
        dataset_quality=0.4, code_quality=0.6, reviewedness=0.7, tree_score=0.8,
        metric_latencies_ms={"bus_factor": 12},
    )
    assert second.id == first.id
    assert second.ramp_up_time == pytest.approx(0.85)  # omitted: kept
    assert second.bus_factor == pytest.approx(0.90)
    assert second.license_score == pytest.approx(1.0)
    assert second.reproducibility == pytest.approx(0.5)
    assert second.net_score == pytest.approx(0.7)
    assert second.size_score_detail == {"raspberry_pi": 0.2, "aws_server": 1.0}
    assert second.metric_latencies_ms == {"bus_factor": 12}
    assert second.scored_at >= first.scored_at
    assert mr.get_package_score(conn, package_id=pkg.id) == second
    assert mr.delete_package_score(conn, package_id=pkg.id) == 1
    with pytest.raises(NotFound):
        mr.get_package_score(conn, package_id=pkg.id)


def test_top_packages_by_net_score(conn: Conn) -> None:
    scores = {"a": 0.3, "b": 0.95, "c": None, "d": 0.6}
    for name, net in scores.items():
        p = make_pkg(conn, name, package_type=PackageType.DATASET if name == "d" else None)
        mr.upsert_package_score(conn, package_id=p.id, net_score=net, bus_factor=0.5)
    top = mr.list_top_packages_by_net_score(conn, limit=10)
    assert [(t.name, round(t.net_score, 2)) for t in top] == [("b", 0.95), ("d", 0.6), ("a", 0.3)]
    assert [t.name for t in mr.list_top_packages_by_net_score(conn, limit=1)] == ["b"]
    only = mr.list_top_packages_by_net_score(conn, package_type=PackageType.DATASET, limit=5)
    assert [t.name for t in only] == ["d"]


def test_copy_packages_and_scores(conn: Conn) -> None:
    now = datetime.now(UTC)
    rows = [
        mr.PackageIn(
            id=uuid.uuid4(), name=f"bulk-{i}", version="0.1.0", package_type=PackageType.CODE,
            description=None, tags=["bulk"], s3_key=f"k{i}", s3_bucket="b",
            file_size_bytes=i, checksum_sha256=None, uploaded_by=None, is_sensitive=False,
            access_control_script=None, source_url=None, created_at=now - timedelta(minutes=i),
        )
        for i in range(50)
    ]
    assert mr.copy_packages(conn, rows) == 50
    assert mr.count_packages(conn, package_type=PackageType.CODE) == 50
    got = mr.get_package_by_id(conn, id=rows[3].id)
    assert got.tags == ["bulk"] and got.created_at == rows[3].created_at
    scores = [
        mr.PackageScoreIn(r.id, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.0, i / 100)
        for i, r in enumerate(rows)
    ]
    assert mr.copy_package_scores(conn, scores) == 50
    assert mr.get_package_score(conn, package_id=rows[49].id).net_score == pytest.approx(0.49)


# --------------------------------------------------------------------------- lineage


def _chain(conn: Conn) -> dict[str, PackageRow]:
    """base -> ft -> quant, base -> adapter, data -> ft (a DAG with two roots)."""
    pk = {n: make_pkg(conn, n) for n in ("base", "ft", "quant", "adapter", "data", "loner")}
    R = LineageRelationship
    mr.add_lineage_edge(conn, parent_package_id=pk["base"].id, child_package_id=pk["ft"].id,
                        relationship=R.FINE_TUNED)
    mr.add_lineage_edge(conn, parent_package_id=pk["ft"].id, child_package_id=pk["quant"].id,
                        relationship=R.QUANTIZED)
    mr.add_lineage_edge(conn, parent_package_id=pk["base"].id, child_package_id=pk["adapter"].id,
                        relationship=R.ADAPTER)
    mr.add_lineage_edge(conn, parent_package_id=pk["data"].id, child_package_id=pk["ft"].id,
                        relationship=R.TRAINED_ON_DATASET)
    return pk


def test_lineage_edges_parents_children(conn: Conn) -> None:
    pk = _chain(conn)
    again = mr.add_lineage_edge(
        conn, parent_package_id=pk["base"].id, child_package_id=pk["ft"].id,
        relationship=LineageRelationship.FINE_TUNED,
    )
    assert again.created is False
    new = mr.add_lineage_edge(
        conn, parent_package_id=pk["base"].id, child_package_id=pk["quant"].id,
        relationship=LineageRelationship.DISTILLED,
    )
    assert new.created is True and new.relationship is LineageRelationship.DISTILLED
    parents = mr.list_lineage_parents(conn, package_id=pk["ft"].id)
    assert [(p.name, p.relationship) for p in parents] == [
        ("base", LineageRelationship.FINE_TUNED), ("data", LineageRelationship.TRAINED_ON_DATASET)
    ]
    assert list(mr.stream_list_lineage_parents(conn, package_id=pk["ft"].id)) == parents
    children = mr.list_lineage_children(conn, package_id=pk["base"].id)
    assert [c.name for c in children] == ["adapter", "ft", "quant"]
    assert list(mr.stream_list_lineage_children(conn, package_id=pk["base"].id)) == children
    assert mr.delete_lineage_edge(conn, id=new.id) == 1
    assert mr.delete_lineage_edge(conn, id=new.id) == 0


def test_ancestors_descendants_and_graph(conn: Conn) -> None:
    pk = _chain(conn)
    anc = mr.list_lineage_ancestors(conn, package_id=pk["quant"].id, max_depth=10)
    assert [(a.name, a.depth) for a in anc] == [("ft", 1), ("base", 2), ("data", 2)]
    assert list(mr.stream_list_lineage_ancestors(conn, package_id=pk["quant"].id,
                                                 max_depth=10)) == anc
    assert [a.name for a in mr.list_lineage_ancestors(conn, package_id=pk["quant"].id,
                                                      max_depth=1)] == ["ft"]
    des = mr.list_lineage_descendants(conn, package_id=pk["base"].id, max_depth=10)
    assert [(d.name, d.depth) for d in des] == [("adapter", 1), ("ft", 1), ("quant", 2)]
    assert list(mr.stream_list_lineage_descendants(conn, package_id=pk["base"].id,
                                                   max_depth=10)) == des
    assert mr.list_lineage_descendants(conn, package_id=pk["loner"].id, max_depth=10) == []

    graph = mr.get_lineage_graph(conn, package_id=pk["ft"].id, max_depth=10)
    assert graph.root_id == pk["ft"].id
    assert isinstance(graph.nodes, list) and isinstance(graph.edges, list)
    nodes = {n["name"]: n["depth"] for n in graph.nodes if isinstance(n, dict)}
    assert nodes == {"ft": 0, "base": -1, "data": -1, "quant": 1}  # not adapter (a sibling)
    edges = {(e["relationship"]) for e in graph.edges if isinstance(e, dict)}
    assert edges == {"fine_tuned", "quantized", "trained_on_dataset"}
    lone = mr.get_lineage_graph(conn, package_id=pk["loner"].id, max_depth=3)
    assert lone.edges == [] and isinstance(lone.nodes, list) and len(lone.nodes) == 1
    with pytest.raises(NotFound):
        mr.get_lineage_graph(conn, package_id=uuid.uuid4(), max_depth=3)


def test_traversal_is_cycle_safe_even_with_a_cycle_in_the_data(conn: Conn) -> None:
    """The trigger forbids cycles; with it disabled (a DBA repair, old data) the CYCLE clause
    still terminates the walks."""
    a, b, c = (make_pkg(conn, n) for n in ("a", "b", "c"))
    conn.execute("ALTER TABLE model_registry.package_lineage "
                 "DISABLE TRIGGER trg_package_lineage__no_cycle")
    for p, ch in ((a, b), (b, c), (c, a)):
        mr.add_lineage_edge(conn, parent_package_id=p.id, child_package_id=ch.id,
                            relationship=LineageRelationship.OTHER)
    conn.execute("ALTER TABLE model_registry.package_lineage "
                 "ENABLE TRIGGER trg_package_lineage__no_cycle")
    des = mr.list_lineage_descendants(conn, package_id=a.id, max_depth=100)
    assert [(d.name, d.depth) for d in des] == [("b", 1), ("c", 2)]
    anc = mr.list_lineage_ancestors(conn, package_id=a.id, max_depth=100)
    assert [(x.name, x.depth) for x in anc] == [("c", 1), ("b", 2)]
    graph = mr.get_lineage_graph(conn, package_id=a.id, max_depth=100)
    assert isinstance(graph.edges, list) and len(graph.edges) == 3


# --------------------------------------------------------------------------- downloads


def test_check_download_grants_denies_and_audits(conn: Conn) -> None:
    downloader = make_user(conn, "dora", "downloader")
    nobody = make_user(conn, "nora")
    public = make_pkg(conn, "public-model")
    secret = make_pkg(conn, "secret-model", is_sensitive=True, access_control_script="check.js")

    ok = mr.check_download(conn, package_id=public.id, user_id=downloader,
                           ip_address="10.0.0.1", user_agent="curl/8")
    assert ok.access_granted and ok.access_check_output is None
    no_perm = mr.check_download(conn, package_id=public.id, user_id=nobody)
    assert not no_perm.access_granted
    assert "model_registry:package:download" in (no_perm.access_check_output or "")
    not_run = mr.check_download(conn, package_id=secret.id, user_id=downloader)
    assert not not_run.access_granted and "not run" in (not_run.access_check_output or "")
    with transaction(conn, correlation_id="req-42"):
        refused = mr.check_download(conn, package_id=secret.id, user_id=downloader,
                                    access_script_allowed=False,
                                    access_check_output="user not on the allow list")
    assert not refused.access_granted
    assert refused.access_check_output == (
        "denied: the access control script refused the download; user not on the allow list"
    )
    allowed = mr.check_download(conn, package_id=secret.id, user_id=downloader,
                                access_script_allowed=True, access_check_output="ok")
    assert allowed.access_granted and allowed.access_check_output == "ok"

    event = core.get_audit_event(conn, id=refused.audit_event_id, occurred_at=refused.audited_at)
    assert event.action.value == "download" and event.event_level.value == "warning"
    assert event.entity_type == "package" and event.entity_id == str(secret.id)
    assert event.actor_user_id == downloader and event.actor_username == "dora"
    assert event.correlation_id == "req-42"
    assert isinstance(event.details, dict)
    assert event.details["access_granted"] is False
    assert event.details["download_id"] == str(refused.download_id)
    assert event.details["package"] == "secret-model"
    granted_event = core.get_audit_event(conn, id=ok.audit_event_id, occurred_at=ok.audited_at)
    assert granted_event.event_level.value == "info"
    assert granted_event.ip_address == ipaddress.ip_address("10.0.0.1")

    assert mr.count_downloads(conn, package_id=secret.id) == 3
    assert mr.count_downloads(conn, package_id=secret.id, access_granted=False) == 2
    with pytest.raises(NotFound):
        mr.check_download(conn, package_id=uuid.uuid4(), user_id=downloader)


def test_check_download_is_atomic(conn: Conn) -> None:
    """A failure of the statement leaves neither the download row nor the audit row."""
    user = make_user(conn, "dora", "downloader")
    pkg = make_pkg(conn, "m")
    audit_before = conn.execute("SELECT count(*) FROM core.audit_log").fetchone()
    conn.execute("ALTER TABLE core.audit_log ADD CONSTRAINT ck_test_reject "
                 "CHECK (entity_type <> 'package') NOT VALID")
    with pytest.raises(InvalidInput):
        mr.check_download(conn, package_id=pkg.id, user_id=user)
    conn.execute("ALTER TABLE core.audit_log DROP CONSTRAINT ck_test_reject")
    assert mr.count_downloads(conn, package_id=pkg.id) == 0
    assert conn.execute("SELECT count(*) FROM core.audit_log").fetchone() == audit_before


def test_record_list_and_count_downloads(conn: Conn) -> None:
    u1 = make_user(conn, "u1")
    u2 = make_user(conn, "u2")
    pkg = make_pkg(conn, "m")
    other = make_pkg(conn, "n")
    row = mr.record_download(conn, package_id=pkg.id, user_id=u1, access_granted=True,
                             ip_address="192.0.2.1", user_agent="pip")
    assert row.ip_address == ipaddress.ip_address("192.0.2.1")
    day = datetime(2026, 1, 5, tzinfo=UTC)
    events = [
        DownloadIn(pkg.id, u1, day + timedelta(hours=h), h != 3, None if h != 3 else "denied",
                   None, None)
        for h in range(6)
    ] + [
        DownloadIn(pkg.id, u2, day + timedelta(days=1, hours=h), True, None, None, None)
        for h in range(2)
    ] + [DownloadIn(other.id, None, day, True, None, None, None)]
    assert mr.copy_downloads(conn, events) == 9

    listed = mr.list_downloads_for_package(conn, package_id=pkg.id, limit=100)
    assert len(listed) == 9 and listed[0].id == row.id
    window = mr.list_downloads_for_package(
        conn, package_id=pkg.id, downloaded_from=day, downloaded_to=day + timedelta(days=1),
        limit=4,
    )
    assert len(window) == 4
    nxt = mr.list_downloads_for_package(
        conn, package_id=pkg.id, downloaded_from=day, downloaded_to=day + timedelta(days=1),
        after_downloaded_at=window[-1].downloaded_at, after_id=window[-1].id, limit=4,
    )
    assert len(nxt) == 2 and {w.id for w in window}.isdisjoint({n.id for n in nxt})
    mine = mr.list_downloads_for_user(conn, user_id=u2, limit=10)
    assert len(mine) == 2 and all(m.user_id == u2 for m in mine)
    assert len(mr.list_downloads_for_user(conn, user_id=u1, downloaded_from=day,
                                          downloaded_to=day + timedelta(days=2),
                                          after_downloaded_at=day + timedelta(hours=4),
                                          after_id=uuid.UUID(int=0), limit=10)) == 4
    denied = mr.list_denied_downloads(
        conn, downloaded_from=day, downloaded_to=day + timedelta(days=3), limit=10)
    assert [d.access_check_output for d in denied] == ["denied"]
    assert mr.list_denied_downloads(conn, after_downloaded_at=day, after_id=uuid.UUID(int=0),
                                    limit=10) == []

    per_day = mr.count_downloads_per_day(conn, downloaded_from=day,
                                         downloaded_to=day + timedelta(days=7))
    got = {(r.package_id, r.day): (r.downloads, r.granted, r.denied) for r in per_day}
    assert got == {
        (pkg.id, date(2026, 1, 5)): (6, 5, 1),
        (pkg.id, date(2026, 1, 6)): (2, 2, 0),
        (other.id, date(2026, 1, 5)): (1, 1, 0),
    }
    only = mr.count_downloads_per_day(conn, package_id=other.id, downloaded_from=day,
                                      downloaded_to=day + timedelta(days=7))
    assert [(r.day, r.downloads) for r in only] == [(date(2026, 1, 5), 1)]
    streamed = list(mr.stream_count_downloads_per_day(
        conn, downloaded_from=day, downloaded_to=day + timedelta(days=7)))
    assert streamed == per_day
    assert mr.count_downloads(conn, package_id=pkg.id) == 9


# --------------------------------------------------------------------------- health metrics


def test_health_metrics_record_copy_rollup(conn: Conn) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    one = mr.record_health_metric(conn, metric_name="cpu_percent", metric_value=12.5,
                                  unit="%", labels={"host": "a"})
    assert one.labels == {"host": "a"} and one.recorded_at.tzinfo is not None
    default = mr.record_health_metric(conn, metric_name="error_count", metric_value=1)
    assert default.labels == {} and default.unit is None
    start = (now - timedelta(hours=3)).replace(minute=0, second=0)
    samples = [
        HealthMetricIn("request_latency_ms", float(v), "ms", {"endpoint": "/search"},
                       start + timedelta(seconds=20 * i))
        for i, v in enumerate([10, 20, 30, 40, 50, 60])  # two minutes of samples
    ] + [HealthMetricIn("request_latency_ms", 100.0, "ms", {}, start + timedelta(hours=1))]
    assert mr.copy_health_metrics(conn, samples) == 7

    recent = mr.list_health_metrics(conn, metric_name="request_latency_ms",
                                    recorded_from=start, limit=3)
    assert [r.metric_value for r in recent] == [100.0, 60.0, 50.0]
    bounded = mr.list_health_metrics(conn, metric_name="request_latency_ms", recorded_from=start,
                                     recorded_to=start + timedelta(minutes=1), limit=10)
    assert len(bounded) == 3

    per_minute = mr.rollup_health_metrics(
        conn, bucket=timedelta(minutes=1), metric_name="request_latency_ms",
        recorded_from=start, recorded_to=start + timedelta(hours=2),
    )
    assert [(r.bucket_start, r.samples, r.avg_value, r.min_value, r.max_value)
            for r in per_minute] == [
        (start, 3, 20.0, 10.0, 30.0),
        (start + timedelta(minutes=1), 3, 50.0, 40.0, 60.0),
        (start + timedelta(hours=1), 1, 100.0, 100.0, 100.0),
    ]
    per_hour = mr.rollup_health_metrics(
        conn, bucket=timedelta(hours=1), recorded_from=start - timedelta(days=1),
        recorded_to=now + timedelta(hours=1),
    )
    names = {(r.metric_name, r.bucket_start) for r in per_hour}
    assert ("request_latency_ms", start) in names
    assert {r.metric_name for r in per_hour} == {"cpu_percent", "error_count", "request_latency_ms"}
    streamed = list(mr.stream_rollup_health_metrics(
        conn, bucket=timedelta(hours=1), recorded_from=start - timedelta(days=1),
        recorded_to=now + timedelta(hours=1)))
    assert streamed == per_hour


# --------------------------------------------------------------------------- permissions view


def test_user_permissions_view(conn: Conn) -> None:
    alice = make_user(conn, "alice", "uploader")
    boss = make_user(conn, "boss", "admin")
    plain = make_user(conn, "plain")
    a = mr.get_user_permissions(conn, user_id=alice)
    assert (a.username, a.is_admin, a.can_upload, a.can_search, a.can_download) == (
        "alice", False, True, False, False)
    b = mr.get_user_permissions(conn, user_id=boss)
    assert (b.is_admin, b.can_upload, b.can_search, b.can_download) == (True, True, True, True)
    p = mr.get_user_permissions(conn, user_id=plain)
    assert (p.is_admin, p.can_upload, p.can_search, p.can_download) == (False,) * 4
    core.grant_role_by_name(conn, user_id=plain, application=Application.MODEL_REGISTRY,
                            role_name="searcher")
    assert mr.get_user_permissions(conn, user_id=plain).can_search
    with pytest.raises(NotFound):
        mr.get_user_permissions(conn, user_id=uuid.uuid4())
