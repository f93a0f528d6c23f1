"""The ``inspection`` segment of the demo tour: an inspection's defects, a review that needs a
reason, and that record's audit history as an FDA reviewer reads it."""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql import core, inspection
from registry_sql.db import transaction
from registry_sql.inspection import ReviewStatus
from registry_sql.tours import expect_error, section, show


def tour(conn: psycopg.Connection[Any]) -> None:
    section("inspection: an AI-assisted inspection and its defects")
    lot = inspection.get_lot_by_number(conn, lot_number="LOT-0002")
    [insp] = inspection.list_inspections_for_lot(conn, lot_id=lot.id, limit=1)
    defects = inspection.list_defects_for_inspection(conn, inspection_id=insp.id, limit=10)
    show("inspection.list_defects_for_inspection(conn, inspection_id=<LOT-0002's>, limit=10)",
         "\n".join(f"  {d.severity:9} {d.defect_type:14} {d.detection_method:13} "
                   f"confidence={d.confidence} review={d.review_status}" for d in defects))
    queue = inspection.next_inspections_in_queue(conn, limit=3)
    show("inspection.next_inspections_in_queue(conn, limit=3)",
         "\n".join(f"  priority {i.priority:2} {i.inspection_type:12} {i.status}" for i in queue))

    section("inspection: a reviewed defect changes only with a reason (21 CFR Part 11)")
    quinn = core.get_user_by_username(conn, username="quinn").id
    porosity = next(d for d in defects if d.defect_type == "porosity")
    scratch = next(d for d in defects if d.defect_type == "scratch")

    def without_reason() -> object:
        with transaction(conn, user_id=quinn):
            return inspection.review_defect(conn, id=porosity.id,
                                            review_status=ReviewStatus.FALSE_POSITIVE,
                                            reviewed_by=quinn, review_notes="glare")

    expect_error("with transaction(conn, user_id=quinn): inspection.review_defect(...)",
                 without_reason)

    def without_actor() -> object:
        with transaction(conn):
            return inspection.review_defect(conn, id=scratch.id,
                                            review_status=ReviewStatus.CONFIRMED,
                                            reviewed_by=quinn, review_notes="deep")

    expect_error("with transaction(conn): inspection.review_defect(<scratch>)  # who?",
                 without_actor)
    with transaction(conn, user_id=quinn, session_id="demo-session", client_ip="198.51.100.4",
                     user_agent="inspection-ui/1.0",
                     change_reason="re-examined under polarised light: glare, not pores"):
        changed = inspection.review_defect(conn, id=porosity.id,
                                           review_status=ReviewStatus.FALSE_POSITIVE,
                                           reviewed_by=quinn, review_notes="glare")
    show("with transaction(conn, user_id=quinn, change_reason='re-examined ...'): "
         "inspection.review_defect(...)", changed)

    section("inspection: the record's history, every version with who, from where and why")
    history = inspection.list_record_history(conn, entity_type="inspection.defects",
                                             entity_id=str(porosity.id))
    lines = []
    for v in history:
        changes = {k: (v.old_values or {}).get(k) if isinstance(v.old_values, dict) else None
                   for k in (v.changed_fields or [])}
        what = "created" if v.action == "create" else ", ".join(
            f"{k}: {changes[k]!r} -> {(v.new_values or {}).get(k)!r}"  # type: ignore[union-attr]
            for k in changes if k not in ("reviewed_at",))
        lines.append(f"  v{v.version} {v.occurred_at:%Y-%m-%d %H:%M:%S} {v.actor_username} "
                     f"({v.ip_address}, {v.session_id}) {v.action}: {what}"
                     + (f"\n       reason: {v.reason}" if v.reason else ""))
    show("inspection.list_record_history(conn, entity_type='inspection.defects', "
         "entity_id=<porosity>)", "\n".join(lines))
