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
from tokensmith.services.keys import KeyEncryptionInfo, KeyRing
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.secret_hashes import HashHolder, SecretHashRepository

HOLDERS_LIMIT = 50


@dataclass(frozen=True)
class RetirementStatus:
    current_key_id: str
    old_key_ids: list[str]
    signing_keys: list[KeyEncryptionInfo]
    #: ``{kind: {key id: live hashes}}``, every key id seen (configured or not).
    hashes: dict[str, dict[str, int]]
    #: Latest expiry of the self-expiring kinds still under a non-current key.
    expire_by: dict[str, datetime | None]
    holders: list[HashHolder]

    @property
    def signing_keys_to_rewrap(self) -> int:
        return sum(1 for k in self.signing_keys if not k.current)

    def hashes_under_old_keys(self) -> dict[str, int]:
        """Live hashes per non-current key id (configured old keys and unknown ones)."""
        totals: dict[str, int] = {}
        for per_key in self.hashes.values():
            for key_id, n in per_key.items():
                if key_id != self.current_key_id:
                    totals[key_id] = totals.get(key_id, 0) + n
        return totals

    @property
    def ready_to_retire(self) -> bool:
        """True when emptying ``TOKENSMITH_OLD_SECRET_KEYS`` breaks nothing live."""
        return self.signing_keys_to_rewrap == 0 and not any(self.hashes_under_old_keys().values())


def retirement_status(
    database: Database, clock: Clock, hasher: SecretHasher, keyring: KeyRing
) -> RetirementStatus:
    now = clock.now()
    current, old = hasher.current_key_id, hasher.key_ids[1:]
    with database.transaction() as connection:
        repo = SecretHashRepository(connection)
        hashes = repo.counts_by_key_id(now)
        stale = sorted({k for per_key in hashes.values() for k in per_key if k != current})
        expire_by = repo.latest_expiry(now, stale)
        holders = repo.holders(now, stale, HOLDERS_LIMIT)
    return RetirementStatus(current, old, keyring.encryption(), hashes, expire_by, holders)
