"""PKCE (RFC 7636): the Appendix B test vector, S256 only, and every refusal's error code."""

from __future__ import annotations

import pytest

from tokensmith.core import pkce
from tokensmith.core.errors import InvalidGrant, InvalidRequest

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_rfc_7636_appendix_b_vector() -> None:
    assert pkce.challenge_of(VERIFIER) == CHALLENGE
    pkce.verify(VERIFIER, CHALLENGE)


def test_s256_is_the_only_method() -> None:
    assert pkce.check_challenge(CHALLENGE, "S256") == CHALLENGE
    with pytest.raises(InvalidRequest, match="S256"):
        pkce.check_challenge(CHALLENGE, "plain")
    with pytest.raises(InvalidRequest, match="omitted"):
        pkce.check_challenge(CHALLENGE, None)  # §4.3: omitted means plain


@pytest.mark.parametrize("challenge", [None, "", "short", CHALLENGE + "A", CHALLENGE[:-1] + "="])
def test_a_missing_or_malformed_challenge_is_invalid_request(challenge: str | None) -> None:
    with pytest.raises(InvalidRequest):
        pkce.check_challenge(challenge, "S256")


def test_a_missing_verifier_is_invalid_request_and_a_wrong_one_invalid_grant() -> None:
    with pytest.raises(InvalidRequest):
        pkce.verify(None, CHALLENGE)
    with pytest.raises(InvalidGrant):
        pkce.verify(VERIFIER[:-1] + "l", CHALLENGE)
    with pytest.raises(InvalidGrant, match="malformed"):
        pkce.verify("too-short", CHALLENGE)
    with pytest.raises(InvalidGrant, match="malformed"):
        pkce.verify(VERIFIER + "!", CHALLENGE)
    # The challenge itself presented as the verifier (what "plain" would accept) is refused.
    with pytest.raises(InvalidGrant):
        pkce.verify(CHALLENGE, CHALLENGE)
