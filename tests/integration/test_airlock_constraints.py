"""Every named constraint and NOT NULL column of schema ``airlock`` violated once, the error
translated and nothing written; cascades; updated_at triggers; the default allowlist and the
airlock roles; what the application role may not do. Meta-tests read the catalog and fail when
a constraint or a NOT NULL column has no case.

CHECKs that a trigger guards first (the lockfile shape, the decision rules) are violated with
the triggers off (``session_replication_role = replica``, superuser), so the constraint itself
is shown to hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from airlock_support import Conn, make_user, one_workflow, small_lock, walk_to
from catalog_support import named_constraints, required_columns
from psycopg.types.json import Jsonb

from registry_sql import airlock
from registry_sql.airlock import CheckStatus, CheckType, WorkflowStatus
from registry_sql.errors import (
    Conflict,
    ForeignKeyMissing,
    InvalidInput,
    RegistrySqlError,
    translate_error,
)

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

TABLES = ("package_submissions", "package_requests", "packages", "workflows", "check_results",
          "package_usage", "license_allowlist")


@dataclass(frozen=True)
class Base:
    user: uuid.UUID
    submission: uuid.UUID
    request: uuid.UUID
    workflow: uuid.UUID


@pytest.fixture
def base(conn: Conn) -> Base:
    user = make_user(conn, "ck-base", "approver")
    req = one_workflow(conn, user, "base-pkg", "1.0.0", project="ck")
    assert req.workflow_id is not None
    sub = conn.execute("SELECT submission_id FROM airlock.package_requests WHERE id = %s",
                       (req.id,)).fetchone()
    assert sub is not None
    airlock.upsert_package(conn, name="base-pkg", version="1.0.0", metadata={}, license="MIT",
                           tarball_storage_key=None)
    return Base(user, sub[0], req.id, req.workflow_id)


def _sql(query: str, *params: Any, replica: bool = False) -> Callable[[Conn, Base], object]:
    def run(c: Conn, b: Base) -> object:
        values = [p(b) if callable(p) else p for p in params]
        if replica:
            c.execute("SET LOCAL session_replication_role = replica")
        try:
            return c.execute(query, values)
        finally:
            if replica:
                c.execute("SET LOCAL session_replication_role = origin")
    return run


NEW = uuid.UUID("00000000-0000-0000-0000-00000000dead")
LONG = "x" * 215
INS_SUB = ("INSERT INTO airlock.package_submissions (user_id, project_name, package_lock_json,"
           " lockfile_version) VALUES (%s, %s, %s, %s)")
INS_REQ = ("INSERT INTO airlock.package_requests (submission_id, package_name, package_version,"
           " package_id) VALUES (%s, %s, %s, %s)")
INS_PKG = "INSERT INTO airlock.packages (name, version, metadata) VALUES (%s, %s, %s)"
INS_WF = "INSERT INTO airlock.workflows (package_request_id, decided_by) VALUES (%s, %s)"
INS_CHECK = ("INSERT INTO airlock.check_results (workflow_id, check_type, status, results)"
             " VALUES (%s, %s, %s, %s)")
INS_USAGE = "INSERT INTO airlock.package_usage (package_request_id, project_name) VALUES (%s, %s)"
INS_LIC = ("INSERT INTO airlock.license_allowlist (license_identifier, license_name, created_by)"
           " VALUES (%s, %s, %s)")
LOCK = Jsonb(small_lock("ok", a="1"))


def user(b: Base) -> uuid.UUID:
    return b.user


def sub(b: Base) -> uuid.UUID:
    return b.submission


def req(b: Base) -> uuid.UUID:
    return b.request


def wf(b: Base) -> uuid.UUID:
    return b.workflow


@dataclass(frozen=True)
class Case:
    id: str  # constraint name, or "nn:<table>.<column>"
    error: type[RegistrySqlError]
    violate: Callable[[Conn, Base], object]


CASES = [
    # package_submissions
    Case("fk_package_submissions__user_id", ForeignKeyMissing, _sql(INS_SUB, NEW, "p", LOCK, 3)),
    Case("ck_package_submissions__project_name_length", InvalidInput,
         _sql(INS_SUB, user, "", LOCK, 3, replica=True)),
    Case("ck_package_submissions__package_lock_json_object", InvalidInput,
         _sql(INS_SUB, user, "p", Jsonb([1]), 3, replica=True)),
    Case("ck_package_submissions__lockfile_version_range", InvalidInput,
         _sql(INS_SUB, user, "p", LOCK, 4, replica=True)),
    Case("nn:package_submissions.user_id", InvalidInput, _sql(INS_SUB, None, "p", LOCK, 3)),
    Case("nn:package_submissions.project_name", InvalidInput,
         _sql(INS_SUB, user, None, LOCK, 3, replica=True)),
    Case("nn:package_submissions.package_lock_json", InvalidInput,
         _sql(INS_SUB, user, "p", None, 3, replica=True)),
    # package_requests
    Case("uq_package_requests__name_version_submission", Conflict,
         _sql(INS_REQ, sub, "base-pkg", "1.0.0", None)),
    Case("fk_package_requests__submission_id", ForeignKeyMissing,
         _sql(INS_REQ, NEW, "a", "1", None)),
    Case("fk_package_requests__package_id", ForeignKeyMissing, _sql(INS_REQ, sub, "a", "1", NEW)),
    Case("ck_package_requests__package_name_length", InvalidInput,
         _sql(INS_REQ, sub, LONG, "1", None)),
    Case("ck_package_requests__package_version_length", InvalidInput,
         _sql(INS_REQ, sub, "a", "", None)),
    Case("nn:package_requests.submission_id", InvalidInput, _sql(INS_REQ, None, "a", "1", None)),
    Case("nn:package_requests.package_name", InvalidInput, _sql(INS_REQ, sub, None, "1", None)),
    Case("nn:package_requests.package_version", InvalidInput, _sql(INS_REQ, sub, "a", None, None)),
    # packages
    Case("uq_packages__name_version", Conflict, _sql(INS_PKG, "base-pkg", "1.0.0", Jsonb({}))),
    Case("ck_packages__name_length", InvalidInput, _sql(INS_PKG, "", "1", Jsonb({}))),
    Case("ck_packages__version_length", InvalidInput, _sql(INS_PKG, "a", "", Jsonb({}))),
    Case("ck_packages__metadata_object", InvalidInput, _sql(INS_PKG, "a", "1", Jsonb("x"))),
    Case("nn:packages.name", InvalidInput, _sql(INS_PKG, None, "1", Jsonb({}))),
    Case("nn:packages.version", InvalidInput, _sql(INS_PKG, "a", None, Jsonb({}))),
    # workflows
    Case("uq_workflows__package_request_id", Conflict, _sql(INS_WF, req, None)),
    Case("fk_workflows__package_request_id", ForeignKeyMissing, _sql(INS_WF, NEW, None)),
    Case("fk_workflows__decided_by", ForeignKeyMissing,
         _sql("UPDATE airlock.workflows SET decided_by = %s WHERE id = %s", NEW, wf)),
    Case("ck_workflows__decision_has_time", InvalidInput,
         _sql("UPDATE airlock.workflows SET status = 'approved' WHERE id = %s", wf,
              replica=True)),
    Case("ck_workflows__rejection_has_reason", InvalidInput,
         _sql("UPDATE airlock.workflows SET status = 'rejected', decided_at = now(),"
              " decision_reason = ' ' WHERE id = %s", wf, replica=True)),
    Case("nn:workflows.package_request_id", InvalidInput, _sql(INS_WF, None, None)),
    # check_results
    Case("fk_check_results__workflow_id", ForeignKeyMissing,
         _sql(INS_CHECK, NEW, "trivy", "passed", Jsonb({}))),
    Case("ck_check_results__results_object", InvalidInput,
         _sql(INS_CHECK, wf, "trivy", "passed", Jsonb([]))),
    Case("nn:check_results.workflow_id", InvalidInput,
         _sql(INS_CHECK, None, "trivy", "passed", Jsonb({}))),
    Case("nn:check_results.check_type", InvalidInput,
         _sql(INS_CHECK, wf, None, "passed", Jsonb({}))),
    Case("nn:check_results.status", InvalidInput, _sql(INS_CHECK, wf, "trivy", None, Jsonb({}))),
    # package_usage
    Case("fk_package_usage__package_request_id", ForeignKeyMissing, _sql(INS_USAGE, NEW, "p")),
    Case("ck_package_usage__project_name_length", InvalidInput, _sql(INS_USAGE, req, LONG)),
    Case("nn:package_usage.package_request_id", InvalidInput, _sql(INS_USAGE, None, "p")),
    Case("nn:package_usage.project_name", InvalidInput, _sql(INS_USAGE, req, None)),
    # license_allowlist
    Case("uq_license_allowlist__license_identifier", Conflict, _sql(INS_LIC, "MIT", "x", None)),
    Case("fk_license_allowlist__created_by", ForeignKeyMissing, _sql(INS_LIC, "X-1", "x", NEW)),
    Case("ck_license_allowlist__license_identifier_format", InvalidInput,
         _sql(INS_LIC, "MIT OR ISC", "x", None)),
    Case("ck_license_allowlist__license_name_length", InvalidInput, _sql(INS_LIC, "X-1", "", None)),
    Case("nn:license_allowlist.license_identifier", InvalidInput, _sql(INS_LIC, None, "x", None)),
    Case("nn:license_allowlist.license_name", InvalidInput, _sql(INS_LIC, "X-1", None, None)),
]


def _counts(conn: Conn) -> list[int]:
    out = []
    for t in TABLES:
        row = conn.execute(f"SELECT count(*) FROM airlock.{t}").fetchone()  # noqa: S608
        assert row is not None
        out.append(int(row[0]))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_constraint_is_enforced_and_translated(conn: Conn, base: Base, case: Case) -> None:
    before = _counts(conn)
    with pytest.raises(psycopg.Error) as raised:
        case.violate(conn, base)
    err = translate_error(raised.value)
    assert isinstance(err, case.error), err
    if case.id.startswith("nn:"):
        assert err.field == case.id.rsplit(".", 1)[1]
    else:
        assert err.constraint == case.id
        assert case.id in str(err) or isinstance(err, Conflict | ForeignKeyMissing)
    assert _counts(conn) == before


def test_every_named_constraint_has_a_case(conn: Conn) -> None:
    assert named_constraints(conn, "airlock") == {c.id for c in CASES if ":" not in c.id}


def test_every_required_column_has_a_case(conn: Conn) -> None:
    assert required_columns(conn, "airlock") == {c.id[3:] for c in CASES if c.id.startswith("nn:")}


def test_check_messages_say_what_a_valid_value_is(conn: Conn, base: Base) -> None:
    with pytest.raises(psycopg.Error) as raised:
        _sql(INS_LIC, "MIT OR ISC", "x", None)(conn, base)
    err = translate_error(raised.value)
    assert "license_identifier must be an SPDX identifier" in str(err)
    assert err.field == "license_identifier"


def test_deleting_a_submission_cascades(conn: Conn, base: Base) -> None:
    airlock.record_check_result(conn, workflow_id=base.workflow, check_type=CheckType.TRIVY,
                                status=CheckStatus.PASSED, results={})
    before = dict(zip(TABLES, _counts(conn), strict=True))
    assert airlock.delete_submission(conn, id=base.submission) == 1
    after = dict(zip(TABLES, _counts(conn), strict=True))
    gone = {t: before[t] - after[t] for t in TABLES}
    assert gone == {"package_submissions": 1, "package_requests": 1, "packages": 0,
                    "workflows": 1, "check_results": 1, "package_usage": 1,
                    "license_allowlist": 0}


def test_deleting_a_package_unlinks_requests(conn: Conn, base: Base) -> None:
    [r] = airlock.list_submission_requests(conn, submission_id=base.submission)
    assert r.package_id is not None
    conn.execute("DELETE FROM airlock.packages WHERE id = %s", (r.package_id,))
    [r] = airlock.list_submission_requests(conn, submission_id=base.submission)
    assert r.package_id is None


def test_a_submitter_cannot_be_purged_but_a_decider_is_unlinked(conn: Conn, base: Base) -> None:
    other = make_user(conn, "ck-decider", "approver")
    walk_to(conn, base.workflow, WorkflowStatus.APPROVED, other)
    conn.execute("DELETE FROM core.users WHERE id = %s", (other,))
    assert airlock.get_workflow(conn, id=base.workflow).decided_by is None
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("DELETE FROM core.users WHERE id = %s", (base.user,))
    err = translate_error(raised.value)
    assert err.constraint == "fk_package_submissions__user_id"


@pytest.mark.parametrize("table", ["package_submissions", "package_requests", "packages",
                                   "workflows", "license_allowlist"])
def test_updated_at_is_maintained(conn: Conn, table: str) -> None:
    row = conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
        (f"airlock.{table}", f"trg_{table}__set_updated_at"),
    ).fetchone()
    assert row == (1,)


def test_updated_at_moves_on_update(conn: Conn, base: Base) -> None:
    conn.execute("UPDATE airlock.packages SET updated_at = '2000-01-01' WHERE name = 'base-pkg'")
    conn.execute("UPDATE airlock.packages SET license = 'ISC' WHERE name = 'base-pkg'")
    row = conn.execute("SELECT updated_at > '2001-01-01' FROM airlock.packages"
                       " WHERE name = 'base-pkg'").fetchone()
    assert row == (True,)


def test_reference_data(conn: Conn) -> None:
    allow = conn.execute("SELECT license_identifier FROM airlock.license_allowlist"
                         " WHERE is_active ORDER BY 1").fetchall()
    assert [r[0] for r in allow] == sorted(["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause",
                                            "ISC", "0BSD"])
    roles = conn.execute("SELECT name FROM core.roles WHERE application = 'airlock'"
                         " ORDER BY 1").fetchall()
    assert [r[0] for r in roles] == ["admin", "approver", "reviewer", "submitter"]
    perms = conn.execute("SELECT code FROM core.permissions WHERE application = 'airlock'"
                         " ORDER BY 1").fetchall()
    assert [r[0] for r in perms] == ["airlock:license:manage", "airlock:submission:create",
                                     "airlock:submission:review", "airlock:workflow:approve"]


def test_indexes_of_the_catalog(conn: Conn) -> None:
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'airlock'").fetchall()
    defs = dict(rows)
    assert "WHERE (status = ANY" in defs["ix_workflows__active"]
    assert "gin (metadata jsonb_path_ops)" in defs["ix_packages__metadata"]
    assert "ix_package_usage__project_name" in defs
    assert len(defs) == 26  # catalog §4.2: 7 primary keys + 4 unique + 15 secondary


def test_the_application_role_cannot_rewrite_check_results(app_conn: Conn) -> None:
    for statement in ("UPDATE airlock.check_results SET status = 'passed'",
                      "DELETE FROM airlock.check_results",
                      "TRUNCATE airlock.package_requests"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_conn.execute(statement)
