"""ES256 through ``cryptography`` is the same JWS signature PyJWT makes and checks (RFC 7518 §3.4)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tokensmith.verify import es256

PYJWT = ECAlgorithm(ECAlgorithm.SHA256)
DATA = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0"


def test_signatures_interoperate_with_pyjwt_both_ways() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    ours = es256.sign(key, DATA)
    assert len(ours) == 64
    assert PYJWT.verify(DATA, key.public_key(), ours)
    assert es256.verifies(key.public_key(), DATA, PYJWT.sign(DATA, key))


def test_a_wrong_key_length_or_byte_does_not_verify() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signature = es256.sign(key, DATA)
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert not es256.verifies(other, DATA, signature)
    assert not es256.verifies(key.public_key(), DATA + b"x", signature)
    assert not es256.verifies(key.public_key(), DATA, signature[:-1])
    assert not es256.verifies(key.public_key(), DATA, signature + b"\0")
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not es256.verifies(key.public_key(), DATA, flipped)
