"""Signing-key material and its encryption at rest.

Private parts are encrypted with AES-256-GCM (NIST SP 800-38D) under a subkey of the master
key (:class:`KeyEncryptor`). The associated data binds the ciphertext to the row's key id,
algorithm and generation, so a stored key cannot be moved to another row or relabelled with
another algorithm without failing to decrypt. A decrypted key must also be the private half of
the public key the row publishes (:func:`decrypt_private_key`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tokensmith.core.records import SigningKeyRecord
from tokensmith.core.secrets import derive_key, key_id_of
from tokensmith.services.master_key import MasterKeyMismatch

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

#: The stored form of a private key: ``v2:`` + base64(nonce ‖ ciphertext ‖ tag). A blob without
#: the prefix is the first format, whose associated data was the key id alone.
ENCRYPTION_FORMAT = "v2"
_V2_PREFIX = ENCRYPTION_FORMAT + ":"


def associated_data(kid: str, algorithm: str, generation: int) -> bytes:
    """AES-GCM associated data of a signing key: what the ciphertext is bound to."""
    return b"tokensmith signing key v2\x00" + "\x00".join((kid, algorithm, str(generation))).encode()


class KeyEncryptor:
    """AES-256-GCM of private keys under master-key subkeys (any known key decrypts).

    Only the AES-GCM objects of the derived subkeys are kept, never the master key strings.
    """

    PURPOSE = "tokensmith signing-key encryption v1"

    def __init__(self, master_keys: list[str]) -> None:
        derived = [derive_key(k, self.PURPOSE) for k in master_keys]
        self._keys = [(key_id_of(k), AESGCM(k)) for k in derived]
        self._by_id = dict(self._keys)

    @property
    def key_id(self) -> str:
        return self._keys[0][0]

    @property
    def key_ids(self) -> list[str]:
        """Every configured key id, current first."""
        return [key_id for key_id, _ in self._keys]

    def seal(self, der: bytes, *, kid: str, algorithm: str, generation: int) -> str:
        """Encrypt ``der`` under the current key, bound to the row's kid, algorithm and generation."""
        nonce = os.urandom(12)
        aad = associated_data(kid, algorithm, generation)
        sealed = nonce + self._keys[0][1].encrypt(nonce, der, aad)
        return _V2_PREFIX + base64.b64encode(sealed).decode()

    def open(self, record: SigningKeyRecord) -> bytes:
        """The DER private key of ``record``; :class:`MasterKeyMismatch` if it cannot be had."""
        aead = self._by_id.get(record.master_key_id)
        if aead is None:
            raise MasterKeyMismatch(
                f"TOKENSMITH_SECRET_KEY cannot decrypt the signing keys (kid {record.kid} is encrypted "
                f"under master key id {record.master_key_id}; configured: {', '.join(self.key_ids)}); "
                "set the key they were made with, or list it in TOKENSMITH_OLD_SECRET_KEYS"
            )
        blob = record.private_key
        if not is_legacy_format(record):
            blob, aad = (
                blob[len(_V2_PREFIX) :],
                associated_data(record.kid, record.algorithm, record.generation),
            )
        else:
            aad = record.kid.encode()
        try:
            raw = base64.b64decode(blob, validate=True)
            return aead.decrypt(raw[:12], raw[12:], aad)
        except (InvalidTag, ValueError, binascii.Error):
            raise MasterKeyMismatch(
                f"signing key {record.kid} does not decrypt under master key id {record.master_key_id}: "
                "its stored row was altered (ciphertext, algorithm or generation)"
            ) from None

    def is_current(self, record: SigningKeyRecord) -> bool:
        """True when ``record`` is encrypted under the current key in the current format."""
        return record.master_key_id == self.key_id and not is_legacy_format(record)


def is_legacy_format(record: SigningKeyRecord) -> bool:
    """True when ``record``'s private key is stored in the first format (kid-only associated data)."""
    return not record.private_key.startswith(_V2_PREFIX)


@dataclass(frozen=True)
class KeyEncryptionInfo:
    """How one signing key is stored: under which master key id, in which format."""

    kid: str
    generation: int
    master_key_id: str
    current: bool
    legacy_format: bool


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise ValueError(f"unsupported signing algorithm {algorithm!r}")


def private_der(private_key: PrivateKey) -> bytes:
    """The unencrypted PKCS #8 DER of ``private_key`` (what :meth:`KeyEncryptor.seal` encrypts)."""
    return private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_jwk(private_key: PrivateKey, algorithm: str, kid: str) -> dict[str, Any]:
    algo = jwt.get_algorithm_by_name(algorithm)
    jwk: dict[str, Any] = json.loads(algo.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": algorithm, "use": "sig"})
    return jwk


def decrypt_private_key(encryptor: KeyEncryptor, record: SigningKeyRecord) -> PrivateKey:
    der = encryptor.open(record)
    private_key = serialization.load_der_private_key(der, password=None)
    if not isinstance(
        private_key, (ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey, rsa.RSAPrivateKey)
    ):
        raise MasterKeyMismatch(f"signing key {record.kid} is not an ES256, EdDSA or RS256 key")
    _check_public_part(record, private_key)
    return private_key


def _check_public_part(record: SigningKeyRecord, private_key: PrivateKey) -> None:
    """The published JWK must be the public half of the decrypted key."""
    expected = public_jwk(private_key, record.algorithm, record.kid)
    if {k: record.public_jwk.get(k) for k in expected} != expected:
        raise MasterKeyMismatch(
            f"signing key {record.kid}: its published public key is not the public half of its private key"
        )
