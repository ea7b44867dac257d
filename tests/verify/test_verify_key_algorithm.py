"""The verifier accepts a token only under the algorithm of the key its ``kid`` names (RFC 8725
§3.1): an RSA key published for RS256 does not verify a PS256 signature made with it, even when
both algorithms are allowed."""

from __future__ import annotations

import jwt
import pytest

from tokensmith.verify.errors import InvalidTokenError
from tokensmith.verify.testing import FakeIssuer


def test_a_signature_under_another_algorithm_of_the_same_key_is_refused() -> None:
    issuer = FakeIssuer(algorithms=("RS256", "PS256"))
    rs256 = issuer.keys[0]
    assert rs256.alg == "RS256" and rs256.public_jwk["alg"] == "RS256"
    with issuer.verifier(algorithms=("RS256", "PS256")) as verifier:
        assert verifier.verify(issuer.mint(key=rs256)).subject  # its own algorithm: fine
        forged = jwt.encode(
            issuer.claims(
                scopes="api/access",
                subject="abcdefghijklmnopqrstuvwxyz",
                kind="client",
                org_id="org_1",
                ttl=3600,
            ),
            rs256.private_key,  # type: ignore[arg-type]
            algorithm="PS256",
            headers={"typ": "at+jwt", "kid": rs256.kid},
        )
        with pytest.raises(InvalidTokenError, match="algorithm"):
            verifier.verify(forged)
        assert verifier.verify(issuer.mint(key=issuer.keys[1])).subject  # the PS256 key, under PS256
