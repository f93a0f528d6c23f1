"""The Citus suite (``REGISTRY_SQL_CITUS_URL``, the coordinator; skipped, with the reason, when
unset). The cluster needs ``citus.propagate_set_commands = 'local'`` (docs/scale-out.md).

The migrations go up, down and up on the coordinator; `registry-sql distribute` makes core
reference tables and distributes the tenant tables by organization_id; then every query runs
as the service's login role with a tenant set, and tenant isolation holds on the workers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from engine_support import (
    citus_url,  # noqa: F401 (a fixture)
    execute_problems,
    fresh_database,
    prepare_problems,
)

from registry_sql import core, db, mlops, roles
from registry_sql.demo import run_demo
from registry_sql.distribute import distribute
from registry_sql.errors import ConfigError, Forbidden, InvalidInput
from registry_sql.seeds import seed_all

pytestmark = pytest.mark.citus

LOGIN_ROLE = "registry_engine_test_app"


def _as_login(url: str, role: str) -> str:
    """``url`` with ``role`` as the user and no password (the test cluster trusts its socket)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


@pytest.fixture(scope="module")
def cluster(citus_url: str) -> Iterator[str]:  # noqa: F811 (the imported fixture)
    with db.connect(citus_url, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('citus.propagate_set_commands')").fetchone()
    assert row is not None and row[0] == "local", (
        "the Citus cluster must set citus.propagate_set_commands = 'local' (docs/scale-out.md)"
    )
    for url in fresh_database(citus_url):
        first = distribute(url)
        again = distribute(url)
        assert first.done and not again.done, "distribute is not idempotent"
        names = sorted(line.split(":")[0] for line in first.done)
        assert sorted(line.split(":")[0] for line in again.already) == names
        with db.connect(url, autocommit=True) as conn:
            roles.create_login_role(conn, LOGIN_ROLE)
            seed_all(conn, size=20)
        yield url


def test_distribution(cluster: str) -> None:
    with db.connect(cluster, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT logicalrelid::regclass::text, partmethod::text, "
            "       column_to_column_name(logicalrelid, partkey), colocationid "
            "FROM pg_dist_partition "
            "WHERE NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = logicalrelid)"
        ).fetchall()
        workers = conn.execute(
            "SELECT count(*) FROM pg_dist_node WHERE shouldhaveshards AND isactive"
        ).fetchone()
    by_name = {name: (method, column, group) for name, method, column, group in rows}
    assert by_name["core.users"][0] == "n"  # reference table
    assert by_name["core.audit_log"][:2] == ("h", "id")
    tenant = {n: v for n, v in by_name.items() if n.startswith("mlops.")}
    assert len(tenant) == 14
    assert {column for _, column, _ in tenant.values()} == {"organization_id"}
    assert len({group for _, _, group in tenant.values()}) == 1  # colocated
    # no tenant column: they stay on the coordinator
    assert not any(n.startswith(("model_registry.", "splunk_ta.")) for n in by_name)
    assert workers is not None and workers[0] >= 2


def test_distribute_refuses_a_worker(cluster: str) -> None:
    with db.connect(cluster, autocommit=True) as conn:
        row = conn.execute(
            "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 LIMIT 1"
        ).fetchone()
    assert row is not None
    host, port = row
    parts = urlsplit(cluster)
    worker = urlunsplit(parts._replace(query=f"host={host}&port={port}"))
    with pytest.raises(ConfigError, match="not the coordinator"):
        distribute(worker)


def test_every_query_prepares_as_the_login_role(cluster: str) -> None:
    with db.connect(_as_login(cluster, LOGIN_ROLE)) as conn:
        assert prepare_problems(conn) == []


def test_every_query_plans_and_runs_with_a_tenant(cluster: str) -> None:
    with db.connect(cluster) as conn:
        acme = core.get_organization_by_slug(conn, slug="acme-ml")
        conn.rollback()
    with db.connect(_as_login(cluster, LOGIN_ROLE)) as conn:
        assert execute_problems(conn, acme.id) == []


def test_tenant_isolation_through_the_pool(cluster: str) -> None:
    with db.connect(cluster) as conn:
        acme = core.get_organization_by_slug(conn, slug="acme-ml")
        globex = core.get_organization_by_slug(conn, slug="globex")
        expected = {
            org.id: {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM mlops.projects WHERE organization_id = %s", (org.id,)
                ).fetchall()
            }
            for org in (acme, globex)
        }
        conn.rollback()
    assert expected[acme.id] and expected[globex.id]
    pool = db.create_pool(_as_login(cluster, LOGIN_ROLE))
    with pool:
        for org in (acme, globex):
            with db.transaction(pool, org_id=org.id) as conn:
                seen = {p.id for p in mlops.list_projects(conn, organization_id=org.id, limit=100)}
                # a query without the tenant column fans out to every shard: RLS filters there
                everything = {
                    r[0] for r in conn.execute("SELECT id FROM mlops.projects").fetchall()
                }
            assert seen == expected[org.id]
            assert everything == expected[org.id]
        with db.transaction(pool) as conn:  # no tenant: no rows, on every worker
            assert conn.execute("SELECT count(*) FROM mlops.projects").fetchone() == (0,)
        # a cross-tenant write is refused on the worker that holds globex's shard
        with pytest.raises(Forbidden) as refused, db.transaction(pool, org_id=acme.id) as conn:
            mlops.create_project(
                conn, organization_id=globex.id, name="intruder", slug=f"x-{uuid.uuid4().hex[:6]}"
            )
        cause = refused.value.__cause__
        assert isinstance(cause, psycopg.Error)
        assert "while executing command on" in (cause.diag.context or "")
    with db.connect(cluster) as conn:
        n = conn.execute("SELECT count(*) FROM mlops.projects WHERE name = 'intruder'").fetchone()
    assert n == (0,)


def test_the_demo_runs_on_the_coordinator(cluster: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(cluster) == 0
    assert "Tour complete." in capsys.readouterr().out


def test_errors_name_the_constraint_and_table_not_the_shard(cluster: str) -> None:
    """Citus relays a worker's error without schema/table/constraint fields and names the shard
    (projects_102008): the translation takes them from the message."""
    with db.connect(cluster) as conn:
        acme = core.get_organization_by_slug(conn, slug="acme-ml")
        conn.rollback()
    with db.connect(_as_login(cluster, LOGIN_ROLE)) as conn:
        with pytest.raises(InvalidInput) as bad, db.transaction(conn, org_id=acme.id):
            mlops.create_project(conn, organization_id=acme.id, name="", slug="empty-name")
    assert bad.value.constraint == "ck_projects__name_length"
    assert "mlops.projects:" in str(bad.value)
    assert "projects_1" not in str(bad.value)
