"""Test fakes: a scripted Tokensmith behind ``httpx.MockTransport``, a clock, a sleeper."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx

ISSUER = "https://auth.example.test"
TOKEN_URL = f"{ISSUER}/oauth2/token"
API_URL = "https://api.example.test/projects"
CLIENT_ID = "k7x2m4p9q3r8s5t6v1w0y2z4ab"
CLIENT_SECRET = "tss_9fQe2LbX7cK1mZpR4sT8vW3yA6dG0hJ5nq1vB2c"


class FakeClock:
    """Epoch seconds that move only when told to."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sleeps:
    """Records the waits asked of it instead of waiting (sync and async)."""

    seconds: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)


class FakeTokensmith:
    """The token endpoint, discovery and a protected API, scripted per test.

    - ``token_script``: responses the token endpoint gives first, one per request; then it issues
      ``at-1``, ``at-2``... with ``expires_in``.
    - ``rejected``: access tokens the API answers 401 to.
    - ``token_delay``: seconds the token endpoint takes (to make concurrent requests pile up).
    """

    def __init__(self) -> None:
        self.expires_in: int | None = 3600
        self.token_script: list[httpx.Response] = []
        self.metadata_script: list[httpx.Response] = []
        self.rejected: set[str] = set()
        self.token_delay = 0.0
        self.token_requests: list[httpx.Request] = []
        self.metadata_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        #: The Authorization header of each API request as it was sent (the auth reuses the request object).
        self.api_authorizations: list[str] = []
        self.issued = 0
        self._lock = threading.Lock()
        self.metadata: dict[str, object] = {
            "issuer": ISSUER,
            "token_endpoint": TOKEN_URL,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def _token(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.token_requests.append(request)
            if self.token_script:
                return self.token_script.pop(0)
            self.issued += 1
            body: dict[str, object] = {"access_token": f"at-{self.issued}", "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return httpx.Response(200, json=body, headers={"Cache-Control": "no-store"})

    def _route(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/.well-known/"):
            with self._lock:
                self.metadata_requests.append(request)
                if self.metadata_script:
                    return self.metadata_script.pop(0)
            if str(request.url) != f"{ISSUER}/.well-known/oauth-authorization-server":
                return httpx.Response(404)
            return httpx.Response(200, json=self.metadata)
        if request.url.path == "/oauth2/token":
            return self._token(request)
        with self._lock:
            self.api_requests.append(request)
            self.api_authorizations.append(request.headers.get("Authorization", ""))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token or token in self.rejected:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return httpx.Response(200, json={"token": token, "body": request.content.decode()})

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token" and self.token_delay:
            time.sleep(self.token_delay)
        return self._route(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token" and self.token_delay:
            await asyncio.sleep(self.token_delay)
        return self._route(request)

    def client(self, auth: httpx.Auth) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler), auth=auth)

    def async_client(self, auth: httpx.Auth) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.async_handler), auth=auth)

    def form(self, index: int) -> dict[str, str]:
        """The decoded form body of token request number ``index``."""
        return dict(parse_qsl(self.token_requests[index].content.decode(), keep_blank_values=True))


def oauth_error(status: int, error: str, description: str | None = None, **headers: str) -> httpx.Response:
    body: dict[str, str] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **headers,
        },
    )
