"""The one module that owns every secret Tokensmith mints: generation, hints and keyed hashes.

The wire format and its checksum are defined once in :mod:`tokensmith.token_format` (stdlib only,
so that :mod:`tokensmith.verify` checks a token's checksum locally without the server) and
re-exported here. A secret is ``<prefix><body><checksum>``:

* ``body`` — 30 characters of base62 from :mod:`secrets` (≈178 bits of entropy);
* ``checksum`` — CRC32 of ``prefix + body`` in base62, zero-padded to 6 characters, so a
  scanner can recognise a real token offline and the server can reject garbage before it
  touches the database.

At rest only a keyed hash is kept: HMAC-SHA256 under a key derived from the server's master
key, tagged with that key's id so the master key can rotate (:class:`SecretHasher`). The
secrets are machine-generated and high-entropy, so a password hash would add cost, not
safety.

Retiring a master key: a hash made under an old key (``TOKENSMITH_OLD_SECRET_KEYS``) still
verifies, and :meth:`SecretHasher.needs_rehash` tells the caller, after a *successful* check,
that the stored form should be replaced by :meth:`SecretHasher.hash` (a conditional update,
see :mod:`tokensmith.services.rehash`). A hash tagged with a key that is no longer configured
never verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from tokensmith.token_format import BASE62 as BASE62
from tokensmith.token_format import BODY_LENGTH as BODY_LENGTH
from tokensmith.token_format import CHECKSUM_LENGTH as CHECKSUM_LENGTH
from tokensmith.token_format import checksum as checksum
from tokensmith.token_format import is_well_formed as is_well_formed

#: The format itself (alphabet, lengths, checksum) is :mod:`tokensmith.token_format`, shared with
#: the verifier; this module generates, hints and hashes.
#: The longest token (of any kind) worth looking at; anything longer is refused unread.
MAX_PRESENTED_TOKEN_LENGTH = 8192
#: Length of a master key id, the tag before ``:`` in every stored hash.
KEY_ID_LENGTH = 8


def generate(prefix: str) -> str:
    """A fresh secret with ``prefix``."""
    body = "".join(secrets.choice(BASE62) for _ in range(BODY_LENGTH))
    return prefix + body + checksum(prefix + body)


def hint(secret: str, prefix: str) -> str:
    """A non-secret reminder of a secret (prefix and last four characters)."""
    return f"{prefix}…{secret[-4:]}"


@dataclass(frozen=True)
class HashKey:
    key_id: str
    key: bytes


def derive_key(master_key: str, purpose: str) -> bytes:
    """A 32-byte subkey of ``master_key`` for one ``purpose`` (HKDF-SHA256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        master_key.encode("utf-8")
    )


def key_id_of(key: bytes) -> str:
    """The public id of a derived subkey (8 characters of base32 of a SHA-256 of it)."""
    return (
        base64.b32encode(hashlib.sha256(b"tokensmith-key-id" + key).digest()).decode()[:KEY_ID_LENGTH].lower()
    )


def hash_key_id(stored: str) -> str:
    """The key id a stored hash is tagged with (``""`` if it has none)."""
    key_id, separator, _ = stored.partition(":")
    return key_id if separator else ""


class SecretHasher:
    """HMAC-SHA256 of secrets, tagged ``<key id>:<hex digest>``.

    The first key hashes new secrets; every key verifies, so retiring a master key
    (``TOKENSMITH_OLD_SECRET_KEYS``) never strands existing secrets. Only the derived 32-byte
    subkeys are kept, never the master key strings.
    """

    PURPOSE = "tokensmith secret hash v1"

    def __init__(self, master_keys: list[str]) -> None:
        if not master_keys:
            raise ValueError("at least one master key is required")
        keys = [derive_key(k, self.PURPOSE) for k in master_keys]
        self._keys = [HashKey(key_id_of(k), k) for k in keys]
        self._by_id = {k.key_id: k for k in self._keys}
        self._current_tag = self._keys[0].key_id + ":"
        self._dummy = self.hash("tokensmith-dummy-" + secrets.token_hex(16))

    @property
    def key_ids(self) -> list[str]:
        """Every configured key id, current first."""
        return [k.key_id for k in self._keys]

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` is not tagged with the current key.

        Ask only after :meth:`verify` succeeded with ``stored``: then the secret is known and
        :meth:`hash` gives its stored form under the current key.
        """
        return not stored.startswith(self._current_tag)

    def hash(self, secret: str) -> str:
        key = self._keys[0]
        return key.key_id + ":" + hmac.new(key.key, secret.encode("utf-8"), hashlib.sha256).hexdigest()

    @property
    def key_count(self) -> int:
        return len(self._keys)

    def candidates(self, secret: str) -> list[str]:
        """The stored form of ``secret`` under every known key (for lookups by hash)."""
        encoded = secret.encode("utf-8")
        return [k.key_id + ":" + hmac.new(k.key, encoded, hashlib.sha256).hexdigest() for k in self._keys]

    def verify(self, secret: str, stored: str | None) -> bool:
        """Constant-time check of ``secret`` against ``stored``.

        With ``stored=None`` (unknown client) a comparison against a dummy hash still runs,
        so "unknown client" and "wrong secret" take the same time.
        """
        target = stored if stored is not None else self._dummy
        key_id, _, digest = target.partition(":")
        key = self._by_id.get(key_id)
        if key is None:  # tagged with a key we do not know: compute anyway (timing), then refuse
            key, stored = self._keys[0], None
        computed = hmac.new(key.key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return hmac.compare_digest(computed, digest) and stored is not None
