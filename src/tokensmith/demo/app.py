"""The demo resource API: what a platform's own API looks like with :mod:`tokensmith.verify`.

It knows nothing of the Tokensmith server; every request is checked by the
:class:`~tokensmith.verify.Verifier` it is given (RFC 9068 JWTs, or personal/opaque tokens through
RFC 7662 introspection), then by :mod:`tokensmith.demo.policy`.

===========================  =================  ============================================
route                        scope              notes
===========================  =================  ============================================
``GET /api/whoami``          (any valid token)  the Principal
``GET /api/projects``        project:read       also ``api/access``
``POST /api/projects``       project:write
``PATCH /api/projects/{id}`` project:write      404 across organisations; archive rule
``GET /api/voices``          voice:read         also ``api/access``
``GET /api/members``         members:read       also ``api/access``
``POST /api/members``        members:write      409 when the email is already a member
===========================  =================  ============================================
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tokensmith.demo import policy
from tokensmith.demo.store import DemoStore, Project
from tokensmith.verify import InsufficientScopeError, Principal, Verifier
from tokensmith.verify.fastapi import bearer_scheme, install
from tokensmith.verify.starlette import authenticate

__all__ = ["create_demo_app"]


class DemoError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class NewProject(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class ProjectChanges(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    archived: bool | None = None


class NewMember(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: Literal["member", "admin"] = "member"


def needs(scope: str | None) -> Callable[..., Awaitable[Principal]]:
    """A dependency: a verified caller of some organisation whose scopes cover ``scope``."""

    async def dependency(request: Request, _: Annotated[Any, Depends(bearer_scheme)]) -> Principal:
        principal = await authenticate(request)
        if scope is not None and not policy.allows(principal, scope):
            raise InsufficientScopeError([scope])
        if principal.organization_id is None:
            raise DemoError(403, "forbidden", "The token is not tied to an organisation.")
        return principal

    return dependency


def _project(project: Project) -> dict[str, Any]:
    return asdict(project)


def _principal(principal: Principal) -> dict[str, Any]:
    return {
        "subject": principal.subject,
        "subject_kind": principal.subject_kind,
        "organization_id": principal.organization_id,
        "client_id": principal.client_id,
        "scopes": sorted(principal.scopes),
        "token_id": principal.token_id,
        "expires_at": principal.expires_at.isoformat() if principal.expires_at else None,
    }


def create_demo_app(verifier: Verifier, *, store: DemoStore | None = None, realm: str = "demo") -> FastAPI:
    """The demo API guarded by ``verifier``; data lives in ``store`` (a fresh one by default)."""
    data = store or DemoStore()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await verifier.aclose()

    app = FastAPI(title="Tokensmith demo resource API", version="1", lifespan=lifespan)
    install(app, verifier, realm=realm)

    async def demo_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DemoError)
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description}, status_code=exc.status
        )

    app.add_exception_handler(DemoError, demo_error)

    def org_of(principal: Principal) -> str:
        assert principal.organization_id is not None
        return principal.organization_id

    @app.get("/api/whoami")
    async def whoami(principal: Annotated[Principal, Depends(needs(None))]) -> dict[str, Any]:
        return _principal(principal)

    @app.get("/api/projects")
    async def list_projects(
        principal: Annotated[Principal, Depends(needs("project:read"))],
    ) -> dict[str, Any]:
        projects = data.organization(org_of(principal)).projects.values()
        return {"items": [_project(p) for p in projects]}

    @app.post("/api/projects", status_code=201)
    async def create_project(
        body: NewProject, principal: Annotated[Principal, Depends(needs("project:write"))]
    ) -> dict[str, Any]:
        project = data.add_project(org_of(principal), body.name, body.description, principal.subject)
        return _project(project)

    @app.patch("/api/projects/{project_id}")
    async def change_project(
        project_id: str,
        body: ProjectChanges,
        principal: Annotated[Principal, Depends(needs("project:write"))],
    ) -> dict[str, Any]:
        project = data.organization(org_of(principal)).projects.get(project_id)
        if project is None:  # another organisation's project is indistinguishable from none
            raise DemoError(404, "not_found", "No such project.")
        if body.archived is not None and body.archived != project.archived:
            if not policy.may_archive(principal, project):
                raise DemoError(
                    403, "forbidden", "Only the project's creator or an organisation client may archive it."
                )
            project.archived = body.archived
        if body.name is not None:
            project.name = body.name
        if body.description is not None:
            project.description = body.description
        return _project(project)

    @app.get("/api/voices")
    async def list_voices(principal: Annotated[Principal, Depends(needs("voice:read"))]) -> dict[str, Any]:
        return {"items": [asdict(v) for v in data.organization(org_of(principal)).voices]}

    @app.get("/api/members")
    async def list_members(principal: Annotated[Principal, Depends(needs("members:read"))]) -> dict[str, Any]:
        return {"items": [asdict(m) for m in data.organization(org_of(principal)).members.values()]}

    @app.post("/api/members", status_code=201)
    async def add_member(
        body: NewMember, principal: Annotated[Principal, Depends(needs("members:write"))]
    ) -> dict[str, Any]:
        member = data.add_member(org_of(principal), body.email, body.role)
        if member is None:
            raise DemoError(409, "conflict", "That email is already a member.")
        return asdict(member)

    return app
