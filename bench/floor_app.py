"""The HTTP-stack floor for ``make bench``.

One Starlette route, ``POST /oauth2/token``, answering a fixed token-shaped JSON body with the
token endpoint's headers. Served by uvicorn with the same options as ``tokensmith serve``, it
measures what the stack alone costs per request, so the token endpoint's own work is the
difference between the two rows. It reads no body, checks nothing, touches no database and
signs nothing.
"""

from __future__ import annotations

import base64
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token_shaped_body() -> bytes:
    """A response as long as a real one: an ES256 JWT has a ~64-byte signature."""
    header = _b64(json.dumps({"alg": "ES256", "typ": "at+jwt", "kid": "floor"}).encode())
    claims = _b64(json.dumps({"iss": "http://127.0.0.1", "sub": "x" * 26, "scope": "api/access"}).encode())
    token = f"{header}.{claims}.{_b64(bytes(64))}"
    body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "api/access"}
    return json.dumps(body, separators=(",", ":")).encode()


_BODY = _token_shaped_body()
_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def token(request: Request) -> Response:
    return Response(_BODY, media_type="application/json", headers=_HEADERS)


app = Starlette(routes=[Route("/oauth2/token", token, methods=["POST"])])
