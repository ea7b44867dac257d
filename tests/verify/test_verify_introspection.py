"""Personal and opaque tokens through RFC 7662 introspection; strict mode for JWTs."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest

from tokensmith.token_format import checksum
from tokensmith.verify import InvalidTokenError, Verifier, VerifierUnavailableError
from tokensmith.verify.testing import FakeIssuer

INTROSPECT = "/oauth2/introspect"


def well_formed(prefix: str, body: str = "0123456789abcdefghijABCDEFGHIJ") -> str:
    """A token in Tokensmith's format (``tokensmith.token_format``) with a correct checksum."""
    return prefix + body + checksum(prefix + body)


PAT = well_formed("tsp_")
OPAQUE = well_formed("tsa_", "9z8y7x6w5v4u3t2s1r0qPONMLKJIHG")


@pytest.fixture
def introspecting(issuer: FakeIssuer) -> Verifier:
    client_id, secret = issuer.introspection_client
    return issuer.verifier(introspection_client_id=client_id, introspection_client_secret=secret)


def personal(issuer: FakeIssuer, **extra: object) -> dict[str, object]:
    answer: dict[str, object] = {
        "scope": "project:read voice:read",
        "client_id": "pat:tok_1",
        "sub": "usr_1",
        "org_id": "org_1",
        "iss": issuer.issuer,
        "token_use": "personal",
        "iat": int(issuer.clock()),
    }
    answer.update(extra)
    return answer


def test_personal_token_is_introspected(issuer: FakeIssuer, introspecting: Verifier) -> None:
    issuer.introspection_answers[PAT] = personal(issuer)
    principal = introspecting.verify(PAT)
    assert principal.subject == "usr_1"
    assert principal.subject_kind == "user"
    assert principal.organization_id == "org_1"
    assert principal.scopes == {"project:read", "voice:read"}
    assert principal.expires_at is None
    assert principal.token_id is None
    request = next(r for r in issuer.requests if r.url.path == INTROSPECT)
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (
        request.headers["authorization"]
        == "Basic " + base64.b64encode(b"rs_client:tss_resource_server_secret").decode()
    )
    assert parse_qs(request.content.decode()) == {"token": [PAT], "token_type_hint": ["access_token"]}


def test_opaque_token_is_introspected_as_client(issuer: FakeIssuer, introspecting: Verifier) -> None:
    issuer.introspection_answers[OPAQUE] = personal(
        issuer, token_use="access", sub="clientid", exp=int(issuer.clock()) + 3600
    )
    principal = introspecting.verify(OPAQUE)
    assert principal.subject_kind == "client"
    assert principal.expires_at is not None


def test_inactive_token_is_invalid(issuer: FakeIssuer, introspecting: Verifier) -> None:
    with pytest.raises(InvalidTokenError, match="not active"):
        introspecting.verify(PAT)


def test_introspection_cache_is_short(issuer: FakeIssuer, introspecting: Verifier) -> None:
    issuer.introspection_answers[PAT] = personal(issuer)
    introspecting.verify(PAT)
    issuer.clock.advance(9)
    introspecting.verify(PAT)
    assert issuer.count(INTROSPECT) == 1
    issuer.revoked.add(PAT)
    issuer.clock.advance(1)  # 10 s: the cached answer is gone, revocation shows
    with pytest.raises(InvalidTokenError, match="not active"):
        introspecting.verify(PAT)
    assert issuer.count(INTROSPECT) == 2


def test_introspection_cache_never_outlives_exp(issuer: FakeIssuer, introspecting: Verifier) -> None:
    issuer.introspection_answers[PAT] = personal(issuer, exp=int(issuer.clock()) + 3)
    introspecting.verify(PAT)
    issuer.clock.advance(3)
    introspecting.verify(PAT)  # within leeway still accepted, but asked again
    assert issuer.count(INTROSPECT) == 2


def test_introspection_cache_is_bounded(issuer: FakeIssuer) -> None:
    client_id, secret = issuer.introspection_client
    tokens = [well_formed("tsp_", c * 30) for c in "xyz"]
    for token in tokens:
        issuer.introspection_answers[token] = personal(issuer)
    with issuer.verifier(
        introspection_client_id=client_id, introspection_client_secret=secret, introspection_cache_size=2
    ) as verifier:
        for token in tokens:
            verifier.verify(token)
        verifier.verify(tokens[0])
    assert issuer.count(INTROSPECT) == 4


def test_introspection_answer_for_another_issuer_or_audience(
    issuer: FakeIssuer, introspecting: Verifier
) -> None:
    issuer.introspection_answers[PAT] = personal(issuer, iss="https://evil.example.test")
    with pytest.raises(InvalidTokenError, match="another issuer"):
        introspecting.verify(PAT)
    issuer.introspection_answers[OPAQUE] = personal(issuer, aud=["someone-else"])
    with pytest.raises(InvalidTokenError, match="another audience"):
        introspecting.verify(OPAQUE)


def test_refused_introspection_credential_is_unavailable(issuer: FakeIssuer) -> None:
    with (
        issuer.verifier(introspection_client_id="rs_client", introspection_client_secret="wrong") as verifier,
        pytest.raises(VerifierUnavailableError, match="refused"),
    ):
        verifier.verify(PAT)


def test_without_credential_opaque_tokens_are_refused_without_request(
    issuer: FakeIssuer, verifier: Verifier
) -> None:
    with pytest.raises(InvalidTokenError, match="only JWT"):
        verifier.verify(PAT)
    assert issuer.requests == []


def test_prefixes_are_configurable(issuer: FakeIssuer) -> None:
    client_id, secret = issuer.introspection_client
    custom = well_formed("glsa_")
    issuer.introspection_answers[custom] = personal(issuer)
    with issuer.verifier(
        introspection_client_id=client_id,
        introspection_client_secret=secret,
        introspection_prefixes=("glsa_",),
    ) as verifier:
        assert verifier.verify(custom).subject == "usr_1"
        with pytest.raises(InvalidTokenError, match="malformed"):
            verifier.verify(PAT)


def test_strict_mode_introspects_jwts_and_sees_revocation(issuer: FakeIssuer) -> None:
    client_id, secret = issuer.introspection_client
    with issuer.verifier(
        strict=True, introspection_client_id=client_id, introspection_client_secret=secret
    ) as verifier:
        token = issuer.mint()
        verifier.verify(token)
        verifier.verify(token)
        # Every use is introspected (the signature check itself is cached)…
        assert issuer.count(INTROSPECT) == 2
        issuer.revoked.add(token)
        # …so a revocation is seen at once, with no time passing.
        with pytest.raises(InvalidTokenError, match="not active"):
            verifier.verify(token)


def test_non_strict_mode_does_not_introspect_jwts(issuer: FakeIssuer, introspecting: Verifier) -> None:
    token = issuer.mint()
    issuer.revoked.add(token)
    assert introspecting.verify(token).subject
    assert issuer.count(INTROSPECT) == 0


def test_strict_needs_a_credential() -> None:
    with pytest.raises(ValueError, match="introspection credential"):
        Verifier("https://auth.example.test", "api", strict=True)


@pytest.mark.parametrize(
    "token",
    [
        PAT[:-1] + ("x" if PAT[-1] != "x" else "y"),  # one character of the checksum changed
        PAT[:10] + ("Q" if PAT[10] != "Q" else "R") + PAT[11:],  # one character of the body changed
        PAT + "0",  # too long
        PAT[:-1],  # too short
        "tsp_not-a-token",
        OPAQUE[:-2] + "zz" if not OPAQUE.endswith("zz") else OPAQUE[:-2] + "yy",
    ],
)
def test_a_bad_checksum_is_refused_locally_without_introspecting(
    issuer: FakeIssuer, introspecting: Verifier, token: str
) -> None:
    """A ``tsp_``/``tsa_`` string is checked (format, checksum) before any round trip."""
    issuer.introspection_answers[token] = personal(issuer)  # it would be active if it were asked
    with pytest.raises(InvalidTokenError, match="malformed"):
        introspecting.verify(token)
    assert issuer.requests == []
