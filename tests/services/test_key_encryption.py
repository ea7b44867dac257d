"""``KeyEncryptor``: AES-256-GCM of signing keys bound to kid, algorithm and generation (NIST
SP 800-38D associated data), the first format still readable, and no master key string kept."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tokensmith.core.records import SigningKeyRecord
from tokensmith.core.secrets import derive_key
from tokensmith.services.key_encryption import (
    KeyEncryptor,
    decrypt_private_key,
    generate_private_key,
    public_jwk,
)
from tokensmith.services.master_key import MasterKeyMismatch

K1 = "first-master-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
K2 = "second-master-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _der(algorithm: str) -> tuple[bytes, object]:
    private_key = generate_private_key(algorithm)
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return der, private_key


def _record(encryptor: KeyEncryptor, algorithm: str = "ES256", generation: int = 1) -> SigningKeyRecord:
    der, private_key = _der(algorithm)
    kid = f"kid-{generation}"
    return SigningKeyRecord(
        kid=kid,
        generation=generation,
        algorithm=algorithm,
        public_jwk=public_jwk(private_key, algorithm, kid),  # type: ignore[arg-type]
        private_key=encryptor.seal(der, kid=kid, algorithm=algorithm, generation=generation),
        master_key_id=encryptor.key_id,
        created_at=NOW,
        activates_at=NOW,
    )


def legacy_blob(master_key: str, der: bytes, kid: str) -> str:
    """The first format: base64(nonce ‖ AES-GCM), associated data = the key id alone."""
    aead = AESGCM(derive_key(master_key, KeyEncryptor.PURPOSE))
    nonce = os.urandom(12)
    return base64.b64encode(nonce + aead.encrypt(nonce, der, kid.encode())).decode()


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
def test_sealed_keys_open_under_the_same_row(algorithm: str) -> None:
    encryptor = KeyEncryptor([K1])
    record = _record(encryptor, algorithm)
    assert record.private_key.startswith("v2:")
    assert encryptor.is_current(record)
    private_key = decrypt_private_key(encryptor, record)
    assert public_jwk(private_key, algorithm, record.kid) == record.public_jwk


@pytest.mark.parametrize(
    "change",
    [
        {"kid": "another-kid"},
        {"generation": 7},
        {"algorithm": "RS256"},
    ],
    ids=["kid", "generation", "algorithm"],
)
def test_a_sealed_key_moved_or_relabelled_does_not_open(change: dict[str, object]) -> None:
    encryptor = KeyEncryptor([K1])
    record = _record(encryptor)
    with pytest.raises(MasterKeyMismatch, match="its stored row was altered"):
        encryptor.open(replace(record, **change))  # type: ignore[arg-type]


def test_a_key_whose_published_half_is_not_its_own_is_refused() -> None:
    encryptor = KeyEncryptor([K1])
    record, other = _record(encryptor), _record(encryptor, generation=2)
    forged = replace(record, public_jwk={**other.public_jwk, "kid": record.kid})
    encryptor.open(forged)  # the ciphertext itself is intact…
    with pytest.raises(MasterKeyMismatch, match="not the public half"):
        decrypt_private_key(encryptor, forged)  # …but the key it publishes is another one


def test_the_first_format_still_opens_and_is_not_current() -> None:
    encryptor = KeyEncryptor([K1])
    der, private_key = _der("ES256")
    record = SigningKeyRecord(
        kid="legacy",
        generation=1,
        algorithm="ES256",
        public_jwk=public_jwk(private_key, "ES256", "legacy"),  # type: ignore[arg-type]
        private_key=legacy_blob(K1, der, "legacy"),
        master_key_id=encryptor.key_id,
        created_at=NOW,
        activates_at=NOW,
    )
    assert encryptor.open(record) == der
    assert not encryptor.is_current(record)


def test_a_key_under_an_unconfigured_master_key_names_the_fix() -> None:
    record = _record(KeyEncryptor([K1]))
    with pytest.raises(MasterKeyMismatch) as caught:
        KeyEncryptor([K2]).open(record)
    message = str(caught.value)
    assert message.startswith("TOKENSMITH_SECRET_KEY cannot decrypt the signing keys (kid kid-1 ")
    assert "TOKENSMITH_OLD_SECRET_KEYS" in message and "\n" not in message
    assert K1 not in message and K2 not in message
    # With the old key listed, the key opens and is reported as not current.
    rotated = KeyEncryptor([K2, K1])
    assert rotated.open(record) and not rotated.is_current(record)
    assert rotated.key_ids == [KeyEncryptor([K2]).key_id, KeyEncryptor([K1]).key_id]


def test_the_encryptor_keeps_no_master_key_string() -> None:
    encryptor = KeyEncryptor([K1, K2])
    for value in vars(encryptor).values():
        assert K1 not in repr(value) and K2 not in repr(value)
    assert all(isinstance(aead, AESGCM) for _, aead in encryptor._keys)  # noqa: SLF001
