"""The dashboard's "Test API Call" (seed 000): send one request with a token, show the answer.

The request is made by the server, so it is a server-side request forgery risk (OWASP SSRF
cheat sheet). It is only ever sent to an allow-list of origins: this deployment's own issuer
origin and those an operator configured (``TOKENSMITH_TEST_CALL_ALLOWED_ORIGINS``). Redirects are
not followed (a redirect could leave the list), the URL may carry no credentials, the response
body is capped and the call times out quickly. The token travels only in the Authorization
header; it is never logged or audited.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tokensmith.core.errors import BadRequest

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_BODY_BYTES = 64 * 1024
MAX_REQUEST_BODY = 16 * 1024
TIMEOUT_SECONDS = 10.0


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased, default ports dropped."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = parts.hostname.lower() if port in (None, default) else f"{parts.hostname.lower()}:{port}"
    if ":" in parts.hostname:  # IPv6 literal
        netloc = f"[{parts.hostname.lower()}]" + ("" if port in (None, default) else f":{port}")
    return f"{parts.scheme}://{netloc}"


@dataclass(frozen=True)
class ConsoleResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: str
    truncated: bool
    elapsed_ms: int


class ApiConsole:
    def __init__(
        self, allowed_origins: Iterable[str], *, transport: httpx.BaseTransport | None = None
    ) -> None:
        origins = (origin_of(o) for o in allowed_origins if o.strip())
        self.allowed_origins = tuple(dict.fromkeys(o for o in origins if o))
        self._transport = transport

    def is_allowed(self, url: str) -> bool:
        return origin_of(url) in self.allowed_origins

    def call(self, method: str, url: str, token: str, body: str = "") -> ConsoleResponse:
        method = method.upper()
        if method not in METHODS:
            raise BadRequest(f"method must be one of {', '.join(METHODS)}")
        if not self.is_allowed(url):
            raise BadRequest(
                "Test API Call only calls this deployment and the origins its operator allowed: "
                + ", ".join(self.allowed_origins)
            )
        token = token.strip()
        if not token or any(c.isspace() for c in token) or len(token) > 8192:
            raise BadRequest("paste one access token (no spaces)")
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        content: bytes | None = None
        if body.strip() and method != "GET":
            if len(body) > MAX_REQUEST_BODY:
                raise BadRequest("the request body is too large")
            try:
                json.loads(body)
            except ValueError:
                raise BadRequest("the request body must be JSON") from None
            content = body.encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        with httpx.Client(
            transport=self._transport, timeout=TIMEOUT_SECONDS, follow_redirects=False
        ) as client:
            try:
                with client.stream(method, url, headers=headers, content=content) as response:
                    raw = bytearray()
                    for chunk in response.iter_bytes():
                        raw.extend(chunk)
                        if len(raw) > MAX_BODY_BYTES:
                            break
                    elapsed = int((time.perf_counter() - started) * 1000)
            except httpx.HTTPError as exc:
                raise BadRequest(f"the request failed: {type(exc).__name__}") from None
        truncated = len(raw) > MAX_BODY_BYTES
        text = bytes(raw[:MAX_BODY_BYTES]).decode("utf-8", errors="replace")
        if "json" in response.headers.get("content-type", "") and not truncated:
            with contextlib.suppress(ValueError):
                text = json.dumps(json.loads(text), indent=2)
        return ConsoleResponse(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=[(k, v) for k, v in response.headers.items() if k.lower() != "set-cookie"],
            body=text,
            truncated=truncated,
            elapsed_ms=elapsed,
        )
