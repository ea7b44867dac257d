"""Discovery and JWKS fetching: caching, the unknown-kid cooldown, failures (RFC 8414 §3, RFC 7517)."""

from __future__ import annotations

import pytest

from tokensmith.verify import InvalidTokenError, Verifier, VerifierUnavailableError
from tokensmith.verify.keyset import parse_jwks
from tokensmith.verify.testing import FakeIssuer, generate_key

JWKS = "/.well-known/jwks.json"
DISCOVERY = "/.well-known/oauth-authorization-server"


def test_discovery_and_jwks_fetched_once(issuer: FakeIssuer, verifier: Verifier) -> None:
    for _ in range(3):
        verifier.verify(issuer.mint())
    assert issuer.count(DISCOVERY) == 1
    assert issuer.count(JWKS) == 1


def test_unknown_kid_refetches_at_most_once_per_cooldown(issuer: FakeIssuer, verifier: Verifier) -> None:
    verifier.verify(issuer.mint())  # first fetch at t=0
    assert issuer.count(JWKS) == 1
    stranger = issuer.mint(header={"kid": "nobody"})
    with pytest.raises(InvalidTokenError):
        verifier.verify(stranger)  # within the cooldown of the first fetch: no request
    assert issuer.count(JWKS) == 1
    issuer.clock.advance(31)
    for _ in range(5):
        with pytest.raises(InvalidTokenError):
            verifier.verify(issuer.mint(header={"kid": "nobody"}))
    assert issuer.count(JWKS) == 2  # one refetch, then cooling down again
    issuer.clock.advance(31)
    with pytest.raises(InvalidTokenError):
        verifier.verify(stranger)
    assert issuer.count(JWKS) == 3


def test_rotated_key_is_picked_up_after_cooldown(issuer: FakeIssuer, verifier: Verifier) -> None:
    verifier.verify(issuer.mint())
    new_key = generate_key("ES256")
    issuer.published.append(new_key)
    issuer.clock.advance(31)
    assert verifier.verify(issuer.mint(key=new_key)).subject
    assert issuer.count(JWKS) == 2


def test_keys_refreshed_after_cache_lifetime(issuer: FakeIssuer, verifier: Verifier) -> None:
    verifier.verify(issuer.mint())
    issuer.clock.advance(299)
    verifier.verify(issuer.mint())
    assert issuer.count(JWKS) == 1
    issuer.clock.advance(2)
    verifier.verify(issuer.mint())
    assert issuer.count(JWKS) == 2


def test_stale_keys_keep_serving_when_refresh_fails(issuer: FakeIssuer, verifier: Verifier) -> None:
    verifier.verify(issuer.mint())
    issuer.clock.advance(301)
    issuer.fail_with = 503
    assert verifier.verify(issuer.mint()).subject
    assert issuer.count(JWKS) == 2


def test_unreachable_issuer_is_unavailable_not_invalid(issuer: FakeIssuer, verifier: Verifier) -> None:
    issuer.fail_with = 500
    token = issuer.mint()
    with pytest.raises(VerifierUnavailableError) as caught:
        verifier.verify(token)
    assert caught.value.status == 503
    assert token not in caught.value.description
    issuer.fail_with = None
    with pytest.raises(VerifierUnavailableError):
        verifier.verify(token)  # within the cooldown the failure is served again, with no request
    issuer.clock.advance(30)
    assert verifier.verify(token).subject  # recovers on the first request after the cooldown


def test_a_failed_discovery_fetch_cools_down(issuer: FakeIssuer, verifier: Verifier) -> None:
    """100 checks against a down issuer cost one outbound request per cooldown, not 100."""
    issuer.fail_with = 503
    for _ in range(100):
        with pytest.raises(VerifierUnavailableError):
            verifier.verify(issuer.mint())
        issuer.clock.advance(0.2)  # 100 checks spread over 20 s: inside one 30 s cooldown
    assert len(issuer.requests) == 1
    issuer.clock.advance(10)  # the cooldown is over: one more attempt
    with pytest.raises(VerifierUnavailableError):
        verifier.verify(issuer.mint())
    assert len(issuer.requests) == 2
    issuer.fail_with = None
    issuer.clock.advance(30)
    assert verifier.verify(issuer.mint()).subject


def test_a_failed_jwks_fetch_cools_down(issuer: FakeIssuer, verifier: Verifier) -> None:
    issuer.discovery_overrides["jwks_uri"] = issuer.issuer + "/no-such-jwks.json"  # 404
    for _ in range(100):
        with pytest.raises(VerifierUnavailableError):
            verifier.verify(issuer.mint())
        issuer.clock.advance(0.2)
    assert issuer.count(DISCOVERY) == 1
    assert issuer.count("/no-such-jwks.json") == 1
    issuer.clock.advance(10)
    with pytest.raises(VerifierUnavailableError):
        verifier.verify(issuer.mint())
    assert issuer.count("/no-such-jwks.json") == 2


def test_discovery_issuer_must_match_exactly(issuer: FakeIssuer) -> None:
    issuer.discovery_overrides["issuer"] = issuer.issuer + "/"
    with issuer.verifier() as verifier, pytest.raises(VerifierUnavailableError, match="another issuer"):
        verifier.verify(issuer.mint())
    assert issuer.count(JWKS) == 0


def test_discovery_jwks_uri_must_be_https(issuer: FakeIssuer) -> None:
    issuer.discovery_overrides["jwks_uri"] = "http://auth.example.test/.well-known/jwks.json"
    with issuer.verifier() as verifier, pytest.raises(VerifierUnavailableError, match="jwks_uri"):
        verifier.verify(issuer.mint())


def test_transport_error_becomes_unavailable() -> None:
    import httpx

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    verifier = Verifier(
        "https://auth.example.test", "api", http_client=httpx.Client(transport=httpx.MockTransport(refuse))
    )
    with verifier, pytest.raises(VerifierUnavailableError, match="could not be reached"):
        verifier.verify(FakeIssuer().mint())


def test_jwks_skips_unusable_keys() -> None:
    good = generate_key("ES256", kid="good")
    encryption = {**generate_key("ES256", kid="enc").public_jwk, "use": "enc"}
    symmetric = {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}
    private = {**good.public_jwk, "kid": "private", "d": "AAAA"}
    no_verify = {**generate_key("ES256", kid="ops").public_jwk, "key_ops": ["encrypt"]}
    garbage = {"kty": "EC", "kid": "garbage", "crv": "P-256", "x": "!!", "y": "!!"}
    keys = parse_jwks({"keys": [good.public_jwk, encryption, symmetric, private, no_verify, garbage, "x"]})
    assert sorted(keys) == ["good"]
