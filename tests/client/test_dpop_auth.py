"""``ClientCredentialsAuth(dpop=...)`` (RFC 9449): proofs on every request, and the one retry on a
nonce challenge at the token endpoint (§8) and at an API (§9), against a scripted server."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest

from tokensmith.client import ClientCredentialsAuth, DPoPKey, TokenRequestError
from tokensmith.client.dpop import process_key
from tokensmith.verify.dpop import access_token_hash, check_proof


def _claims(proof: str) -> dict[str, Any]:
    return dict(jwt.decode(proof, options={"verify_signature": False}))


def test_dpop_true_uses_one_key_per_process() -> None:
    one = ClientCredentialsAuth("id", "secret", token_url="https://a.test/oauth2/token", dpop=True)
    two = ClientCredentialsAuth("id", "secret", token_url="https://a.test/oauth2/token", dpop=True)
    assert one.dpop_key is two.dpop_key is process_key()
    assert ClientCredentialsAuth("id", "s", token_url="https://a.test/t").dpop_key is None
    assert "jkt" in repr(process_key()) and "d=" not in repr(process_key())


class _DPoPWorld:
    """A token endpoint that always wants a nonce, and an API that wants its own nonce (mock transport)."""

    def __init__(self, key: DPoPKey) -> None:
        self.key = key
        #: (path, proof jti) of every request, as sent (a retried request object is changed in place).
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        proof = request.headers.get("DPoP")
        assert proof is not None
        claims = _claims(proof)
        self.seen.append((request.url.path, claims["jti"]))
        if request.url.path == "/oauth2/token":
            if claims.get("nonce") != "as-nonce":
                body = {"error": "use_dpop_nonce", "error_description": "nonce"}
                return httpx.Response(400, json=body, headers={"DPoP-Nonce": "as-nonce"})
            check_proof(
                proof, method="POST", uris=[str(request.url)], now=claims["iat"], max_age=60, leeway=5
            )
            issued = {"access_token": "at-1", "token_type": "DPoP", "expires_in": 3600}
            return httpx.Response(200, json=issued)
        assert request.headers["Authorization"] == "DPoP at-1"
        assert claims["ath"] == access_token_hash("at-1")
        assert claims["htu"] == "https://api.example.test/projects"  # no query (§4.2)
        if claims.get("nonce") != "rs-nonce":
            challenge = 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge, "DPoP-Nonce": "rs-nonce"})
        return httpx.Response(200, json={"ok": True})


def test_nonce_challenges_are_answered_once_each() -> None:
    key = DPoPKey()
    world = _DPoPWorld(key)
    auth = ClientCredentialsAuth("id", "secret", token_url="https://auth.example.test/oauth2/token", dpop=key)
    with httpx.Client(auth=auth, transport=httpx.MockTransport(world)) as client:
        assert client.get("https://api.example.test/projects?page=2").json() == {"ok": True}
        assert client.get("https://api.example.test/projects").json() == {"ok": True}
    paths = [path for path, _ in world.seen]
    # token: challenged, then issued; API: challenged, then served; then served at once (nonce kept).
    assert paths == ["/oauth2/token", "/oauth2/token", "/projects", "/projects", "/projects"]
    assert len({jti for _, jti in world.seen}) == len(world.seen)  # a fresh proof every time


def test_a_second_nonce_challenge_is_not_retried_forever() -> None:
    calls: list[int] = []

    def always_challenge(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        body = json.dumps({"error": "use_dpop_nonce"}).encode()
        return httpx.Response(400, content=body, headers={"DPoP-Nonce": f"n{len(calls)}"})

    auth = ClientCredentialsAuth(
        "id", "secret", token_url="https://auth.example.test/oauth2/token", dpop=True
    )
    transport = httpx.MockTransport(always_challenge)
    with httpx.Client(auth=auth, transport=transport) as client, pytest.raises(TokenRequestError) as raised:
        client.get("https://api.example.test/projects")
    assert raised.value.error == "use_dpop_nonce"
    assert len(calls) == 2


def test_a_dpop_token_is_refused_without_dpop() -> None:
    def dpop_token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": "at", "token_type": "DPoP", "expires_in": 60})

    auth = ClientCredentialsAuth("id", "secret", token_url="https://auth.example.test/oauth2/token")
    transport = httpx.MockTransport(dpop_token)
    with (
        httpx.Client(auth=auth, transport=transport) as client,
        pytest.raises(TokenRequestError, match="not Bearer"),
    ):
        client.get("https://api.example.test/projects")
