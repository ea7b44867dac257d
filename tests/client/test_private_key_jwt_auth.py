"""``PrivateKeyJwtAuth``: the SDK's client credentials with a private key instead of a secret
(RFC 7523 §2.2), against the real server over HTTP (SQLite and PostgreSQL), and on the wire."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.http.private_key_jwt_support import ClientKeyPair, key_credential
from tokensmith.client import PrivateKeyJwtAuth, TokenRequestError
from tokensmith.core.clock import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    """The live server's clock (the SDK tests' own ``clock`` fixture is the SDK's fake time)."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def pem(pair: ClientKeyPair) -> str:
    return pair.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_a_keyless_credential_calls_the_api_through_discovery(live_server: Any, make_org: Any) -> None:
    pair = ClientKeyPair()
    credential = key_credential(live_server.services, make_org(), keys=[pair])
    auth = PrivateKeyJwtAuth(credential.client_id, pem(pair), kid=pair.kid, issuer=live_server.url)
    with httpx.Client(auth=auth, timeout=10) as api:
        me = api.get(f"{live_server.url}/api/me")
        again = api.get(f"{live_server.url}/api/me")  # the cached token, no second assertion needed
    assert me.status_code == 200, me.text
    assert again.status_code == 200
    assert "PRIVATE" not in repr(auth) and credential.client_id in repr(auth)


def test_an_async_client_with_a_private_jwk_and_no_kid(live_server: Any, make_org: Any) -> None:
    pair = ClientKeyPair(alg="EdDSA", kid=None)
    credential = key_credential(live_server.services, make_org(), keys=[pair])
    auth = PrivateKeyJwtAuth(
        credential.client_id, pair.private_jwk, algorithm="EdDSA", token_url=live_server.url + "/oauth2/token"
    )

    async def call() -> int:
        async with httpx.AsyncClient(auth=auth, timeout=10) as api:
            return (await api.get(f"{live_server.url}/api/me")).status_code

    assert anyio.run(call) == 200


def test_a_key_the_credential_does_not_hold_is_an_invalid_client_error(
    live_server: Any, make_org: Any
) -> None:
    pair = ClientKeyPair()
    credential = key_credential(live_server.services, make_org(), keys=[pair])
    auth = PrivateKeyJwtAuth(credential.client_id, ClientKeyPair().private, issuer=live_server.url)
    with httpx.Client(auth=auth, timeout=10) as api, pytest.raises(TokenRequestError) as caught:
        api.get(f"{live_server.url}/api/me")
    assert caught.value.error == "invalid_client"


def test_each_attempt_signs_a_fresh_assertion_for_the_token_endpoint() -> None:
    pair = ClientKeyPair()
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            seen.append(dict(urllib.parse.parse_qsl(request.content.decode())))
            if len(seen) == 1:
                return httpx.Response(503, headers={"Retry-After": "0"})
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 300})
        return httpx.Response(200)

    auth = PrivateKeyJwtAuth(
        "c" * 26, pair.private, kid=pair.kid, token_url="https://auth.test/oauth2/token", scope=["a", "b"]
    )
    with httpx.Client(auth=auth, transport=httpx.MockTransport(handler)) as api:
        assert api.get("https://api.test/x").status_code == 200
    assert len(seen) == 2
    claims = [
        jwt.decode(
            form["client_assertion"],
            pair.private.public_key(),
            algorithms=["ES256"],
            audience="https://auth.test/oauth2/token",
        )
        for form in seen
    ]
    assert {c["iss"] for c in claims} == {c["sub"] for c in claims} == {"c" * 26}
    assert claims[0]["jti"] != claims[1]["jti"]
    assert all(c["exp"] - c["iat"] == 60 for c in claims)
    assert seen[0]["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert seen[0]["scope"] == "a b" and "client_secret" not in seen[0]
    assert jwt.get_unverified_header(seen[0]["client_assertion"])["kid"] == pair.kid


def test_bad_arguments_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match="algorithm"):
        PrivateKeyJwtAuth("c" * 26, ClientKeyPair().private, algorithm="HS256", issuer="https://a.test")
    with pytest.raises(ValueError):
        PrivateKeyJwtAuth("c" * 26, "not a pem", issuer="https://a.test")
