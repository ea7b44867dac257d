"""Request bodies capped per route family, before they are read and before authentication.

An ASGI middleware in front of every route (RFC 9110 §15.5.14, ``413 Content Too Large``):

* a ``Content-Length`` over the cap is answered 413 at once: the application is never called,
  so nothing authenticates, parses or buffers the body;
* a body without a length (``Transfer-Encoding: chunked``) is counted as it streams; the message
  that crosses the cap is not handed over — the middleware answers 413 itself, the application
  sees :class:`BodyLimitExceeded` from ``receive`` (or ``http.disconnect`` if it asks again) and
  anything it still sends is dropped.

Every 413 says ``Connection: close``, so the rest of an oversize body is never read.

The caps and their renderings:

* OAuth endpoints (``/oauth2/…`` and the vendor dialects): ``TOKENSMITH_MAX_BODY_BYTES``, the
  RFC 6749 §5.2 JSON error ``invalid_request`` they use for every malformed request (served from
  the top of the stack by :class:`~tokensmith.http.app.TokensmithApp`, they cap their body the same
  way in :func:`~tokensmith.http.oauth_request.read_body`);
* the management API (``/api/…``) and ``/mcp``: ``TOKENSMITH_MAX_API_BODY_BYTES``, an RFC 9457
  problem ``payload_too_large``;
* everything else (the dashboard's forms): ``TOKENSMITH_MAX_FORM_BODY_BYTES``, a small plain-text 413.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tokensmith.core.errors import PayloadTooLarge
from tokensmith.http.errors import OAUTH_PATHS, oauth_error_response, problem_from
from tokensmith.http.oauth_request import BodyTooLarge
from tokensmith.settings import Settings

API_PATHS = ("/api/", "/mcp")
CAMEL_CASE_PATHS = ("/api/v1/token",)
CLOSE = (b"connection", b"close")


class BodyLimitExceeded(Exception):
    """Raised from ``receive`` once a streamed body crossed its cap (the 413 is already sent)."""


@dataclass(frozen=True)
class BodyCaps:
    oauth: int
    api: int
    form: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyCaps:
        return cls(settings.max_body_bytes, settings.max_api_body_bytes, settings.max_form_body_bytes)

    def for_path(self, path: str) -> int:
        if path.startswith(OAUTH_PATHS):
            return self.oauth
        if path.startswith(API_PATHS):
            return self.api
        return self.form


def too_large_response(path: str, limit: int) -> Response:
    """The 413 in the dialect of the route family ``path`` belongs to."""
    description = f"The request body exceeds {limit} bytes."
    response: Response
    if path.startswith(OAUTH_PATHS):
        response = oauth_error_response(
            BodyTooLarge(description), camel_case=path.startswith(CAMEL_CASE_PATHS)
        )
    elif path.startswith(API_PATHS):
        response = problem_from(PayloadTooLarge(description))
    else:
        response = PlainTextResponse(
            "The request body is too large.",
            status_code=413,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
    response.raw_headers.append(CLOSE)
    return response


def declared_length(scope: Scope) -> int | None:
    """The ``Content-Length`` (the HTTP parser already refused malformed or repeated ones)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, caps: BodyCaps) -> None:
        self.app = app
        self.caps = caps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.caps.for_path(path)
        declared = declared_length(scope)
        if declared is not None:
            if declared > limit:
                await too_large_response(path, limit)(scope, receive, send)
            else:  # the server delivers no more than Content-Length: nothing to count
                await self.app(scope, receive, send)
            return
        await _Counted(self.app, scope, limit, receive, send).run()


class _Counted:
    """One request whose body has no declared length: counted as it streams."""

    def __init__(self, app: ASGIApp, scope: Scope, limit: int, receive: Receive, send: Send) -> None:
        self.app = app
        self.scope = scope
        self.limit = limit
        self.inner_receive = receive
        self.inner_send = send
        self.received = 0
        self.response_started = False
        self.refused = False

    async def run(self) -> None:
        with contextlib.suppress(BodyLimitExceeded):  # the 413 is sent; the application let it through
            await self.app(self.scope, self.receive, self.send)

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self.inner_receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refused = True
                if not self.response_started:
                    self.response_started = True
                    refusal = too_large_response(self.scope["path"], self.limit)
                    await refusal(self.scope, self.inner_receive, self.inner_send)
                raise BodyLimitExceeded
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the client already has its 413
        if message["type"] == "http.response.start":
            self.response_started = True
        await self.inner_send(message)
