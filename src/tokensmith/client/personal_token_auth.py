"""``PersonalTokenAuth``: send a personal access token as a Bearer token (RFC 6750 §2.1).

Personal access tokens (``tsp_…``) are used directly on Tokensmith's management API; no token
endpoint round trip is needed::

    ManagementClient("https://tokensmith.example.com", PersonalTokenAuth(os.environ["TOKENSMITH_TOKEN"]))
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from tokensmith.client.secret import Secret


class PersonalTokenAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request; the token never shows in ``repr``."""

    def __init__(self, token: str) -> None:
        self._token = Secret(token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token='**********')"
