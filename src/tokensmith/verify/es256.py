"""ES256 as JWS uses it (RFC 7518 §3.4): ECDSA over P-256 with SHA-256, the signature written
as R || S (32 bytes each) rather than the DER that OpenSSL speaks.

Called straight through ``cryptography`` by the two hottest signature paths, the token
endpoint's signing (:mod:`tokensmith.services.keyring`) and DPoP proof checks
(:mod:`tokensmith.verify.dpop`): PyJWT's algorithm objects wrap the same calls and, measured
alone, add a sixth to a signature and a fifth to a verification (a new ``ECDSA(SHA256())``
per call and a slower R || S conversion). Every other algorithm stays with PyJWT.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

__all__ = ["sign", "verifies"]

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_HALF = 32


def sign(key: ec.EllipticCurvePrivateKey, signing_input: bytes) -> bytes:
    """The R || S signature of ``signing_input`` (``key`` must be on P-256)."""
    r, s = decode_dss_signature(key.sign(signing_input, _ECDSA_SHA256))
    return r.to_bytes(_HALF) + s.to_bytes(_HALF)


def verifies(key: ec.EllipticCurvePublicKey, signing_input: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (R || S) is ``key``'s over ``signing_input``; any other length is not."""
    if len(signature) != 2 * _HALF:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:_HALF]), int.from_bytes(signature[_HALF:]))
    try:
        key.verify(der, signing_input, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True
