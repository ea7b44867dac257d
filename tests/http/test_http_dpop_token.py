"""DPoP at ``POST /oauth2/token`` (RFC 9449 §5, §6, §8): bound tokens, hostile proofs, nonces."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from tests.dpop_proofs import ProofKey, hs256_proof, unsigned_proof
from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    INTROSPECT,
    TOKEN,
    assert_no_store,
    assert_oauth_error,
    basic,
    verify_jwt,
)
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.http.app import create_app
from tokensmith.services.container import Services
from tokensmith.settings import Settings

TOKEN_URL = "http://testserver/oauth2/token"


def _token(client: Any, cred: Any, proof: str | list[str] | None, **data: str) -> Any:
    headers = basic(cred.client_id, cred.client_secret)
    if isinstance(proof, str):
        headers["DPoP"] = proof
    request_headers: Any = headers
    if isinstance(proof, list):
        request_headers = [*headers.items(), *(("DPoP", p) for p in proof)]
    return client.post(TOKEN, data={**CLIENT_CREDENTIALS, **data}, headers=request_headers)


def _refused(response: Any, error: str = "invalid_dpop_proof") -> str:
    body = assert_oauth_error(response, 400, error)
    return str(body.get("error_description", ""))


# -- a bound token -----------------------------------------------------------------------------


def test_a_proof_binds_the_jwt_to_its_key(client: Any, make_credential: Any, services: Services) -> None:
    key = ProofKey()
    response = _token(client, make_credential(), key.proof("POST", TOKEN_URL))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "DPoP"  # RFC 9449 §5
    assert_no_store(response)
    claims = verify_jwt(services, body["access_token"])
    assert claims["cnf"] == {"jkt": key.thumbprint}  # §6.1
    assert "dpop-nonce" not in response.headers  # nonces are off by default


def test_without_a_proof_the_token_stays_bearer(
    client: Any, make_credential: Any, services: Services
) -> None:
    response = _token(client, make_credential(), None)
    assert response.json()["token_type"] == "Bearer"
    assert "cnf" not in verify_jwt(services, response.json()["access_token"])


@pytest.mark.parametrize("alg_key", ["ed25519", "rsa"])
def test_eddsa_and_rsa_proofs_are_accepted(client: Any, make_credential: Any, alg_key: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    private: Any = (
        ed25519.Ed25519PrivateKey.generate()
        if alg_key == "ed25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    key = ProofKey(private)
    response = _token(client, make_credential(), key.proof("POST", TOKEN_URL))
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "DPoP"


def test_htu_is_compared_without_query_or_fragment(client: Any, make_credential: Any) -> None:
    """§4.3 point 9; and scheme/host case and the default port do not matter (RFC 3986 §6.2.2)."""
    key = ProofKey()
    cred = make_credential()
    assert _token(client, cred, key.proof("POST", TOKEN_URL + "?a=1#f")).status_code == 200
    assert _token(client, cred, key.proof("POST", "HTTP://TestServer:80/oauth2/token")).status_code == 200


def test_introspection_returns_cnf_for_jwt_and_opaque(client: Any, make_credential: Any) -> None:
    key = ProofKey()
    caller = make_credential()
    for token_format in ("jwt", "opaque"):
        cred = make_credential(token_format=token_format)
        token = _token(client, cred, key.proof("POST", TOKEN_URL)).json()["access_token"]
        answer = client.post(
            INTROSPECT, data={"token": token}, headers=basic(caller.client_id, caller.client_secret)
        ).json()
        assert answer["active"] is True, answer
        assert answer["cnf"] == {"jkt": key.thumbprint}, token_format  # RFC 9449 §6.2
        assert answer["token_type"] == "DPoP"
    bearer = _token(client, caller, None).json()["access_token"]
    answer = client.post(
        INTROSPECT, data={"token": bearer}, headers=basic(caller.client_id, caller.client_secret)
    ).json()
    assert "cnf" not in answer and answer["token_type"] == "Bearer"


def test_token_exchange_with_a_proof_is_bound(client: Any, services: Services, make_org: Any) -> None:
    org = make_org()
    user = services.organizations.create_user(
        Actor.system(), f"dpop-{uuid.uuid4().hex[:8]}@example.test", org_id=org.id, role=Role.MEMBER
    )
    created = services.personal_tokens.create(
        Actor.system(), user_id=user.id, org_id=org.id, name="cli", scopes=["api/access"]
    )
    key = ProofKey()
    response = client.post(
        TOKEN,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": created.plain,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        },
        headers={"DPoP": key.proof("POST", TOKEN_URL)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "DPoP"
    assert verify_jwt(services, response.json()["access_token"])["cnf"] == {"jkt": key.thumbprint}


def test_discovery_lists_the_dpop_algorithms(client: Any) -> None:
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA", "RS256", "PS256"]


# -- hostile proofs ----------------------------------------------------------------------------


def test_a_proof_for_another_url_is_refused(client: Any, make_credential: Any) -> None:
    key = ProofKey()
    cred = make_credential()
    assert "htu" in _refused(_token(client, cred, key.proof("POST", "http://testserver/oauth2/revoke")))
    assert "htu" in _refused(_token(client, cred, key.proof("POST", "https://testserver/oauth2/token")))
    assert "htu" in _refused(_token(client, cred, key.proof("POST", "http://evil.test/oauth2/token")))


def test_a_proof_for_another_method_is_refused(client: Any, make_credential: Any) -> None:
    assert "htm" in _refused(_token(client, make_credential(), ProofKey().proof("GET", TOKEN_URL)))


def test_a_replayed_proof_is_refused(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    proof = ProofKey().proof("POST", TOKEN_URL)
    assert _token(client, cred, proof).status_code == 200
    assert "already used" in _refused(_token(client, cred, proof))


def test_the_same_jti_for_another_proof_is_a_replay(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    jti = str(uuid.uuid4())
    key = ProofKey()
    assert _token(client, cred, key.proof("POST", TOKEN_URL, claims={"jti": jti})).status_code == 200
    assert "already used" in _refused(
        _token(client, cred, key.proof("POST", TOKEN_URL, claims={"jti": jti}, iat=time.time() - 1))
    )


def test_an_old_or_future_iat_is_refused(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    key = ProofKey()
    assert "too old" in _refused(_token(client, cred, key.proof("POST", TOKEN_URL, iat=time.time() - 600)))
    assert "future" in _refused(_token(client, cred, key.proof("POST", TOKEN_URL, iat=time.time() + 600)))


def test_alg_none_and_hs256_proofs_are_refused(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    key = ProofKey()
    claims = {"jti": str(uuid.uuid4()), "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())}
    none = unsigned_proof({"typ": "dpop+jwt", "alg": "none", "jwk": key.public_jwk}, claims)
    assert "alg" in _refused(_token(client, cred, none))
    hmac_jwk = {"kty": "oct", "k": "c2VjcmV0"}
    hs = hs256_proof({"typ": "dpop+jwt", "alg": "HS256", "jwk": hmac_jwk}, claims, b"secret")
    assert "alg" in _refused(_token(client, cred, hs))
    # An HMAC keyed with the public key's bytes under an asymmetric alg name does not verify either.
    confused = hs256_proof({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk}, claims, b"x")
    assert _refused(_token(client, cred, confused))


def test_a_private_key_in_the_jwk_is_refused(client: Any, make_credential: Any) -> None:
    key = ProofKey()
    proof = key.proof("POST", TOKEN_URL, header={"jwk": key.jwk(private=True)})
    assert "private" in _refused(_token(client, make_credential(), proof))


def test_a_proof_signed_by_another_key_than_its_jwk_is_refused(client: Any, make_credential: Any) -> None:
    key, other = ProofKey(), ProofKey()
    proof = key.proof("POST", TOKEN_URL, header={"jwk": other.public_jwk})
    assert "signature" in _refused(_token(client, make_credential(), proof))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"header": {"typ": "JWT"}}, "typ"),
        ({"drop": ("jti",)}, "jti"),
        ({"drop": ("htm",)}, "htm"),
        ({"drop": ("iat",)}, "iat"),
        ({"claims": {"iat": "now"}}, "iat"),
        ({"header": {"jwk": "not an object"}}, "jwk"),
    ],
)
def test_malformed_proofs_are_refused(
    client: Any, make_credential: Any, change: dict[str, Any], needle: str
) -> None:
    proof = ProofKey().proof("POST", TOKEN_URL, **change)
    assert needle in _refused(_token(client, make_credential(), proof))


def test_garbage_and_two_proofs_are_refused(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    assert _refused(_token(client, cred, "not-a-jwt"))
    assert _refused(_token(client, cred, "a.b.c"))
    key = ProofKey()
    two = [key.proof("POST", TOKEN_URL), key.proof("POST", TOKEN_URL)]
    assert "Exactly one" in _refused(_token(client, cred, two))


def test_an_ec_key_on_the_wrong_curve_is_refused(client: Any, make_credential: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    p384 = ProofKey(ec.generate_private_key(ec.SECP384R1()))
    p384.alg = "ES256"
    with pytest.raises(Exception):  # noqa: B017,PT011 - PyJWT refuses to sign; build it by hand instead
        p384.proof("POST", TOKEN_URL)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": p384.public_jwk}
    claims = {"jti": str(uuid.uuid4()), "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())}
    assert "not a key for ES256" in _refused(
        _token(client, make_credential(), unsigned_proof(header, claims, b"x" * 64))
    )


# -- a credential that requires DPoP --------------------------------------------------------------


def test_a_credential_that_requires_dpop_refuses_bearer_requests(
    client: Any, make_credential: Any, services: Services
) -> None:
    cred = make_credential()
    updated = services.credentials.set_require_dpop(Actor.system(), cred.client_id, True)
    assert updated.require_dpop
    description = _refused(_token(client, cred, None))
    assert "DPoP" in description
    response = _token(client, cred, ProofKey().proof("POST", TOKEN_URL))
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP"
    services.credentials.set_require_dpop(Actor.system(), cred.client_id, False)
    assert _token(client, cred, None).json()["token_type"] == "Bearer"


# -- server nonces (§8) ---------------------------------------------------------------------------


@pytest.fixture
def nonce_client(settings_factory: Callable[..., Settings], services_factory: Callable[..., Services]) -> Any:
    settings = settings_factory(dpop_nonces=True)
    services = services_factory(settings, issuer=settings.issuer)
    with TestClient(create_app(settings, services=services), base_url="http://testserver") as test_client:
        test_client.services = services  # type: ignore[attr-defined]
        yield test_client


def test_a_proof_without_the_nonce_is_challenged_then_accepted(
    nonce_client: Any, make_credential: Any
) -> None:
    cred = make_credential()
    key = ProofKey()
    challenged = _token(nonce_client, cred, key.proof("POST", TOKEN_URL))
    _refused(challenged, "use_dpop_nonce")
    nonce = challenged.headers["DPoP-Nonce"]
    assert nonce
    again = _token(nonce_client, cred, key.proof("POST", TOKEN_URL, nonce="not-the-nonce"))
    _refused(again, "use_dpop_nonce")
    accepted = _token(nonce_client, cred, key.proof("POST", TOKEN_URL, nonce=nonce))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["token_type"] == "DPoP"
    assert accepted.headers["DPoP-Nonce"] == nonce  # §8.2: the nonce to use next


def test_after_a_challenge_a_proof_still_without_the_nonce_is_refused(
    nonce_client: Any, make_credential: Any
) -> None:
    """RFC 9449 §8: the challenge is not a one-time pass; every later proof must carry the nonce,
    and one refused for lacking it leaves no token and is not accepted when sent again."""
    cred = make_credential()
    key = ProofKey()
    challenged = _token(nonce_client, cred, key.proof("POST", TOKEN_URL))
    _refused(challenged, "use_dpop_nonce")
    assert challenged.headers["DPoP-Nonce"]
    for _ in range(2):
        again = _token(nonce_client, cred, key.proof("POST", TOKEN_URL))
        _refused(again, "use_dpop_nonce")
        assert again.headers["DPoP-Nonce"] == challenged.headers["DPoP-Nonce"]
        assert "access_token" not in again.json()
    nonce = challenged.headers["DPoP-Nonce"]
    without_nonce_claim = key.proof("POST", TOKEN_URL, claims={"nonce": None})
    _refused(_token(nonce_client, cred, without_nonce_claim), "use_dpop_nonce")
    assert _token(nonce_client, cred, key.proof("POST", TOKEN_URL, nonce=nonce)).status_code == 200


def test_an_invalid_proof_with_nonces_on_carries_a_fresh_nonce(
    nonce_client: Any, make_credential: Any
) -> None:
    response = _token(nonce_client, make_credential(), ProofKey().proof("GET", TOKEN_URL))
    _refused(response)
    assert response.headers["DPoP-Nonce"]


def test_a_nonce_expires_after_two_windows(nonce_client: Any, make_credential: Any, clock: Any) -> None:
    cred = make_credential()
    key = ProofKey()
    nonce = _token(nonce_client, cred, key.proof("POST", TOKEN_URL)).headers["DPoP-Nonce"]
    clock.advance(seconds=2 * 300)
    stale = _token(nonce_client, cred, key.proof("POST", TOKEN_URL, nonce=nonce, iat=clock.now().timestamp()))
    _refused(stale, "use_dpop_nonce")
    assert stale.headers["DPoP-Nonce"] != nonce


def test_nonces_from_one_process_are_accepted_by_another(
    settings_factory: Callable[..., Settings], services_factory: Callable[..., Services]
) -> None:
    settings = settings_factory(dpop_nonces=True)
    first, second = (services_factory(settings, issuer=settings.issuer) for _ in range(2))
    nonce = first.dpop.fresh_nonce()
    assert nonce is not None and nonce == second.dpop.fresh_nonce()


def test_a_bound_jwt_is_signed_like_any_other(client: Any, make_credential: Any) -> None:
    token = _token(client, make_credential(), ProofKey().proof("POST", TOKEN_URL)).json()["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
