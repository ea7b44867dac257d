"""FastAPI dependencies over :mod:`tokensmith.verify.starlette`.

::

    app = FastAPI()
    install(app, Verifier(ISSUER, AUDIENCE))

    @app.get("/api/projects")
    async def projects(principal: Annotated[Principal, Depends(require_scopes("project:read"))]): ...

The dependency also declares an HTTP bearer security scheme, so the OpenAPI document shows it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tokensmith.verify.principal import Principal
from tokensmith.verify.starlette import authenticate, install

__all__ = ["bearer_scheme", "install", "require_scopes"]

#: Documents the scheme in OpenAPI; the checks themselves are :func:`authenticate`'s.
bearer_scheme = HTTPBearer(auto_error=False, description="A Tokensmith access token (RFC 6750 §2.1).")


def require_scopes(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency returning the caller's :class:`Principal` when its token carries all ``scopes``."""

    async def dependency(
        request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
    ) -> Principal:
        return await authenticate(request, scopes)

    return dependency
