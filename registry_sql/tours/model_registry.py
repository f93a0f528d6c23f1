"""The ``model_registry`` segment of the demo tour: search, lineage, a denied sensitive download."""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql import core
from registry_sql import model_registry as mr
from registry_sql.db import transaction
from registry_sql.model_registry import LineageRelationship
from registry_sql.tours import expect_error, fmt, section, show


def tour(conn: psycopg.Connection[Any]) -> None:
    section("model_registry: search (trigram index, filters, keyset pagination)")
    hits = mr.search_packages(conn, q="bert", tags=["nlp"], limit=5)
    total = mr.count_search_packages(conn, q="bert", tags=["nlp"])
    show('mr.search_packages(conn, q="bert", tags=["nlp"], limit=5)',
         "\n".join(f"  {h.name:28} {h.version:7} net_score={h.net_score}" for h in hits)
         + f"\n  ... {total} matches in all (mr.count_search_packages)")
    bert = mr.get_package_by_name_version(conn, name="bert-base-uncased", version="1.0.0")
    show('mr.get_package_by_name_version(conn, name="bert-base-uncased", version="1.0.0")', bert)
    show("mr.get_package_score(conn, package_id=bert.id)",
         mr.get_package_score(conn, package_id=bert.id))
    top = mr.list_top_packages_by_net_score(conn, limit=3)
    show("mr.list_top_packages_by_net_score(conn, limit=3)",
         "\n".join(f"  {t.name:28} {t.net_score:.3f}" for t in top))

    section("model_registry: lineage is a DAG (cycle-safe walks, cycles refused)")
    des = mr.list_lineage_descendants(conn, package_id=bert.id, max_depth=5)
    show("mr.list_lineage_descendants(conn, package_id=bert.id, max_depth=5)",
         "\n".join(f"  depth {d.depth}: {d.name} {d.version}" for d in des))
    clinical = mr.get_package_by_name_version(conn, name="bert-clinical-restricted",
                                              version="1.0.0")
    graph = mr.get_lineage_graph(conn, package_id=clinical.id, max_depth=5)
    show("mr.get_lineage_graph(conn, package_id=<clinical>, max_depth=5)  # nodes + edges",
         f"  nodes: {graph.nodes}\n  edges: {graph.edges}")
    expect_error(
        "mr.add_lineage_edge(conn, parent_package_id=<clinical>, child_package_id=<bert>, ...)",
        lambda: mr.add_lineage_edge(conn, parent_package_id=clinical.id,
                                    child_package_id=bert.id,
                                    relationship=LineageRelationship.OTHER),
    )

    section("model_registry: a sensitive download is checked, recorded and audited atomically")
    alice = core.get_user_by_username(conn, username="alice")
    with transaction(conn, correlation_id="demo-download-1"):
        decision = mr.check_download(
            conn, package_id=clinical.id, user_id=alice.id, access_script_allowed=False,
            access_check_output="alice is not medical staff", ip_address="203.0.113.7",
            user_agent="registry-demo",
        )
    show("mr.check_download(conn, package_id=<clinical>, user_id=<alice>, "
         "access_script_allowed=False, ...)", decision)
    event = core.get_audit_event(conn, id=decision.audit_event_id,
                                 occurred_at=decision.audited_at)
    show("core.get_audit_event(conn, id=decision.audit_event_id, ...)  # same transaction",
         fmt(event))
