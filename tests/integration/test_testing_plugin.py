"""The ``registry_sql.testing`` pytest plugin, as a service uses it.

In-process tests use its fixtures on this session's legs (tests/conftest.py points
``registry_server`` at them); the ``pytester`` tests run a small service test suite in a
subprocess, once against ``DATABASE_URL`` and once with the embedded server it starts itself.
"""

from __future__ import annotations

import textwrap
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import errors

from registry_sql import core, mlops
from registry_sql.core import AuthProvider
from registry_sql.db import transaction
from registry_sql.errors import Conflict, Forbidden
from registry_sql.testing import RegistryTestServer

# PostgreSQL 15 runs this module too (its compatibility subset, see docs/testing.md)
pytestmark = pytest.mark.compat

_MARKER = "plugin_isolation_marker"
OIDC = AuthProvider.OIDC


def test_registry_db_is_the_app_role_under_rls(registry_db: psycopg.Connection[Any]) -> None:
    row = registry_db.execute(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == ("registry_app_login", False, False)
    assert registry_db.execute("SELECT row_security_active('mlops.projects')").fetchone() == (True,)
    # no tenant set: RLS hides every project and refuses writes
    with pytest.raises(Forbidden, match="row-level security"), transaction(registry_db):
        registry_db.execute(
            "INSERT INTO mlops.projects (organization_id, name, slug) "
            "VALUES (gen_random_uuid(), 'p', 'p')"
        )


def test_registry_db_runs_generated_functions_in_a_tenant(
    registry_db: psycopg.Connection[Any],
) -> None:
    with transaction(registry_db):
        user = core.create_user(
            registry_db, username="plugin-u", email="plugin-u@example.com", auth_provider=OIDC
        )
        org = core.create_organization(registry_db, name="Plugin", slug="plugin-org")
    with transaction(registry_db, org_id=org.id):
        project = mlops.create_project(
            registry_db, organization_id=org.id, name="P", slug="p", created_by=user.id
        )
    with transaction(registry_db, org_id=org.id):
        assert (
            mlops.get_project_by_id(registry_db, organization_id=org.id, id=project.id).slug == "p"
        )


def test_registry_db_commit_is_refused(registry_db: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.ProgrammingError, match="registry_clone_url"):
        registry_db.commit()


def test_registry_db_has_production_error_semantics(registry_db: psycopg.Connection[Any]) -> None:
    core.create_user(
        registry_db, username="plugin-dup", email="plugin-dup@example.com", auth_provider=OIDC
    )
    # a savepoint (nested transaction) is how a service recovers from a caught error
    with pytest.raises(Conflict), transaction(registry_db):
        core.create_user(
            registry_db, username="plugin-dup", email="plugin-dup2@example.com", auth_provider=OIDC
        )
    assert core.get_user_by_username(registry_db, username="plugin-dup").email == (
        "plugin-dup@example.com"
    )
    # without one, the test's transaction is aborted, as the service's would be
    with pytest.raises(Conflict):
        core.create_user(
            registry_db, username="plugin-dup", email="plugin-dup3@example.com", auth_provider=OIDC
        )
    with pytest.raises(errors.InFailedSqlTransaction):
        registry_db.execute("SELECT 1")


def test_rolled_back_write(registry_admin_db: psycopg.Connection[Any]) -> None:
    assert registry_admin_db.execute(
        "SELECT to_regclass(%s)", (f"public.{_MARKER}",)
    ).fetchone() == (None,)
    registry_admin_db.execute(f"CREATE TABLE public.{_MARKER} (id int)")
    core.create_user(
        registry_admin_db, username="plugin-rb", email="plugin-rb@example.com", auth_provider=OIDC
    )


def test_rolled_back_write_is_gone(registry_admin_db: psycopg.Connection[Any]) -> None:
    # runs after test_rolled_back_write (file order), in the same work database
    assert registry_admin_db.execute(
        "SELECT to_regclass(%s)", (f"public.{_MARKER}",)
    ).fetchone() == (None,)
    assert registry_admin_db.execute(
        "SELECT count(*) FROM core.users WHERE username = 'plugin-rb'"
    ).fetchone() == (0,)


async def test_registry_adb(registry_adb: psycopg.AsyncConnection[Any]) -> None:
    cur = await registry_adb.execute("SELECT current_user")
    assert await cur.fetchone() == ("registry_app_login",)
    with pytest.raises(psycopg.ProgrammingError, match="rolled back"):
        await registry_adb.commit()


def test_clone_and_pool_see_commits(
    registry_clone_url: str, registry_pool: Any, registry_server: RegistryTestServer
) -> None:
    assert registry_server.work_db is not None
    assert registry_server.work_db not in registry_clone_url
    with psycopg.connect(registry_clone_url) as c, transaction(c):
        core.create_user(
            c, username="plugin-pool", email="plugin-pool@example.com", auth_provider=OIDC
        )
    with registry_pool.connection() as pc:
        assert pc.info.user == "registry_app_login"
        assert core.get_user_by_username(pc, username="plugin-pool").username == "plugin-pool"


# --------------------------------------------------------------------------- as a service

_SERVICE_TESTS = """
import psycopg
import pytest

from registry_sql import core
from registry_sql.core import AuthProvider
from registry_sql.db import transaction

OIDC = AuthProvider.OIDC


def test_fast(registry_db):
    assert registry_db.execute("SELECT current_user").fetchone() == ("registry_app_login",)
    core.create_user(registry_db, username="svc", email="svc@example.com", auth_provider=OIDC)


def test_fast_again_sees_nothing(registry_db):
    assert registry_db.execute(
        "SELECT count(*) FROM core.users WHERE username = 'svc'"
    ).fetchone() == (0,)


async def test_async(registry_adb):
    cur = await registry_adb.execute("SELECT count(*) FROM core.users")
    assert (await cur.fetchone())[0] >= 0


def test_clone(registry_clone_url, registry_pool):
    with psycopg.connect(registry_clone_url) as c, transaction(c):
        core.create_user(c, username="svc2", email="svc2@example.com", auth_provider=OIDC)
    with registry_pool.connection() as pc:
        assert core.get_user_by_username(pc, username="svc2").username == "svc2"
"""


def _write_service(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_service=textwrap.dedent(_SERVICE_TESTS))
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )


def _databases(url: str) -> set[str]:
    with psycopg.connect(url) as c:
        return {r[0] for r in c.execute("SELECT datname FROM pg_database")}


def test_service_suite_on_database_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, server_url: str
) -> None:
    _write_service(pytester)
    before = _databases(server_url)
    monkeypatch.setenv("DATABASE_URL", server_url)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    # the template, the work database and the clones are dropped at the end
    assert _databases(server_url) == before


def test_service_suite_on_its_own_embedded_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_service(pytester)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_database_url_must_be_a_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_x="def test_x(registry_db):\n    pass\n")
    monkeypatch.setenv("DATABASE_URL", "mysql://nowhere/" + uuid.uuid4().hex)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*registry_sql.testing: cannot use DATABASE_URL's server*"])
