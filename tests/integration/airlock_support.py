"""Helpers shared by the airlock tests: users, lockfiles, a workflow walked to a given state."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from registry_sql import airlock, core
from registry_sql.airlock import WorkflowStatus
from registry_sql.core import Application, AuthProvider

Conn = psycopg.Connection[Any]


def make_user(conn: Conn, name: str, *roles: str) -> uuid.UUID:
    """An SSO user (the airlock has no passwords) with global airlock roles."""
    user = core.create_user(
        conn, username=name, email=f"{name}@example.com", auth_provider=AuthProvider.OIDC
    )
    for role in roles:
        core.grant_role_by_name(
            conn, user_id=user.id, application=Application.AIRLOCK, role_name=role
        )
    return user.id


def small_lock(name: str = "web-shop", **packages: str) -> dict[str, Any]:
    """A lockfile v3 with ``node_modules/<name>`` entries (``_`` in a keyword is ``-``)."""
    entries: dict[str, Any] = {"": {"name": name, "version": "1.0.0"}}
    for pkg, version in packages.items():
        entries[f"node_modules/{pkg.replace('_', '-')}"] = {"version": version}
    return {"name": name, "version": "1.0.0", "lockfileVersion": 3, "packages": entries}


def one_workflow(conn: Conn, user_id: uuid.UUID, package: str = "left-pad",
                 version: str = "1.3.0", project: str = "proj") -> airlock.SubmissionRequestRow:
    """Submit a one-package lockfile; return its request (with the pending workflow)."""
    sub = airlock.submit_lockfile(
        conn, user_id=user_id, package_lock_json=small_lock(project, **{package: version})
    )
    [req] = airlock.list_submission_requests(conn, submission_id=sub.submission_id)
    return req


def walk_to(conn: Conn, workflow_id: uuid.UUID, status: WorkflowStatus,
            decider: uuid.UUID | None = None) -> None:
    """Move a pending workflow along the legal path to ``status``."""
    path = {
        WorkflowStatus.PENDING: [],
        WorkflowStatus.RUNNING: [WorkflowStatus.RUNNING],
        WorkflowStatus.AWAITING_APPROVAL: [WorkflowStatus.RUNNING,
                                           WorkflowStatus.AWAITING_APPROVAL],
        WorkflowStatus.FAILED: [WorkflowStatus.RUNNING, WorkflowStatus.FAILED],
        WorkflowStatus.CANCELLED: [WorkflowStatus.CANCELLED],
    }
    if status in (WorkflowStatus.APPROVED, WorkflowStatus.REJECTED):
        walk_to(conn, workflow_id, WorkflowStatus.AWAITING_APPROVAL)
        if status == WorkflowStatus.APPROVED:
            airlock.approve_workflow(conn, id=workflow_id, decided_by=decider, reason=None)
        else:
            airlock.reject_workflow(conn, id=workflow_id, decided_by=decider, reason="no")
        return
    for step in path[status]:
        airlock.advance_workflow(conn, id=workflow_id, status=step, current_stage=None)
