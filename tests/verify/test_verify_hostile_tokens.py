"""Tokens an attacker might present, each refused with ``invalid_token`` (RFC 9068 §4, RFC 8725)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tokensmith.verify import InvalidTokenError, Verifier
from tokensmith.verify.claims import REQUIRED_CLAIMS
from tokensmith.verify.testing import FakeIssuer, generate_key, rewrite_header, unsigned


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with(secret: bytes, issuer: FakeIssuer) -> str:
    """An HS256 token whose HMAC key is something public (the classic key-confusion attack)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": issuer.keys[0].kid}).encode())
    payload = _b64(json.dumps(issuer.claims()).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def public_pem(issuer: FakeIssuer) -> bytes:
    return (
        issuer.keys[0]
        .private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


HOSTILE: dict[str, Callable[[FakeIssuer], str]] = {
    "alg none": lambda i: unsigned(i.claims(), {"alg": "none", "typ": "at+jwt", "kid": i.keys[0].kid}),
    "alg None mixed case": lambda i: unsigned(
        i.claims(), {"alg": "None", "typ": "at+jwt", "kid": i.keys[0].kid}
    ),
    "HS256 keyed with public PEM": lambda i: hs256_with(public_pem(i), i),
    "HS256 keyed with public JWK": lambda i: hs256_with(json.dumps(i.keys[0].public_jwk).encode(), i),
    "wrong iss": lambda i: i.mint(claims={"iss": "https://evil.example.test"}),
    "iss with trailing slash": lambda i: i.mint(claims={"iss": i.issuer + "/"}),
    "wrong aud": lambda i: i.mint(claims={"aud": "https://other-api.example.test"}),
    "aud list without us": lambda i: i.mint(claims={"aud": ["a", "b"]}),
    "typ JWT": lambda i: i.mint(header={"typ": "JWT"}),
    "typ missing": lambda i: rewrite_header(i.mint(), lambda h: {k: v for k, v in h.items() if k != "typ"}),
    "expired beyond leeway": lambda i: i.mint(claims={"exp": int(i.clock()) - 31}),
    "nbf in the future": lambda i: i.mint(claims={"nbf": int(i.clock()) + 120}),
    "iat in the future": lambda i: i.mint(claims={"iat": int(i.clock()) + 120}),
    "exp not a number": lambda i: i.mint(claims={"exp": "tomorrow"}),
    "kid missing": lambda i: rewrite_header(i.mint(), lambda h: {k: v for k, v in h.items() if k != "kid"}),
    "kid path traversal": lambda i: i.mint(header={"kid": "../../etc/passwd"}),
    "jku to another host": lambda i: i.mint(header={"jku": "https://evil.example.test/jwks.json"}),
    "x5u to another host": lambda i: i.mint(header={"x5u": "https://evil.example.test/cert.pem"}),
    "embedded jwk": lambda i: i.mint(header={"jwk": i.keys[0].public_jwk}),
    "crit header": lambda i: i.mint(header={"crit": ["exp"], "exp": 1}),
    "signature from another key with our kid": lambda i: i.mint(key=generate_key("ES256", kid=i.keys[0].kid)),
    "tampered payload": lambda i: ".".join(
        [
            i.mint().split(".")[0],
            _b64(json.dumps(i.claims(scopes="members:write")).encode()),
            i.mint().split(".")[2],
        ]
    ),
    "sub_kind not client or user": lambda i: i.mint(claims={"sub_kind": "admin"}),
    "1 MB token": lambda i: "a" * 1_000_000,
    "not a JWT nor a known prefix": lambda i: "opaque-garbage",
    "non-b64token characters": lambda i: "a b.c",
    "empty": lambda i: "",
}


REASONS = {
    "alg none": "algorithm",
    "alg None mixed case": "algorithm",
    "HS256 keyed with public PEM": "algorithm",
    "HS256 keyed with public JWK": "algorithm",
    "wrong iss": "another issuer",
    "iss with trailing slash": "another issuer",
    "wrong aud": "another audience",
    "aud list without us": "another audience",
    "typ JWT": "typ",
    "typ missing": "typ",
    "expired beyond leeway": "expired",
    "nbf in the future": "not valid yet",
    "iat in the future": "in the future",
    "exp not a number": "exp claim",
    "kid missing": "kid",
    "kid path traversal": "does not publish",
    "jku to another host": "own signing key",
    "x5u to another host": "own signing key",
    "embedded jwk": "own signing key",
    "crit header": "malformed|critical",
    "signature from another key with our kid": "signature",
    "tampered payload": "signature",
    "sub_kind not client or user": "sub_kind",
    "1 MB token": "too large",
    "not a JWT nor a known prefix": "malformed",
    "non-b64token characters": "malformed",
    "empty": "malformed",
}


def test_every_hostile_case_states_its_reason() -> None:
    assert sorted(REASONS) == sorted(HOSTILE)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_token_is_refused(case: str, issuer: FakeIssuer, verifier: Verifier) -> None:
    token = HOSTILE[case](issuer)
    with pytest.raises(InvalidTokenError, match=REASONS[case]) as caught:
        verifier.verify(token)
    if token:
        assert token not in caught.value.description
    assert all(r.url.host == "auth.example.test" for r in issuer.requests)
    assert issuer.count("/oauth2/introspect") == 0


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_missing_required_claim(claim: str, issuer: FakeIssuer, verifier: Verifier) -> None:
    with pytest.raises(InvalidTokenError, match=claim):
        verifier.verify(issuer.mint(claims={claim: None}))


def test_rs256_refused_when_only_es256_allowed() -> None:
    issuer = FakeIssuer(algorithms=("ES256", "RS256"))
    with issuer.verifier(algorithms=("ES256",)) as verifier:
        assert verifier.verify(issuer.mint(key=issuer.keys[0])).subject
        with pytest.raises(InvalidTokenError, match="algorithm"):
            verifier.verify(issuer.mint(key=issuer.keys[1]))


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_each_default_algorithm_verifies(alg: str) -> None:
    issuer = FakeIssuer(algorithms=(alg,))
    with issuer.verifier() as verifier:
        principal = verifier.verify(issuer.mint(scopes="project:read project:write"))
    assert principal.scopes == {"project:read", "project:write"}


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"])
def test_typ_accepted_case_insensitively(typ: str, issuer: FakeIssuer, verifier: Verifier) -> None:
    assert verifier.verify(issuer.mint(header={"typ": typ})).subject


def test_within_leeway_is_accepted(issuer: FakeIssuer, verifier: Verifier) -> None:
    assert verifier.verify(issuer.mint(claims={"exp": int(issuer.clock()) - 29})).subject
    assert verifier.verify(issuer.mint(claims={"nbf": int(issuer.clock()) + 29})).subject


def test_oversized_token_is_refused_before_parsing(
    issuer: FakeIssuer, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed an oversized token")

    monkeypatch.setattr("tokensmith.verify.verifier.check_header", must_not_parse)
    token = issuer.mint(claims={"pad": "x" * 9000})
    with pytest.raises(InvalidTokenError, match="too large"):
        verifier.verify(token)
    assert issuer.requests == []


def test_jku_header_makes_no_request_anywhere(issuer: FakeIssuer, verifier: Verifier) -> None:
    with pytest.raises(InvalidTokenError, match="own signing key"):
        verifier.verify(issuer.mint(header={"jku": "https://evil.example.test/jwks.json"}))
    assert issuer.requests == []


def test_kid_path_traversal_costs_only_the_jwks_fetch(issuer: FakeIssuer, verifier: Verifier) -> None:
    with pytest.raises(InvalidTokenError, match="key the issuer does not publish"):
        verifier.verify(issuer.mint(header={"kid": "../../etc/passwd"}))
    assert [r.url.path for r in issuer.requests] == [
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ]


def test_hmac_and_none_cannot_be_configured() -> None:
    for algorithms in (("HS256",), ("none",), ("ES256", "HS512"), ()):
        with pytest.raises(ValueError, match="asymmetric"):
            Verifier("https://auth.example.test", "api", algorithms=algorithms)
