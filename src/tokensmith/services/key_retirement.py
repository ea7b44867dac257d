"""What still depends on an old master key (``tokensmith keys status``).

A master key listed in ``TOKENSMITH_OLD_SECRET_KEYS`` can be removed once nothing live
needs it:

* no signing key is encrypted under it (``tokensmith keys rewrap`` moves them all at once);
* no live stored hash is tagged with it. Client secrets and personal tokens move to the
  current key on their next successful use (:mod:`tokensmith.services.rehash`); opaque access
  tokens and dashboard sessions are not moved, they expire (their latest expiry is reported).

A secret that is never used again keeps its old hash for ever. The report names those
records (:attr:`RetirementStatus.holders`): regenerate them (or revoke them), wait until they
expire, or keep the old key. Removing the old key early makes them fail to authenticate,
nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokensmith.core.clock import Clock
from tokensmith.core.secrets import SecretHasher
from tokensmith.services.key_encryption import KeyEncryptionInfo
from tokensmith.services.keyring import KeyRing
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.secret_hashes import HashHolder, SecretHashRepository

HOLDERS_LIMIT = 50


@dataclass(frozen=True)
class MasterKeyUsage:
    """One configured master key and what still uses it.

    A master key has two public ids, one per subkey: ``hash_key_id`` tags stored hashes,
    ``signing_key_id`` is the ``master_key_id`` of the signing keys encrypted under it.
    """

    role: str  # "current" or "old"
    hash_key_id: str
    signing_key_id: str
    signing_keys: int
    #: ``{kind: live hashes}`` tagged with this key.
    hashes: dict[str, int]

    @property
    def total_hashes(self) -> int:
        return sum(self.hashes.values())


@dataclass(frozen=True)
class RetirementStatus:
    master_keys: list[MasterKeyUsage]
    signing_keys: list[KeyEncryptionInfo]
    #: Live hashes tagged with a key that is not configured (they can no longer authenticate).
    unusable_hashes: dict[str, dict[str, int]]
    #: Latest expiry of the self-expiring kinds still under an old key.
    expire_by: dict[str, datetime | None]
    #: Credentials and personal tokens still under an old key (at most ``HOLDERS_LIMIT`` per kind).
    holders: list[HashHolder]

    @property
    def current(self) -> MasterKeyUsage:
        return self.master_keys[0]

    @property
    def old(self) -> list[MasterKeyUsage]:
        return self.master_keys[1:]

    @property
    def signing_keys_to_rewrap(self) -> int:
        return sum(1 for k in self.signing_keys if not k.current)

    @property
    def hashes_under_old_keys(self) -> int:
        return sum(k.total_hashes for k in self.old)

    @property
    def ready_to_retire(self) -> bool:
        """True when emptying ``TOKENSMITH_OLD_SECRET_KEYS`` breaks nothing live."""
        return self.signing_keys_to_rewrap == 0 and self.hashes_under_old_keys == 0


def retirement_status(
    database: Database, clock: Clock, hasher: SecretHasher, keyring: KeyRing
) -> RetirementStatus:
    now = clock.now()
    hash_ids, signing_ids = hasher.key_ids, keyring.master_key_ids
    with database.transaction() as connection:
        repo = SecretHashRepository(connection)
        counts = repo.counts_by_key_id(now)
        old_ids = hash_ids[1:]
        expire_by = repo.latest_expiry(now, old_ids)
        holders = repo.holders(now, old_ids, HOLDERS_LIMIT)
    encryption = keyring.encryption()
    usage = [
        MasterKeyUsage(
            "current" if i == 0 else "old",
            hash_id,
            signing_id,
            sum(1 for k in encryption if k.master_key_id == signing_id),
            {kind: per_key.get(hash_id, 0) for kind, per_key in counts.items()},
        )
        for i, (hash_id, signing_id) in enumerate(zip(hash_ids, signing_ids, strict=True))
    ]
    unusable = {
        kind: {k: n for k, n in per_key.items() if k not in hash_ids} for kind, per_key in counts.items()
    }
    return RetirementStatus(usage, encryption, {k: v for k, v in unusable.items() if v}, expire_by, holders)
