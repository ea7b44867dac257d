"""``tokensmith.verify`` and DPoP-bound tokens (RFC 9449 §7): the sender constraint, hostile proofs,
and the Starlette integration's ``Authorization: DPoP`` scheme and §7.1 challenge."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.dpop_proofs import ProofKey, ath, hs256_proof, unsigned_proof
from tokensmith.verify import (
    DPoPPresentation,
    InvalidDPoPProofError,
    InvalidTokenError,
    Verifier,
)
from tokensmith.verify.starlette import authenticate, install
from tokensmith.verify.testing import FakeIssuer

URL = "https://api.example.test/projects"


def _bound(issuer: FakeIssuer, key: ProofKey) -> str:
    return issuer.mint(claims={"cnf": {"jkt": key.thumbprint}})


def _presented(proof: str, method: str = "GET", url: str = URL) -> DPoPPresentation:
    return DPoPPresentation((proof,), method, url)


def test_a_bound_token_with_its_proof_passes(issuer: FakeIssuer, verifier: Verifier) -> None:
    key = ProofKey()
    token = _bound(issuer, key)
    proof = key.proof("GET", URL, access_token=token, iat=issuer.clock())
    principal = verifier.verify(token, dpop=_presented(proof))
    assert principal.dpop_jkt == key.thumbprint


def test_a_bound_token_as_bearer_is_refused(issuer: FakeIssuer, verifier: Verifier) -> None:
    token = _bound(issuer, ProofKey())
    with pytest.raises(InvalidTokenError, match="DPoP-bound"):
        verifier.verify(token)


def test_an_unbound_token_as_dpop_is_refused(issuer: FakeIssuer, verifier: Verifier) -> None:
    key = ProofKey()
    token = issuer.mint()
    proof = key.proof("GET", URL, access_token=token, iat=issuer.clock())
    with pytest.raises(InvalidTokenError, match="not DPoP-bound"):
        verifier.verify(token, dpop=_presented(proof))
    assert verifier.verify(token).dpop_jkt is None


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda k, t, now: k.proof("GET", URL, iat=now), "ath"),
        (lambda k, t, now: k.proof("GET", URL, access_token=t + "x", iat=now), "ath"),
        (lambda k, t, now: k.proof("POST", URL, access_token=t, iat=now), "htm"),
        (lambda k, t, now: k.proof("GET", URL + "/other", access_token=t, iat=now), "htu"),
        (lambda k, t, now: k.proof("GET", URL, access_token=t, iat=now - 3600), "too old"),
        (lambda k, t, now: k.proof("GET", URL, access_token=t, iat=now + 3600), "future"),
        (lambda k, t, now: ProofKey().proof("GET", URL, access_token=t, iat=now), "another key"),
        (
            lambda k, t, now: k.proof(
                "GET", URL, access_token=t, iat=now, header={"jwk": k.jwk(private=True)}
            ),
            "private",
        ),
    ],
)
def test_hostile_proofs_are_refused(issuer: FakeIssuer, verifier: Verifier, make: Any, needle: str) -> None:
    key = ProofKey()
    token = _bound(issuer, key)
    with pytest.raises(InvalidDPoPProofError, match=needle):
        verifier.verify(token, dpop=_presented(make(key, token, issuer.clock())))


def test_alg_none_and_hs256_proofs_are_refused(issuer: FakeIssuer, verifier: Verifier) -> None:
    """RFC 9449 §4.3 point 5: an asymmetric alg only, even for a proof that names the token's key."""
    key = ProofKey()
    token = _bound(issuer, key)
    claims = {"jti": "j-1", "htm": "GET", "htu": URL, "iat": int(issuer.clock()), "ath": ath(token)}
    none = unsigned_proof({"typ": "dpop+jwt", "alg": "none", "jwk": key.public_jwk}, claims)
    hs = hs256_proof(
        {"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}, claims, b"secret"
    )
    confused = hs256_proof({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk}, claims, b"x")
    for proof, needle in ((none, "alg"), (hs, "alg"), (confused, "signature")):
        with pytest.raises(InvalidDPoPProofError, match=needle):
            verifier.verify(token, dpop=_presented(proof))


def test_a_replayed_proof_is_refused(issuer: FakeIssuer, verifier: Verifier) -> None:
    key = ProofKey()
    token = _bound(issuer, key)
    proof = key.proof("GET", URL, access_token=token, iat=issuer.clock())
    verifier.verify(token, dpop=_presented(proof))
    with pytest.raises(InvalidDPoPProofError, match="already used"):
        verifier.verify(token, dpop=_presented(proof))


def test_no_proof_or_two_proofs_are_refused(issuer: FakeIssuer, verifier: Verifier) -> None:
    key = ProofKey()
    token = _bound(issuer, key)
    with pytest.raises(InvalidDPoPProofError):
        verifier.verify(token, dpop=DPoPPresentation((), "GET", URL))
    proof = key.proof("GET", URL, access_token=token, iat=issuer.clock())
    with pytest.raises(InvalidDPoPProofError, match="Exactly one"):
        verifier.verify(token, dpop=DPoPPresentation((proof, proof), "GET", URL))


def test_averify_applies_the_same_rules(issuer: FakeIssuer) -> None:
    key = ProofKey()
    token = _bound(issuer, key)
    proof = key.proof("GET", URL, access_token=token, iat=issuer.clock())

    async def scenario() -> None:
        async with issuer.verifier() as verifier:
            with pytest.raises(InvalidTokenError):
                await verifier.averify(token)
            assert (await verifier.averify(token, dpop=_presented(proof))).dpop_jkt == key.thumbprint

    asyncio.run(scenario())


# -- the Starlette integration -------------------------------------------------------------------


@pytest.fixture
def api(issuer: FakeIssuer, verifier: Verifier) -> TestClient:
    async def projects(request: Request) -> JSONResponse:
        principal = await authenticate(request, ["api/access"])
        return JSONResponse({"sub": principal.subject, "jkt": principal.dpop_jkt})

    app = Starlette(routes=[Route("/projects", projects)])
    install(app, verifier, public_url="https://api.example.test")
    return TestClient(app, base_url="http://internal:8080")


def test_starlette_accepts_the_dpop_scheme(issuer: FakeIssuer, api: TestClient) -> None:
    key = ProofKey()
    token = _bound(issuer, key)
    proof = key.proof("GET", URL, access_token=token, iat=issuer.clock())
    response = api.get("/projects", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert response.status_code == 200, response.text
    assert response.json()["jkt"] == key.thumbprint


def test_starlette_answers_a_bad_proof_with_the_dpop_challenge(issuer: FakeIssuer, api: TestClient) -> None:
    key = ProofKey()
    token = _bound(issuer, key)
    proof = ProofKey().proof("GET", URL, access_token=token, iat=issuer.clock())
    response = api.get("/projects", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_dpop_proof"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('DPoP realm="api", error="invalid_dpop_proof"'), challenge
    assert 'algs="ES256 EdDSA RS256 PS256"' in challenge
    as_bearer = api.get("/projects", headers={"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401 and as_bearer.json()["error"] == "invalid_token"
