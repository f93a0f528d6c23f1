"""The hostile review of issue 19, replayed: each attack, as the role that tried it, now fails.

Attacker logins are created here: a member of ``registry_owner`` that owns nothing, a member of
``registry_readonly``, a login in no group; the application login is the harness's
``registry_app_login``; the owner login and the superuser are the harness's superuser.
Finding numbers refer to issue 19 (and "20.5" to issue 20, point 5).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from mlops_support import Conn, Tenant, make_tenant
from psycopg import errors as pge
from psycopg import sql

from registry_sql import cli, core, migrate
from registry_sql.core import Application, AuditAction, AuthProvider
from registry_sql.db import transaction
from registry_sql.errors import Forbidden

OWNER_MEMBER = "attacker_owner_member"  # member of registry_owner, owns nothing
READER = "attacker_reader"  # member of registry_readonly
OUTSIDER = "attacker_outsider"  # in no group
FULL_INSERT = "attacker_full_insert"  # holds INSERT on every audit column, as the owner login


def _ensure_login(server_url: str, name: str, group: str | None) -> None:
    with psycopg.connect(server_url, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
            try:
                c.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS INHERIT").format(
                        sql.Identifier(name)
                    )
                )
            except pge.DuplicateObject:  # created concurrently by another worker
                pass
        if group is not None:
            c.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(name)))


def _connect_as(pg_server: Any, db_url: str, name: str, group: str | None) -> Conn:
    _ensure_login(pg_server.url("postgres"), name, group)
    dbname = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
    return psycopg.connect(pg_server.url(str(dbname), user=name), autocommit=True)


@pytest.fixture
def owner_member(pg_server: Any, migrated_url: str) -> Iterator[Conn]:
    with _connect_as(pg_server, migrated_url, OWNER_MEMBER, "registry_owner") as c:
        yield c


@pytest.fixture
def reader(pg_server: Any, migrated_url: str) -> Iterator[Conn]:
    with _connect_as(pg_server, migrated_url, READER, "registry_readonly") as c:
        yield c


@pytest.fixture
def tenants(conn: Conn) -> tuple[Tenant, Tenant]:
    return make_tenant(conn, "tenant-a"), make_tenant(conn, "tenant-b")


def _audit_partition(conn: Conn) -> str:
    row = conn.execute(
        "SELECT 'audit_log_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')"
    ).fetchone()
    assert row is not None
    return str(row[0])


# -------------------------------------------------------------------------------- finding 1


@pytest.mark.parametrize(
    "statement",
    [
        # the trigger that copied another tenant's project rows into the attacker's table
        "CREATE TRIGGER trg_steal BEFORE UPDATE ON mlops.projects FOR EACH ROW "
        "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        # the invoker trigger that fired during routine owner DML
        "CREATE TRIGGER trg_steal BEFORE UPDATE ON core.organizations FOR EACH ROW "
        "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        "CREATE TABLE mlops.loot (row_data text)",
        "CREATE TABLE core.loot (row_data text)",
        "CREATE FUNCTION core.loot() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "TRUNCATE mlops.projects",
        "TRUNCATE core.organizations",
        "ALTER TABLE mlops.projects DISABLE ROW LEVEL SECURITY",
    ],
)
def test_1_owner_group_member_cannot_plant_triggers_objects_or_truncate(
    owner_member: Conn, statement: str
) -> None:
    with pytest.raises((pge.InsufficientPrivilege, pge.UndefinedFunction)) as info:
        owner_member.execute(statement)
    assert info.value.sqlstate in ("42501",), statement


def test_1_owner_group_member_still_does_dml_under_row_level_security(
    owner_member: Conn, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    assert owner_member.execute("SELECT count(*) FROM mlops.projects").fetchone() == (0,)
    with owner_member.transaction():
        owner_member.execute("SELECT set_config('app.org_id', %s, true)", (str(a.org_id),))
        rows = owner_member.execute("SELECT organization_id FROM mlops.projects").fetchall()
    assert rows == [(a.org_id,)]


# -------------------------------------------------------------------------------- finding 2


def test_2_audit_retention_cannot_be_shortened(conn: Conn, owner_member: Conn) -> None:
    shorten = (
        "UPDATE core.partitioned_tables SET retention = '1 microsecond'"
        " WHERE parent = 'core.audit_log'::regclass"
    )
    # the attack, as a member of registry_owner: no DML on the registry any more
    with pytest.raises(pge.InsufficientPrivilege):
        owner_member.execute(shorten)
    # the owner login (and a superuser): the CHECK
    with pytest.raises(pge.CheckViolation) as info:
        conn.execute(shorten)
    assert info.value.diag.constraint_name == "ck_partitioned_tables__audit_retention_floor"
    conn.execute(
        "UPDATE core.partitioned_tables SET retention = core.audit_retention_floor()"
        " WHERE parent = 'core.audit_log'::regclass"
    )  # the floor itself is accepted

    for i in range(3):
        core.create_audit_event(
            conn,
            application=Application.CORE,
            action=AuditAction.UPDATE,
            entity_type="retention",
            entity_id=str(i),
        )
    count = "SELECT count(*) FROM core.audit_log WHERE entity_type = 'retention'"
    assert conn.execute(count).fetchone() == (3,)

    # Someone with the right removes the CHECK: maintenance still keeps the floor.
    conn.execute(
        "ALTER TABLE core.partitioned_tables DROP CONSTRAINT"
        " ck_partitioned_tables__audit_retention_floor"
    )
    conn.execute(shorten)
    actions = conn.execute(
        "SELECT parent, action, partition_name FROM core.maintain_partitions(now() + %s::interval)",
        ("1 year",),
    ).fetchall()
    assert ("core.audit_log", "retention_floor_applied", None) in actions
    assert not [a for a in actions if a[0] == "core.audit_log" and a[1] == "dropped"]
    assert conn.execute(count).fetchone() == (3,)

    # Control: past the floor, the partition does go (the floor is a floor, not a switch-off).
    actions = conn.execute(
        "SELECT parent, action, partition_name FROM core.maintain_partitions(now() + %s::interval)",
        ("8 years",),
    ).fetchall()
    assert ("core.audit_log", "dropped", _audit_partition(conn)) in actions
    assert conn.execute(count).fetchone() == (0,)


# -------------------------------------------------------------------------------- finding 4


def test_4_app_cannot_forge_audit_time_or_stamps(conn: Conn, app_conn: Conn) -> None:
    forged = [
        "INSERT INTO core.audit_log (occurred_at, application, action, entity_type)"
        " VALUES ('2019-01-01', 'core', 'update', 'forged')",
        "INSERT INTO core.audit_log (occurred_at, application, action, entity_type)"
        " VALUES (now() + interval '5 months', 'core', 'update', 'forged')",
        "INSERT INTO core.audit_log (db_user, application, action, entity_type)"
        " VALUES ('somebody_else', 'core', 'update', 'forged')",
        "INSERT INTO core.audit_log (id, application, action, entity_type)"
        " VALUES (gen_random_uuid(), 'core', 'update', 'forged')",
    ]
    for statement in forged:
        with pytest.raises(pge.InsufficientPrivilege):
            app_conn.execute(statement)
    assert conn.execute(
        "SELECT count(*) FROM core.audit_log WHERE entity_type = 'forged'"
    ).fetchone() == (0,)
    # the future row no longer makes maintenance skip a month
    actions = conn.execute("SELECT action FROM core.maintain_partitions()").fetchall()
    assert ("skipped_default_has_rows",) not in actions

    # What the service states is recorded as claims, next to the database's facts.
    with transaction(app_conn):
        created = core.create_audit_event(
            app_conn,
            application=Application.CORE,
            action=AuditAction.UPDATE,
            entity_type="claims",
            actor_username="someone-else",
            actor_user_id=uuid.uuid4(),
        )
        txid = app_conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
        now = app_conn.execute("SELECT now()").fetchone()
    row = core.get_audit_event(app_conn, id=created.id, occurred_at=created.occurred_at)
    assert row.actor_username == "someone-else"
    assert (row.db_user, row.db_role) == ("registry_app_login", "registry_app_login")
    assert txid is not None and row.db_txid == txid[0]
    assert now is not None and row.occurred_at >= now[0]  # statement_timestamp(), set by the server


def test_4_a_role_with_insert_on_every_column_is_stopped_by_the_trigger(
    pg_server: Any, migrated_url: str, conn: Conn
) -> None:
    """The owner login holds INSERT on every column; the trigger, not privileges, binds it."""
    with _connect_as(pg_server, migrated_url, FULL_INSERT, "registry_owner") as full:
        conn.execute(
            sql.SQL("GRANT INSERT ON core.audit_log TO {}").format(sql.Identifier(FULL_INSERT))
        )
        with pytest.raises(pge.InsufficientPrivilege, match="set by the database"):
            full.execute(
                "INSERT INTO core.audit_log (occurred_at, application, action, entity_type)"
                " VALUES ('2019-01-01', 'core', 'update', 'forged')"
            )
        full.execute(
            "INSERT INTO core.audit_log (db_user, db_role, db_txid, application, action,"
            " entity_type) VALUES ('x', 'y', 1, 'core', 'update', 'stamped')"
        )
    row = conn.execute(
        "SELECT db_user, db_role, db_txid <> 1 FROM core.audit_log WHERE entity_type = 'stamped'"
    ).fetchone()
    assert row == (FULL_INSERT, FULL_INSERT, True)


# -------------------------------------------------------------------------------- finding 5


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("core.users", "hashed_password"),
        ("core.api_keys", "key_hash"),
        ("core.auth_tokens", "token_hash"),
    ],
)
def test_5_readonly_cannot_read_credential_hashes(reader: Conn, table: str, column: str) -> None:
    for statement in (
        sql.SQL("SELECT {} FROM {}").format(
            sql.Identifier(column), sql.Identifier(*table.split("."))
        ),
        sql.SQL("SELECT * FROM {}").format(sql.Identifier(*table.split("."))),
    ):
        with pytest.raises(pge.InsufficientPrivilege):
            reader.execute(statement)
    reader.execute(sql.SQL("SELECT id FROM {}").format(sql.Identifier(*table.split("."))))


# -------------------------------------------------------------------------------- finding 9


def test_9_owner_group_member_cannot_read_partitions_around_rls(
    conn: Conn, owner_member: Conn, tenants: tuple[Tenant, Tenant]
) -> None:
    partitions = [
        r[0]
        for r in conn.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits"
            " WHERE inhparent IN ('mlops.run_metrics'::regclass,"
            " 'mlops.model_monitoring'::regclass, 'core.audit_log'::regclass)"
        ).fetchall()
    ]
    assert "mlops.run_metrics_default" in partitions
    assert conn.execute("SELECT count(*) FROM mlops.run_metrics").fetchone() == (2,)
    for part in partitions:
        with pytest.raises(pge.InsufficientPrivilege):
            owner_member.execute(
                sql.SQL("SELECT * FROM {}").format(sql.Identifier(*part.split(".")))
            )
    # through the parent, row-level security applies: no tenant, no rows
    assert owner_member.execute("SELECT count(*) FROM mlops.run_metrics").fetchone() == (0,)


# -------------------------------------------------------------------------------- finding 10


@pytest.mark.clone  # a real transaction begun by the test (not the fixture's rolled-back one)
def test_10_a_token_expires_inside_a_transaction_begun_before(app_conn: Conn) -> None:
    with transaction(app_conn):
        user = core.create_user(
            app_conn, username="expiring", email="e@example.com", auth_provider=AuthProvider.OIDC
        )
    with transaction(app_conn):
        begun = app_conn.execute("SELECT now()").fetchone()
        assert begun is not None
        core.issue_token(
            app_conn,
            user_id=user.id,
            application=Application.CORE,
            jti="short-lived",
            issued_at=begun[0],
            expires_at=begun[0] + timedelta(milliseconds=300),
        )
        assert core.find_active_token_by_jti(app_conn, jti="short-lived") is not None
        app_conn.execute("SELECT pg_sleep(0.4)")  # the token expires; now() does not move
        assert core.find_active_token_by_jti(app_conn, jti="short-lived") is None
        assert core.increment_token_usage(app_conn, jti="short-lived") == 0
        assert core.list_active_user_tokens(app_conn, user_id=user.id) == []
        assert core.revoke_user_tokens(app_conn, user_id=user.id, reason="x") == 0
    token = core.get_token_by_jti(app_conn, jti="short-lived")
    assert token.usage_count == 0


# -------------------------------------------------------------------------------- finding 11


def test_11_replica_mode_does_not_silence_audit_immutability(conn: Conn) -> None:
    created = core.create_audit_event(
        conn, application=Application.CORE, action=AuditAction.UPDATE, entity_type="replica"
    )
    part = _audit_partition(conn)
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for statement in (
            "UPDATE core.audit_log SET entity_id = 'x' WHERE entity_type = 'replica'",
            "DELETE FROM core.audit_log WHERE entity_type = 'replica'",
            sql.SQL("UPDATE core.{} SET entity_id = 'x' WHERE entity_type = 'replica'").format(
                sql.Identifier(part)
            ),
            sql.SQL("TRUNCATE core.{}").format(sql.Identifier(part)),
            "TRUNCATE core.audit_log_default",
            "TRUNCATE core.audit_log",
        ):
            with pytest.raises(psycopg.DatabaseError) as info, conn.transaction():
                conn.execute(statement)
            assert info.value.sqlstate == "RS001", repr(statement)
    row = core.get_audit_event(conn, id=created.id, occurred_at=created.occurred_at)
    assert row.entity_id is None


def test_11_audit_log_reads_are_tenant_scoped(
    conn: Conn, app_conn: Conn, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    for org in (a.org_id, b.org_id, None):
        with transaction(app_conn, org_id=org):
            core.create_audit_event(
                app_conn,
                application=Application.MLOPS,
                action=AuditAction.UPDATE,
                entity_type="tenant-scope",
                entity_id=str(org),
            )

    def seen(org: uuid.UUID | None) -> set[str | None]:
        with transaction(app_conn, org_id=org):
            rows = core.search_audit_events(app_conn, entity_type="tenant-scope", limit=10)
        return {r.entity_id for r in rows}

    assert seen(None) == {"None"}  # no tenant: platform events only
    assert seen(a.org_id) == {str(a.org_id)}
    assert seen(b.org_id) == {str(b.org_id)}
    with transaction(app_conn, org_id=a.org_id):
        assert (
            core.search_audit_events(
                app_conn, organization_id=b.org_id, entity_type="tenant-scope", limit=10
            )
            == []
        )
    # writing an event into another tenant's trail is refused
    with pytest.raises(Forbidden), transaction(app_conn, org_id=a.org_id):
        core.create_audit_event(
            app_conn,
            application=Application.MLOPS,
            organization_id=b.org_id,
            action=AuditAction.UPDATE,
            entity_type="tenant-scope",
        )


def test_11_readonly_is_the_documented_platform_wide_reader(
    reader: Conn, tenants: tuple[Tenant, Tenant]
) -> None:
    """Reclassified (docs/security.md): a reader could always pick any tenant through
    app.org_id; it is now explicitly the platform-wide reader, with no credential hashes."""
    a, b = tenants
    orgs = {r[0] for r in reader.execute("SELECT organization_id FROM mlops.projects").fetchall()}
    assert orgs == {a.org_id, b.org_id}
    rows = reader.execute("SELECT count(*) FROM core.audit_log").fetchone()
    assert rows is not None
    with pytest.raises(pge.InsufficientPrivilege):
        reader.execute("UPDATE mlops.projects SET name = name")


def test_11_public_cannot_connect_and_nobody_creates_temporary_tables(
    pg_server: Any, empty_url: str
) -> None:
    migrate.apply(empty_url)  # database privileges exist only where the migration ran
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _connect_as(pg_server, empty_url, OUTSIDER, None).close()
    with _connect_as(pg_server, empty_url, "registry_app_login", "registry_app") as app:
        with pytest.raises(pge.InsufficientPrivilege):
            app.execute("CREATE TEMPORARY TABLE loot (x text)")
        assert app.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core.roles SET name = 'pwned' WHERE is_system",
        "DELETE FROM core.roles WHERE is_system",
        "DELETE FROM core.permissions",
        "UPDATE core.permissions SET description = 'x'",
        "DELETE FROM core.role_permissions",
        "INSERT INTO core.role_permissions (role_id, permission_id)"
        " SELECT r.id, p.id FROM core.roles r, core.permissions p LIMIT 1",
    ],
)
def test_11_app_cannot_rename_system_roles_or_change_permissions(
    app_conn: Conn, statement: str
) -> None:
    with pytest.raises(pge.InsufficientPrivilege):
        app_conn.execute(statement)


def test_11_app_still_creates_roles(app_conn: Conn) -> None:
    with transaction(app_conn):
        created = core.ensure_roles(app_conn, application=Application.MLOPS, names=["auditor_i19"])
    assert created == 1


# -------------------------------------------------------------------------------- issue 20.5


def test_20_5_maintenance_finds_partitions_moved_to_an_archive_schema(
    conn: Conn, migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    part = _audit_partition(conn)
    conn.execute("CREATE SCHEMA archive")
    conn.execute(sql.SQL("ALTER TABLE core.{} SET SCHEMA archive").format(sql.Identifier(part)))
    monitoring = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'mlops.model_monitoring'::regclass"
        " AND c.oid <> (SELECT partdefid FROM pg_partitioned_table"
        "               WHERE partrelid = 'mlops.model_monitoring'::regclass)"
        " ORDER BY 1 LIMIT 1"
    ).fetchone()
    assert monitoring is not None
    conn.execute(
        sql.SQL("ALTER TABLE mlops.{} SET SCHEMA archive").format(sql.Identifier(monitoring[0]))
    )
    # a DBA's grant and a missing TRUNCATE trigger on the archived audit partition
    archived = sql.Identifier("archive", part)
    conn.execute(sql.SQL("GRANT SELECT ON {} TO registry_owner").format(archived))
    conn.execute(sql.SQL("DROP TRIGGER trg_audit_log__no_truncate ON {}").format(archived))

    actions = conn.execute(
        "SELECT parent, action, partition_name FROM core.maintain_partitions()"
    ).fetchall()
    assert ("core.audit_log", "trigger_added", part) in actions
    assert ("core.audit_log", "trigger_state_synced", part) in actions
    assert ("core.audit_log", "privileges_revoked", part) in actions
    assert not [a for a in actions if a[1] in ("created", "skipped_name_taken")], actions
    with pytest.raises(psycopg.DatabaseError, match="TRUNCATE is not allowed"), conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(sql.SQL("TRUNCATE archive.{}").format(sql.Identifier(part)))

    # `registry-sql maintain` runs clean, and retention drops the archived monitoring partition
    assert cli.main(["maintain", "--database-url", migrated_url]) == 0
    assert "Traceback" not in capsys.readouterr().err
    actions = conn.execute(
        "SELECT parent, action, partition_name FROM core.maintain_partitions(now() + %s::interval)",
        ("3 years",),
    ).fetchall()
    assert ("mlops.model_monitoring", "dropped", monitoring[0]) in actions
    assert conn.execute("SELECT to_regclass(%s)", (f"archive.{monitoring[0]}",)).fetchone() == (
        None,
    )
