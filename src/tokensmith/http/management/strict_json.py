"""JSON request bodies of the management API are read strictly: a member repeated in any object is
refused with 400 ``invalid_request``.

RFC 8259 §4 leaves repeated names undefined ("the names within an object SHOULD be unique") and
parsers disagree on which value wins, so a body a proxy or WAF read one way could reach us meaning
another (``"scopes"`` twice). Rather than pick a winner, the request is refused before FastAPI
parses it. Anything else malformed is left to FastAPI's own validation (400 ``validation_failed``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from tokensmith.core.errors import BadRequest

__all__ = ["StrictJSONRoute", "check_unique_members"]

_JSON_MEDIA_TYPES = ("application/json", "+json")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            raise BadRequest(f"the member {name[:100]!r} is repeated", code="invalid_request")
        members[name] = value
    return members


def check_unique_members(body: bytes) -> None:
    """Raise 400 ``invalid_request`` if any JSON object in ``body`` repeats a member name.

    A body that is not JSON at all is not this function's business (FastAPI reports it).
    """
    try:
        json.loads(body, object_pairs_hook=_unique)
    except BadRequest:
        raise
    except (ValueError, RecursionError):
        return


class StrictJSONRoute(APIRoute):
    """An :class:`~fastapi.routing.APIRoute` whose JSON bodies may not repeat a member."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media_type.endswith(_JSON_MEDIA_TYPES):
                body = await request.body()  # cached: the handler below reads the same bytes
                if body:
                    check_unique_members(body)
            return await handler(request)

        return strict_handler
