"""Our own JWTs verify only with the algorithm of the key their ``kid`` names (RFC 8725 §3.1),
whatever the header says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tokensmith.services.container import Services
from tokensmith.services.minting import Grant


def _reissue(token: str, header_alg: str, key: Any) -> str:
    """The same claims and kid, signed again under ``header_alg`` with ``key``."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key, algorithm=header_alg, headers={"kid": header["kid"], "typ": "at+jwt"})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("algorithm", "other"), [("RS256", "PS256"), ("RS256", "RS512")])
def test_a_token_under_another_algorithm_of_the_same_key_is_refused(
    services: Services, make_credential: Callable[..., Any], algorithm: str, other: str
) -> None:
    info = services.keyring.rotate(algorithm)
    services.keyring.reload()
    assert services.keyring.signing_key().record.kid == info.kid
    verification = services.keyring.verification_key(info.kid)
    assert verification is not None and verification[1] == algorithm
    issued = services.minter.mint(
        Grant.for_credential(make_credential().credential, frozenset({"api/access"}))
    )
    assert services.minter.decode(issued.access_token) is not None
    private_key = services.keyring.signing_key().private_key
    forged = _reissue(issued.access_token, other, private_key)  # a valid signature by our key…
    assert jwt.get_unverified_header(forged)["alg"] == other
    assert services.minter.decode(forged) is None  # …under an algorithm that is not the key's


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_header_naming_our_kid_with_an_hmac_algorithm_is_refused(
    services: Services, make_credential: Callable[..., Any]
) -> None:
    issued = services.minter.mint(
        Grant.for_credential(make_credential().credential, frozenset({"api/access"}))
    )
    kid = jwt.get_unverified_header(issued.access_token)["kid"]
    public_jwk = next(k for k in services.keyring.jwks()["keys"] if k["kid"] == kid)
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    # The classic confusion: the public key (which anyone has) used as an HMAC secret.
    forged = jwt.encode(
        claims, str(public_jwk).encode() * 2, algorithm="HS256", headers={"kid": kid, "typ": "at+jwt"}
    )
    assert services.minter.decode(forged) is None
