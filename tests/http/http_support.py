"""Helpers for the HTTP tests: Basic headers, OAuth error assertions, JWT checks."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import jwt
import pytest

from tokensmith.services.container import Services

TOKEN = "/oauth2/token"
INTROSPECT = "/oauth2/introspect"
REVOKE = "/oauth2/revoke"
CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: Restrict a test to SQLite (for checks that never reach the database).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: RFC 9068 claims plus seed 000's and Tokensmith's own; exactly these, no more.
JWT_CLAIMS = {
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "jti",
    "client_id",
    "scope",
    "token_use",
    "version",
    "org_id",
    "sub_kind",
}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


class Response(Protocol):
    """What the assertions read of a response: httpx's, or the one Starlette's TestClient returns."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


def basic(client_id: str, client_secret: str) -> dict[str, str]:
    """``Authorization: Basic`` exactly as given (no form-encoding: tests control that)."""
    raw = f"{client_id}:{client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def basic_raw(raw: bytes | str) -> dict[str, str]:
    data = raw.encode() if isinstance(raw, str) else raw
    return {"Authorization": "Basic " + base64.b64encode(data).decode()}


def assert_no_store(response: Response) -> None:
    assert response.headers.get("cache-control") == "no-store", response.headers
    assert response.headers.get("pragma") == "no-cache", response.headers


def assert_oauth_error(
    response: Response, status: int, error: str, *, basic_challenge: bool | None = None
) -> dict[str, Any]:
    """RFC 6749 §5.2: exact status, ``error`` code, only ``error``/``error_description``,
    ``Cache-Control: no-store``; ``basic_challenge`` checks ``WWW-Authenticate: Basic``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error, body
    assert set(body) <= {"error", "error_description"}, body
    if "error_description" in body:
        assert isinstance(body["error_description"], str) and body["error_description"]
    assert_no_store(response)
    assert "access_token" not in response.text
    challenge = response.headers.get("www-authenticate")
    if basic_challenge is True:
        assert challenge is not None and challenge.startswith('Basic realm="tokensmith"'), challenge
    elif basic_challenge is False:
        assert challenge is None, challenge
    return body  # type: ignore[no-any-return]


def assert_token_response(response: Response, *, scope: str, expires_in: int = 3600) -> dict[str, Any]:
    """RFC 6749 §5.1 success: exact members, Bearer, no refresh token, no-store."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}, body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == expires_in and isinstance(body["expires_in"], int)
    assert body["scope"] == scope
    assert_no_store(response)
    return body  # type: ignore[no-any-return]


def verify_jwt(services: Services, token: str) -> dict[str, Any]:
    """Verify ``token`` against the server's published JWKS, audience and issuer.

    The algorithm is the published key's own (its JWK ``alg``), never the token's header: a
    verifier that trusts the header is the textbook algorithm-confusion hole (RFC 8725 §3.1)."""
    kid = jwt.get_unverified_header(token)["kid"]
    keys = {k["kid"]: k for k in services.keyring.jwks()["keys"]}
    published = keys[kid]
    jwk = jwt.PyJWK.from_dict(published)
    return jwt.decode(
        token,
        jwk.key,
        algorithms=[published["alg"]],
        audience=services.minter.audience,
        issuer=services.issuer,
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )


def unique_address() -> str:
    """A random address in 198.18.0.0/15 (benchmarking range), for X-Forwarded-For; random so
    tests sharing a Redis never share a rate-limit key."""
    raw = uuid.uuid4().bytes
    return f"198.{18 + raw[0] % 2}.{raw[1]}.{raw[2] or 1}"
