"""A FastAPI service on registry-sql: one pool for the process, one transaction per request.

- The pool lives in the app's lifespan: opened at start-up (where a privileged role is refused,
  see docs/runtime.md "The service's role"), closed at shutdown.
- A ``yield`` dependency opens ``atransaction(pool, org_id=...)`` with the tenant from the
  ``X-Org-Id`` header: every query of the request runs in that transaction under row-level
  security; it commits when the endpoint returns and rolls back when it raises. With
  ``scope="function"`` the commit happens before the response is sent, so a failed commit is an
  error response, never a 2xx for lost writes.
- registry-sql errors become HTTP statuses in one place: NotFound → 404, Conflict → 409,
  InvalidInput / ForeignKeyMissing → 422, Forbidden → 403, retryable errors → 503.

Run it (``pip install 'registry-sql[fastapi]' uvicorn``)::

    DATABASE_URL=postgresql://model_registry_api:...@db/registry uvicorn examples.fastapi_app:app

``tests/integration/test_fastapi_example.py`` drives it through FastAPI's TestClient against a
real database.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import psycopg
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from registry_sql import db
from registry_sql.errors import (
    Conflict,
    Forbidden,
    ForeignKeyMissing,
    InvalidInput,
    NotFound,
    RegistrySqlError,
)
from registry_sql.mlops import ProjectRow
from registry_sql.mlops import aio as mlops
from registry_sql.settings import Settings

_STATUS: tuple[tuple[type[RegistrySqlError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (ForeignKeyMissing, 422),
    (Forbidden, 403),
)


class NewProject(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str


async def tenant_transaction(
    request: Request, x_org_id: Annotated[UUID, Header()]
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """One transaction per request, as the tenant named by the ``X-Org-Id`` header."""
    async with db.atransaction(request.app.state.pool, org_id=x_org_id) as conn:
        yield conn


#: The request's connection, inside its transaction (committed before the response is sent).
Conn = Annotated[psycopg.AsyncConnection[Any], Depends(tenant_transaction, scope="function")]


def create_app(settings: Settings | str | None = None) -> FastAPI:
    """The application; ``settings`` default to the environment (``DATABASE_URL``, ...)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with db.create_async_pool(settings) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(title="registry-sql example", lifespan=lifespan)

    @app.exception_handler(RegistrySqlError)
    async def registry_error(request: Request, exc: RegistrySqlError) -> JSONResponse:
        status = 503 if exc.retryable else 500
        for cls, code in _STATUS:
            if isinstance(exc, cls):
                status = code
                break
        body: dict[str, Any] = {"error": type(exc).__name__, "field": exc.field}
        # Server errors keep their details in the logs, not in the response.
        body["detail"] = str(exc) if status < 500 else "database error; try again later"
        return JSONResponse(body, status_code=status)

    @app.get("/projects")
    async def list_projects(
        conn: Conn, x_org_id: Annotated[UUID, Header()], limit: int = 50
    ) -> list[ProjectRow]:
        return await mlops.list_projects(conn, organization_id=x_org_id, limit=limit)

    @app.get("/projects/{project_id}")
    async def get_project(
        conn: Conn, x_org_id: Annotated[UUID, Header()], project_id: UUID
    ) -> ProjectRow:
        return await mlops.get_project_by_id(conn, organization_id=x_org_id, id=project_id)

    @app.post("/projects", status_code=201)
    async def create_project(
        conn: Conn, x_org_id: Annotated[UUID, Header()], new: NewProject
    ) -> ProjectRow:
        return await mlops.create_project(
            conn, organization_id=x_org_id, name=new.name, slug=new.slug
        )

    return app


def __getattr__(name: str) -> Any:
    # `uvicorn examples.fastapi_app:app`: built on first access, so importing this module (the
    # tests do) reads no environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
