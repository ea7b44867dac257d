"""Webhook signing secrets: generated in Standard Webhooks form and sealed at rest.

A secret is ``whsec_`` + base64 of 32 random bytes (Standard Webhooks, "Signature scheme":
secrets of 24 to 64 bytes, base64, prefixed ``whsec_``). Unlike the secrets Tokensmith *checks*,
which are kept only as keyed hashes, this one must be usable to *sign*, so it is kept encrypted:
AES-256-GCM (NIST SP 800-38D) under a master-key subkey, bound to its endpoint's id by the
associated data, tagged with the subkey's id so the master key can rotate.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tokensmith.core.secrets import derive_key, key_id_of

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_webhook_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _aad(endpoint_id: str) -> bytes:
    return b"tokensmith webhook secret v1\x00" + endpoint_id.encode()


class WebhookSecretBox:
    """Seals and opens webhook secrets under the master keys (the first one seals, any opens)."""

    PURPOSE = "tokensmith webhook secret v1"

    def __init__(self, master_keys: list[str]) -> None:
        derived = [derive_key(k, self.PURPOSE) for k in master_keys]
        self._keys = [(key_id_of(k), AESGCM(k)) for k in derived]
        self._by_id = dict(self._keys)

    def seal(self, secret: str, endpoint_id: str) -> str:
        key_id, aead = self._keys[0]
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, secret.encode(), _aad(endpoint_id))
        return key_id + ":" + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, endpoint_id: str) -> str:
        """The secret; ``ValueError`` when it was sealed under an unknown key or tampered with."""
        key_id, _, blob = sealed.partition(":")
        aead = self._by_id.get(key_id)
        if aead is None:
            raise ValueError("the webhook secret is sealed under a master key that is not configured")
        try:
            raw = base64.b64decode(blob, validate=True)
            return aead.decrypt(raw[:12], raw[12:], _aad(endpoint_id)).decode()
        except (InvalidTag, binascii.Error, UnicodeDecodeError):
            raise ValueError("the webhook secret cannot be opened") from None
