"""The ``airlock`` segment of the demo tour: a lockfile split into requests, the work queue, a
license rejection, an approval, and the projects that use a package."""

from __future__ import annotations

from typing import Any

import psycopg

from registry_sql import airlock, core
from registry_sql.airlock import CheckType, WorkflowStatus
from registry_sql.db import transaction
from registry_sql.seeds.airlock_lockfiles import expected_requests, lockfile_v3
from registry_sql.tours import expect_error, fmt, section, show


def tour(conn: psycopg.Connection[Any]) -> None:
    section("airlock: a package-lock.json becomes deduplicated requests, in one statement")
    maya = core.get_user_by_username(conn, username="maya")
    subs = airlock.list_submissions(conn, user_id=maya.id, status=None, after_created_at=None,
                                    after_id=None, limit=5)
    show("airlock.list_submissions(conn, user_id=<maya>, status=None, ..., limit=5)",
         "\n".join(f"  {s.project_name:16} {s.project_version or '':7} lockfile v"
                   f"{s.lockfile_version}  {s.status.value}" for s in subs))
    lock = lockfile_v3(40, name="checkout-widget", version="0.2.0", seed=7)
    with transaction(conn):
        ingest = airlock.submit_lockfile(conn, user_id=maya.id, package_lock_json=lock)
        show("airlock.submit_lockfile(conn, user_id=<maya>, package_lock_json=<40 entries, "
             "nested, scoped, a link>)", ingest)
        print(f"  (computed in Python from the JSON: {len(expected_requests(lock))} distinct "
              "name@version pairs)")
        airlock.delete_submission(conn, id=ingest.submission_id)  # the tour leaves no trace
    expect_error(
        'airlock.submit_lockfile(conn, ..., package_lock_json={"name": "x", "packages": '
        '{"node_modules/a": {}}})',
        lambda: airlock.submit_lockfile(
            conn, user_id=maya.id,
            package_lock_json={"name": "x", "packages": {"node_modules/a": {}}}),
    )

    section("airlock: the work queue (FOR UPDATE SKIP LOCKED)")
    show("airlock.count_workflows_by_status(conn)",
         "\n".join(f"  {c.status.value:18} {c.count}"
                   for c in airlock.count_workflows_by_status(conn)))
    with transaction(conn):
        claimed = airlock.claim_next_workflows(conn, limit=3)
    show("airlock.claim_next_workflows(conn, limit=3)  # each worker gets different ones",
         "\n".join(f"  {c.package_name}@{c.package_version} -> {c.status.value}/"
                   f"{c.current_stage.value}" for c in claimed))

    section("airlock: a license rejection (SPDX expressions against the allowlist)")
    for expression in ("(MIT OR GPL-3.0-only)", "MIT AND GPL-3.0-only"):
        show(f"airlock.is_license_allowed(conn, expression={expression!r})",
             airlock.is_license_allowed(conn, expression=expression))
    rejected = airlock.list_workflows_by_status(conn, status=WorkflowStatus.REJECTED, limit=50)
    for wf in rejected:
        latest = airlock.list_latest_check_results(conn, workflow_id=wf.id)
        lic = next((r for r in latest if r.check_type == CheckType.LICENSE), None)
        if lic is not None and lic.status.value == "failed":
            show(f"airlock.list_latest_check_results(conn, workflow_id=<{wf.package_name}>)",
                 "\n".join(fmt(r) if r.check_type == CheckType.LICENSE
                           else f"  {r.check_type.value}: {r.status.value}" for r in latest))
            show("airlock.get_workflow(conn, id=...)", airlock.get_workflow(conn, id=wf.id))
            break
    omar = core.get_user_by_username(conn, username="omar")
    expect_error(
        "airlock.advance_workflow(conn, id=<rejected>, status=WorkflowStatus.RUNNING, ...)",
        lambda: airlock.advance_workflow(conn, id=rejected[0].id,
                                         status=WorkflowStatus.RUNNING, current_stage=None),
    )

    section("airlock: an approval (workflow, request, package and audit event in one statement)")
    waiting = airlock.list_workflows_by_status(conn, status=WorkflowStatus.AWAITING_APPROVAL,
                                               limit=1)
    if waiting:
        with transaction(conn, correlation_id="demo-review-1"):
            decision = airlock.approve_workflow(conn, id=waiting[0].id, decided_by=omar.id,
                                                reason="reviewed in the demo")
            airlock.refresh_submission_status(conn, id=decision.submission_id)
        show(f"airlock.approve_workflow(conn, id=<{waiting[0].package_name}>, "
             "decided_by=<omar>, reason=...)", decision)
        event = core.get_audit_event(conn, id=decision.audit_event_id,
                                     occurred_at=decision.audited_at)
        show("core.get_audit_event(conn, id=decision.audit_event_id, ...)", fmt(event))

    section("airlock: which projects use a package (a new CVE: who is hit?)")
    used = airlock.list_packages_for_project(conn, project_name="legacy-admin")
    target = next((p for p in used if p.package_name == "lodash"), used[0])
    show(f"airlock.list_projects_using_package(conn, package_name={target.package_name!r}, "
         "versions=None)",
         "\n".join(f"  {u.project_name} {u.project_version}: {target.package_name}@"
                   f"{u.package_version} ({u.request_status.value})"
                   for u in airlock.list_projects_using_package(
                       conn, package_name=target.package_name, versions=None)))

