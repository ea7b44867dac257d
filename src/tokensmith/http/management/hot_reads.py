"""The management API's hot reads, answered before FastAPI's routing.

``GET /api/me`` and the first page of ``GET /api/tokens`` are what scripts, CI jobs and
dashboards poll with a personal token. Authenticated from the lookup cache, their own work is a
few dozen microseconds; FastAPI's middleware, router, dependency solving and response-model
validation cost several times that. So, like the OAuth POST endpoints, these two are also served
from the top of the application (:class:`~tokensmith.http.app.TokensmithApp`), but only in their
plainest form: a token in the ``Authorization`` header, no query string, no cookie, no body.
Anything else — a page cursor, a dashboard session, a token in the URL — goes through FastAPI as
usual.

Nothing is written twice: the answer comes from the very route function FastAPI calls, after the
same :func:`~tokensmith.http.management.auth.resolve_actor`, serialised from the same response
model, and every error is rendered by the one renderer (:mod:`tokensmith.http.errors`). A test
compares both paths byte for byte.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from tokensmith.core.actors import Actor
from tokensmith.http.errors import handle_tokensmith_error
from tokensmith.http.management import me, tokens
from tokensmith.http.management.auth import resolve_actor, services_of
from tokensmith.http.management.pagination import DEFAULT_LIMIT, PageParams
from tokensmith.services.container import Services
from tokensmith.web.blocking import call_blocking

Read = Callable[[Actor, Services], Awaitable[BaseModel]]


async def _first_page_of_tokens(actor: Actor, services: Services) -> BaseModel:
    return await tokens.list_tokens(actor, services, PageParams(limit=DEFAULT_LIMIT, cursor=None))


#: path → the read it answers with (the route's own function, with its parameters' defaults).
READS: dict[str, Read] = {"/api/me": me.me, "/api/tokens": _first_page_of_tokens}


def is_plain(scope: Scope) -> bool:
    """A GET with a bearer ``Authorization`` header and no query string, cookie or body (an
    empty body declared as ``Content-Length: 0``, as some clients send, is no body)."""
    if scope["query_string"]:
        return False
    bearer = False
    for name, value in scope["headers"]:
        if name in (b"cookie", b"transfer-encoding") or (name == b"content-length" and value.strip() != b"0"):
            return False
        if name == b"authorization":
            bearer = value[:7].lower() == b"bearer "
    return bearer


async def answer(request: Request, read: Read) -> Response:
    services = services_of(request)
    try:
        actor = await call_blocking(services.database, resolve_actor, request)
        result = await read(actor, services)
    except Exception as exc:  # noqa: BLE001 - every error goes to the one renderer
        return await handle_tokensmith_error(request, exc)
    return JSONResponse(result.model_dump(mode="json"))
