"""The MCP server over streamable HTTP at ``/mcp``, mounted on the Tokensmith app.

- Every request is authenticated on its own (``Authorization: Bearer``, RFC 6750 §2.1) by the same
  :class:`~tokensmith.services.authentication.BearerAuthenticator` as the management API: a personal
  access token, or a user's JWT access token. A JWT whose ``aud`` is not ``/mcp``'s own resource URI
  (RFC 8707; the MCP authorization specification's audience rule) is refused there with
  ``invalid_token`` (RFC 9068 §4), as is a client's token.
- Without a valid token the answer is ``401`` with ``WWW-Authenticate: Bearer resource_metadata="…"``
  (RFC 9728 §5.1), pointing at the protected-resource metadata served at
  ``/.well-known/oauth-protected-resource/mcp`` and ``/.well-known/oauth-protected-resource`` (§3).
- A token in the URL (``?access_token=…``, RFC 6750 §2.3) is refused with 400 ``invalid_request``.
- A ``tools/call`` for a tool whose scope (:data:`~tokensmith.mcp.tools.REQUIRED_SCOPES`) the token
  lacks is answered ``403`` with ``WWW-Authenticate: Bearer error="insufficient_scope",
  scope="…"`` (RFC 6750 §3.1; the MCP authorization spec's scope challenge), before the tool runs.
- The SDK's session manager runs stateless with JSON responses, so any process behind a load balancer
  can answer any request. Requests from a browser page of another origin are refused (403).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from tokensmith.core.actors import Actor, Transport
from tokensmith.core.errors import DPoPUnauthenticated, StorageUnavailable, TooManyRequests, Unauthenticated
from tokensmith.mcp.server import ACTOR_STATE_KEY, build_server, request_resolver
from tokensmith.mcp.tools import REQUIRED_SCOPES
from tokensmith.services.container import Services
from tokensmith.services.resources import MCP_PATH
from tokensmith.verify.dpop import DPOP_ALGORITHMS
from tokensmith.web.blocking import call_blocking
from tokensmith.web.client_ip import client_ip
from tokensmith.web.dpop_request import dpop_request

METADATA_PATH = "/.well-known/oauth-protected-resource"
TOKEN_IN_URL = "send the token in the Authorization header, never in the URL"


class McpEndpoint:
    """``/mcp`` and its RFC 9728 metadata; enter :meth:`running` in the app's lifespan."""

    def __init__(self, services: Services) -> None:
        self._services = services
        issuer = services.issuer.rstrip("/")
        parts = urlsplit(issuer)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        registered = services.resources.builtin("mcp")
        #: The protected resource's identifier (RFC 9728 §1.2): the MCP endpoint's URL, the built-in
        #: ``mcp`` resource of the registry (RFC 8707) — the only ``aud`` this endpoint accepts.
        self.resource = registered.uri
        #: RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
        self.metadata_url = f"{self.origin}{METADATA_PATH}{parts.path}{MCP_PATH}"
        self._metadata = {
            "resource": self.resource,
            "authorization_servers": [services.issuer],
            "scopes_supported": sorted(registered.scopes),
            "bearer_methods_supported": ["header"],
            "resource_name": "Tokensmith MCP server",
        }
        self.server = build_server(request_resolver(services), services.database)
        # Builds the SDK's session manager (and a Starlette app we do not use: we mount the manager here).
        self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            max_request_body_size=services.settings.max_body_bytes,
            # Host checks would break behind proxies; the Origin check below and the bearer token
            # (which a browser never sends on its own) are what stop DNS rebinding.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._manager = self.server.session_manager

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self._manager.run():
            yield

    def routes(self) -> list[BaseRoute]:
        return [
            Route(MCP_PATH, endpoint=self, methods=["GET", "POST", "DELETE"], include_in_schema=False),
            Route(METADATA_PATH + MCP_PATH, endpoint=self.metadata, methods=["GET"], include_in_schema=False),
            Route(METADATA_PATH, endpoint=self.metadata, methods=["GET"], include_in_schema=False),
        ]

    async def metadata(self, request: Request) -> Response:
        """RFC 9728 §3.2: the protected resource metadata."""
        return JSONResponse(
            self._metadata,
            headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") != self.origin:
            await JSONResponse({"error": "forbidden", "error_description": "cross-origin request"}, 403)(
                scope, receive, send
            )
            return
        if "access_token" in request.query_params:
            await JSONResponse(
                {"error": "invalid_request", "error_description": TOKEN_IN_URL},
                400,
                headers={"Cache-Control": "no-store"},
            )(scope, receive, send)
            return
        token = _bearer(request.headers.get("authorization"))
        if token is None:
            await self._unauthorized(None)(scope, receive, send)
            return
        scheme = request.headers.get("authorization", "").partition(" ")[0].lower()
        authenticate = partial(
            self._services.bearer.authenticate,
            token,
            dpop=dpop_request(request, self._services.issuer) if scheme == "dpop" else None,
            transport=Transport.MCP,
            ip=client_ip(
                request, self._services.settings.trust_forwarded_for, self._services.settings.forwarded_hops
            ),
        )
        try:
            actor = await call_blocking(self._services.database, authenticate)
        except DPoPUnauthenticated as exc:
            await self._dpop_unauthorized(exc)(scope, receive, send)
            return
        except Unauthenticated as exc:
            await self._unauthorized(exc.description)(scope, receive, send)
            return
        except TooManyRequests as exc:
            await JSONResponse(
                {"error": "rate_limited", "error_description": exc.description},
                429,
                headers={"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"},
            )(scope, receive, send)
            return
        except StorageUnavailable as exc:
            await JSONResponse(
                {
                    "error": "temporarily_unavailable",
                    "error_description": "storage is temporarily unavailable",
                },
                503,
                headers={"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"},
            )(scope, receive, send)
            return
        if request.method == "POST":
            body = await _read_all(receive, self._services.settings.max_body_bytes)
            if body is None:
                await JSONResponse(
                    {"error": "invalid_request", "error_description": "the request body is too large"},
                    413,
                    headers={"Cache-Control": "no-store"},
                )(scope, receive, send)
                return
            receive = _replay(body, receive)
            missing = _missing_scope(body, actor)
            if missing is not None:
                await self._insufficient_scope(missing)(scope, receive, send)
                return
        scope.setdefault("state", {})[ACTOR_STATE_KEY] = actor
        await self._manager.handle_request(scope, receive, send)

    def _insufficient_scope(self, needed: str) -> Response:
        """RFC 6750 §3.1: ``insufficient_scope`` with the ``scope`` the request needs (403)."""
        description = f"this tool needs the {needed} scope"
        challenge = (
            f'Bearer error="insufficient_scope", scope="{_quoted(needed)}", '
            f'resource_metadata="{self.metadata_url}", error_description="{_quoted(description)}"'
        )
        return JSONResponse(
            {"error": "insufficient_scope", "error_description": description},
            403,
            headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
        )

    def _dpop_unauthorized(self, exc: DPoPUnauthenticated) -> Response:
        """RFC 9449 §7.1 / §9: a DPoP-bound token with a bad or nonce-less proof."""
        challenge = (
            f'DPoP error="{exc.code}", error_description="{_quoted(exc.description)}", '
            f'algs="{" ".join(DPOP_ALGORITHMS)}", resource_metadata="{self.metadata_url}"'
        )
        headers = {"WWW-Authenticate": challenge, "Cache-Control": "no-store"}
        if exc.nonce is not None:
            headers["DPoP-Nonce"] = exc.nonce
        return JSONResponse({"error": exc.code, "error_description": exc.description}, 401, headers=headers)

    def _unauthorized(self, description: str | None) -> Response:
        """RFC 6750 §3 / RFC 9728 §5.1: no error code when no token was sent, ``invalid_token`` otherwise."""
        challenge = f'Bearer resource_metadata="{self.metadata_url}"'
        body: dict[str, str] = {"error": "unauthorized", "error_description": "a bearer token is required"}
        if description is not None:
            challenge = (
                f'Bearer error="invalid_token", error_description="{_quoted(description)}", '
                f'resource_metadata="{self.metadata_url}"'
            )
            body = {"error": "invalid_token", "error_description": description}
        return Response(
            json.dumps(body),
            status_code=401,
            media_type="application/json",
            headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
        )


async def _read_all(receive: Receive, limit: int) -> bytes | None:
    """The request body, or ``None`` once it exceeds ``limit`` bytes (the SDK's own cap)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the SDK the body already read, then the connection's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _missing_scope(body: bytes, actor: Actor) -> str | None:
    """The scope a ``tools/call`` in ``body`` needs and ``actor``'s token lacks, if any."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None  # the SDK answers malformed JSON-RPC itself
    for message in parsed if isinstance(parsed, list) else [parsed]:
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            continue
        params = message.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        needed = REQUIRED_SCOPES.get(name) if isinstance(name, str) else None
        if needed is not None and not actor.allows_scope(needed):
            return needed
    return None


def _bearer(header: str | None) -> str | None:
    """RFC 6750 §2.1: ``Bearer <token>``, or RFC 9449 §7.1 ``DPoP <token>`` (scheme case-insensitive)."""
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() not in ("bearer", "dpop") or not value:
        return None
    return value


def _quoted(text: str) -> str:
    """RFC 6750 §3: error_description is printable ASCII without ``"`` or ``\\``."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
