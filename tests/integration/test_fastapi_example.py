"""examples/fastapi_app.py through FastAPI's TestClient against a real database: two tenants,
404 from NotFound, 409 from Conflict, and a start-up refused for a privileged role."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from mlops_support import Tenant, make_tenant

from registry_sql import mlops
from registry_sql.db import transaction
from registry_sql.errors import ConfigError
from registry_sql.settings import Settings

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _h(t: Tenant) -> dict[str, str]:
    return {"X-Org-Id": str(t.org_id)}


def test_two_tenants_404_and_409(conn: psycopg.Connection[Any], app_url: str) -> None:
    a, b = make_tenant(conn, "api-a"), make_tenant(conn, "api-b")
    app = _example().create_app(Settings(database_url=app_url, min_size=1, max_size=2))
    with TestClient(app) as client:
        seen_a = client.get("/projects", headers=_h(a))
        assert seen_a.status_code == 200
        assert [p["id"] for p in seen_a.json()] == [str(a.project_id)]
        assert [p["id"] for p in client.get("/projects", headers=_h(b)).json()] == [
            str(b.project_id)
        ]
        # another tenant's project does not exist for you: 404 from NotFound
        other = client.get(f"/projects/{b.project_id}", headers=_h(a))
        assert other.status_code == 404 and other.json()["error"] == "NotFound"
        assert client.get(f"/projects/{uuid.uuid4()}", headers=_h(a)).status_code == 404
        assert client.get(f"/projects/{a.project_id}", headers=_h(a)).status_code == 200
        # created in one tenant, committed, invisible to the other
        made = client.post("/projects", headers=_h(a), json={"name": "New", "slug": "new"})
        assert made.status_code == 201 and made.json()["organization_id"] == str(a.org_id)
        assert client.get(f"/projects/{made.json()['id']}", headers=_h(a)).status_code == 200
        assert client.get(f"/projects/{made.json()['id']}", headers=_h(b)).status_code == 404
        # the same slug again: 409 from Conflict, naming the field
        again = client.post("/projects", headers=_h(a), json={"name": "Again", "slug": "new"})
        assert again.status_code == 409
        assert again.json()["error"] == "Conflict"
        assert again.json()["field"] == "organization_id, slug", again.json()
        assert "mlops.projects" in again.json()["detail"]
        # the same slug in the other tenant is fine
        assert (
            client.post("/projects", headers=_h(b), json={"name": "New", "slug": "new"}).status_code
            == 201
        )
        # no tenant header: rejected before any query
        assert client.get("/projects").status_code == 422
    with psycopg.connect(app_url) as c, transaction(c, org_id=a.org_id):
        assert len(mlops.list_projects(c, organization_id=a.org_id, limit=10)) == 2


def test_start_up_refuses_a_superuser(migrated_url: str) -> None:
    app = _example().create_app(Settings(database_url=migrated_url, min_size=1, max_size=1))
    with pytest.raises(ConfigError, match="superuser"), TestClient(app):
        pass
