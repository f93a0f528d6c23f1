"""Sample data of the ``airlock`` schema (seed 002): two realistic lockfiles and their reviews.

Two users from an identity provider (no passwords): ``maya`` (submitter) and ``omar``
(reviewer, approver). Maya submits ``storefront-web`` 3.4.1 (lockfile v3, 1,500 ``packages``
entries: scoped, nested, duplicates, aliases, a workspace link) and ``legacy-admin`` 1.9.0
(lockfile v1, a nested ``dependencies`` tree); both come from
:mod:`registry_sql.seeds.airlock_lockfiles` (deterministic). A worker then claims the oldest
workflows from the queue and takes each through the pipeline: the package manifest is fetched
(``upsert_package``), a Trivy report is recorded (most clean, some with vulnerabilities), the
license is checked against the allowlist; Omar rejects those whose license is not allowed and
those with a critical vulnerability, approves most others, leaves a few awaiting approval; one
fetch fails. The rest stays queued. Idempotent: nothing is done when ``maya`` exists.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg

from registry_sql import airlock, core
from registry_sql.airlock import (
    CheckStatus,
    CheckType,
    ClaimedWorkflowRow,
    PackageStatus,
    WorkflowStage,
    WorkflowStatus,
)
from registry_sql.core import Application, AuthProvider
from registry_sql.db import transaction
from registry_sql.errors import NotFound
from registry_sql.seeds import Progress
from registry_sql.seeds.airlock_lockfiles import LICENSES, lockfile_v1, lockfile_v3

#: How many workflows the sample worker takes through the pipeline.
PROCESSED = 60
CVES = (
    ("CVE-2021-23337", "HIGH", "lodash: command injection via template"),
    ("CVE-2022-25883", "MEDIUM", "semver: regular expression denial of service"),
    ("CVE-2024-4068", "HIGH", "braces: uncontrolled resource consumption"),
    ("CVE-2021-44906", "CRITICAL", "minimist: prototype pollution"),
)


def _licenses(lock: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(name, version) -> license as the lockfile states it (v3 entries carry one)."""
    found: dict[tuple[str, str], str] = {}
    for path, entry in lock.get("packages", {}).items():
        if "node_modules/" in path and "license" in entry:
            name = entry.get("name") or path.split("node_modules/")[-1]
            found[(name, entry["version"])] = entry["license"]
    return found


def _pick(name: str, version: str, choices: tuple[Any, ...]) -> Any:
    digest = hashlib.sha256(f"{name}@{version}".encode()).digest()
    return choices[digest[0] % len(choices)]


def trivy_report(name: str, version: str, vulnerable: bool) -> dict[str, Any]:
    """A report in the shape ``trivy fs --format json`` writes (the fields services read)."""
    vulns = []
    if vulnerable:
        cve, severity, title = _pick(name, version, CVES)
        vulns.append({
            "VulnerabilityID": cve, "PkgName": name, "InstalledVersion": version,
            "FixedVersion": f"{int(version.split('.')[0]) + 1}.0.0", "Severity": severity,
            "Title": title, "PrimaryURL": f"https://avd.aquasec.com/nvd/{cve.lower()}",
        })
    return {
        "SchemaVersion": 2,
        "ArtifactName": f"{name}@{version}",
        "ArtifactType": "npm",
        "Results": [{
            "Target": f"node_modules/{name}/package.json",
            "Class": "lang-pkgs",
            "Type": "node-pkg",
            "Vulnerabilities": vulns,
        }],
    }


def _process(
    conn: psycopg.Connection[Any], claimed: ClaimedWorkflowRow, n: int, approver: Any,
    licenses: dict[tuple[str, str], str],
) -> str:
    """Take one claimed workflow through the pipeline; return what became of it."""
    name, version = claimed.package_name, claimed.package_version
    if n == 7:  # the registry had no such tarball
        airlock.advance_workflow(conn, id=claimed.id, status=WorkflowStatus.FAILED,
                                 current_stage=None)
        return "failed"
    lic = licenses.get((name, version)) or _pick(name, version, LICENSES)
    tail = name.rsplit("/", 1)[-1]
    airlock.upsert_package(
        conn, name=name, version=version, license=lic,
        tarball_storage_key=f"npm/{name}/{tail}-{version}.tgz",
        metadata={
            "name": name, "version": version, "license": lic,
            "dist": {"tarball": f"https://registry.npmjs.org/{name}/-/{tail}-{version}.tgz",
                     "integrity": claimed.integrity},
            "dependencies": {},
        },
    )
    airlock.advance_workflow(conn, id=claimed.id, status=None,
                             current_stage=WorkflowStage.SECURITY_SCAN)
    vulnerable = n % 9 == 4
    report = trivy_report(name, version, vulnerable)
    critical = vulnerable and report["Results"][0]["Vulnerabilities"][0]["Severity"] == "CRITICAL"
    airlock.record_check_result(
        conn, workflow_id=claimed.id, check_type=CheckType.TRIVY,
        status=CheckStatus.WARNING if vulnerable and not critical
        else CheckStatus.FAILED if critical else CheckStatus.PASSED,
        results=report,
    )
    airlock.advance_workflow(conn, id=claimed.id, status=None,
                             current_stage=WorkflowStage.LICENSE_CHECK)
    license_check = airlock.run_license_check(conn, workflow_id=claimed.id)
    airlock.advance_workflow(conn, id=claimed.id, status=WorkflowStatus.AWAITING_APPROVAL,
                             current_stage=WorkflowStage.MANUAL_REVIEW)
    if license_check.status != CheckStatus.PASSED:
        airlock.reject_workflow(conn, id=claimed.id, decided_by=approver,
                                reason=f"license {lic!r} is not on the allowlist")
        return "rejected"
    if critical:
        airlock.reject_workflow(conn, id=claimed.id, decided_by=approver,
                                reason="critical vulnerability reported by Trivy")
        return "rejected"
    if n % 5 == 0:
        return "awaiting_approval"
    airlock.approve_workflow(conn, id=claimed.id, decided_by=approver,
                             reason="scan and license check passed")
    return "approved"


def seed(
    conn: psycopg.Connection[Any], *, size: int = 0, progress: Progress | None = None
) -> dict[str, int]:
    """Two submissions and their workflows in mixed states (once). ``size`` is not used: the
    sample is the two lockfiles."""
    del size
    try:
        core.get_user_by_username(conn, username="maya")
        return {}
    except NotFound:
        pass
    out: dict[str, int] = {}
    with transaction(conn):
        maya = core.create_user(conn, username="maya", email="maya@storefront.example",
                                full_name="Maya Submitter", auth_provider=AuthProvider.OIDC)
        omar = core.create_user(conn, username="omar", email="omar@storefront.example",
                                full_name="Omar Approver", auth_provider=AuthProvider.OIDC)
        core.grant_role_by_name(conn, user_id=maya.id, application=Application.AIRLOCK,
                                role_name="submitter")
        for role in ("reviewer", "approver"):
            core.grant_role_by_name(conn, user_id=omar.id, application=Application.AIRLOCK,
                                    role_name=role)
        licenses: dict[tuple[str, str], str] = {}
        submissions = []
        for lock in (lockfile_v3(1_500), lockfile_v1()):
            licenses |= _licenses(lock)
            row = airlock.submit_lockfile(conn, user_id=maya.id, package_lock_json=lock)
            submissions.append(row.submission_id)
            out["requests"] = out.get("requests", 0) + row.request_count
        out["submissions"] = len(submissions)
    with transaction(conn):
        claimed = airlock.claim_next_workflows(conn, limit=PROCESSED)
        for n, wf in enumerate(claimed):
            outcome = _process(conn, wf, n, omar.id, licenses)
            out[outcome] = out.get(outcome, 0) + 1
            if progress is not None:
                progress("airlock workflows", n + 1, len(claimed))
        for submission_id in submissions:
            airlock.refresh_submission_status(conn, id=submission_id)
        revoked = airlock.find_approved_package(conn, name=claimed[0].package_name,
                                                version=claimed[0].package_version)
        if revoked is not None:  # a CVE published after approval
            airlock.update_package_status(conn, id=revoked.id, status=PackageStatus.REVOKED)
    return out
