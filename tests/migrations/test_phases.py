"""Deploy phases: `registry-sql migrate --phase pre|post` (registry_sql.phases)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from migration_support import MIGRATION_IDS, apply_through

from registry_sql import cli, migrate
from registry_sql.errors import InvalidInput, MigrationError, translate_error
from registry_sql.phases import is_marked_pre, phase_of, select_phase

POST_IDS = [m for m in MIGRATION_IDS if phase_of(m) == "post"]


@dataclass(frozen=True)
class _M:
    id: str


def _ids(selected: list[Any]) -> list[str]:
    return [m.id for m in selected]


def test_phase_selection_rules() -> None:
    pending = [_M("0001_core_a"), _M("0002_pre_core_b"), _M("0003_post_core_b"), _M("0004_core_c")]
    assert _ids(select_phase(pending, "pre")) == ["0001_core_a", "0002_pre_core_b"]
    with pytest.raises(MigrationError, match=r"run `registry-sql migrate --phase pre`"):
        select_phase(pending, "post")
    # after the pre phase: post runs the post migration only, not the next release's 0004
    assert _ids(select_phase(pending[2:], "post")) == ["0003_post_core_b"]
    assert _ids(select_phase(pending[3:], "post")) == []
    with pytest.raises(MigrationError, match="unknown phase"):
        select_phase(pending, "during")


def test_the_project_has_a_real_pre_post_pair() -> None:
    assert POST_IDS, "no NNNN_post_* migration in migrations/"
    assert any(m.split("_")[1] == "pre" for m in MIGRATION_IDS)


def test_migrate_pre_then_post(
    pg_version: int, empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first_post = MIGRATION_IDS.index(POST_IDS[0])
    assert cli.main(["migrate", "--phase", "pre", "--database-url", empty_url]) == 0
    applied = [
        line.split()[1]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("applied")
    ]
    assert applied == MIGRATION_IDS[:first_post]

    with psycopg.connect(empty_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT convalidated FROM pg_constraint "
            "WHERE conname = 'ck_deployments__running_has_deployed_at'"
        ).fetchone()
        assert row == (False,), "the pre phase adds the CHECK NOT VALID"

    assert migrate.apply(empty_url, phase="pre") == []  # the post migration blocks the pre phase
    assert migrate.apply(empty_url, phase="post") == POST_IDS
    assert migrate.apply(empty_url) == MIGRATION_IDS[first_post + len(POST_IDS) :]
    with psycopg.connect(empty_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT convalidated FROM pg_constraint "
            "WHERE conname = 'ck_deployments__running_has_deployed_at'"
        ).fetchone()
        assert row == (True,), "the post phase validates it"


def _running_deployment_without_deployed_at(conn: psycopg.Connection[Any]) -> tuple[Any, Any]:
    """A tenant's running deployment with deployed_at NULL (what 0038 forbids from then on)."""
    org = conn.execute(
        "INSERT INTO core.organizations (name, slug) VALUES ('Phase Org', 'phase-org') RETURNING id"
    ).fetchone()
    assert org is not None
    project = conn.execute(
        "INSERT INTO mlops.projects (organization_id, name, slug) VALUES (%s, 'p', 'p') "
        "RETURNING id",
        (org[0],),
    ).fetchone()
    assert project is not None
    model = conn.execute(
        "INSERT INTO mlops.models (organization_id, project_id, name) VALUES (%s, %s, 'm') "
        "RETURNING id",
        (org[0], project[0]),
    ).fetchone()
    assert model is not None
    version = conn.execute(
        "INSERT INTO mlops.model_versions (organization_id, model_id, version, artifact_uri) "
        "VALUES (%s, %s, 1, 's3://b/k') RETURNING id",
        (org[0], model[0]),
    ).fetchone()
    assert version is not None
    deployment = conn.execute(
        "INSERT INTO mlops.deployments (organization_id, project_id, model_version_id, "
        "name, environment, status) VALUES (%s, %s, %s, 'd', 'staging', 'running') "
        "RETURNING id, updated_at",
        (org[0], project[0], version[0]),
    ).fetchone()
    assert deployment is not None
    return deployment[0], deployment[1]


def test_the_pre_migration_backfills_deployed_at(pg_version: int, empty_url: str) -> None:
    # The expand half of the pair: the last NNNN_pre_ migration before the first post one
    # (not simply the first pre one: 0070_pre_... is applied before 0011 on a fresh install).
    first_pre = [m for m in MIGRATION_IDS[: MIGRATION_IDS.index(POST_IDS[0])] if is_marked_pre(m)][
        -1
    ]
    assert "deployed_at" in first_pre, first_pre
    apply_through(empty_url, MIGRATION_IDS[MIGRATION_IDS.index(first_pre) - 1])
    with psycopg.connect(empty_url, autocommit=True) as conn:
        deployment_id, updated_at = _running_deployment_without_deployed_at(conn)
    assert migrate.apply(empty_url, phase="pre")[-1] == first_pre
    assert migrate.apply(empty_url, phase="post") == POST_IDS
    with psycopg.connect(empty_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT deployed_at FROM mlops.deployments WHERE id = %s", (deployment_id,)
        ).fetchone()
    assert row == (updated_at,)


def test_the_check_is_enforced_with_a_clear_message(migrated_url: str) -> None:
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        org = conn.execute(
            "INSERT INTO core.organizations (name, slug) VALUES ('Phase Org', 'phase-org') "
            "RETURNING id"
        ).fetchone()
        assert org is not None
        conn.execute("SELECT set_config('app.org_id', %s, false)", (str(org[0]),))
        project = conn.execute(
            "INSERT INTO mlops.projects (organization_id, name, slug) "
            "VALUES (%s, 'p', 'p') RETURNING id",
            (org[0],),
        ).fetchone()
        model = conn.execute(
            "INSERT INTO mlops.models (organization_id, project_id, name) "
            "VALUES (%s, %s, 'm') RETURNING id",
            (org[0], project[0] if project else None),
        ).fetchone()
        assert project is not None and model is not None
        version = conn.execute(
            "INSERT INTO mlops.model_versions (organization_id, model_id, version, artifact_uri) "
            "VALUES (%s, %s, 1, 's3://b/k') RETURNING id",
            (org[0], model[0]),
        ).fetchone()
        assert version is not None
        with pytest.raises(psycopg.errors.CheckViolation) as caught:
            conn.execute(
                "INSERT INTO mlops.deployments (organization_id, project_id, model_version_id, "
                "name, environment, status) VALUES (%s, %s, %s, 'd', 'staging', 'running')",
                (org[0], project[0], version[0]),
            )
        error = translate_error(caught.value)
        assert isinstance(error, InvalidInput)
        # The sentence is the constraint's COMMENT in 0038_pre, registered by registry_sql.mlops.
        assert "deployed_at must be set while status is running" in str(error)
        assert error.field == "deployed_at"
