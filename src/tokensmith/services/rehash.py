"""Moving stored secret hashes to the current master key on their next successful use.

A hash made under a key now listed in ``TOKENSMITH_OLD_SECRET_KEYS`` still verifies
(:class:`~tokensmith.core.secrets.SecretHasher`). After a *successful* check the secret is
known, so its hash under the current key can replace the old one; once every live hash has
moved (``tokensmith keys status``), the old key can be removed.

The rules:

* only on the success path — a wrong secret never causes a write;
* never in the request: the replacement is noted in memory and written with the next
  last-used flush (:class:`~tokensmith.services.usage.UsageRecorder`, every few seconds and
  at shutdown), so a slow or locked database never delays an answer; a failed flush is
  logged by its caller and the next use notes the replacement again;
* one conditional ``UPDATE … WHERE hash = <old>`` per hash: concurrent flushes, or a
  regeneration of the secret meanwhile, leave the newest value in place. Its commit empties
  the lookup caches like any other write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection

from tokensmith.core import secrets as secret_format
from tokensmith.core.records import Credential, PersonalTokenRecord
from tokensmith.services.usage import UsageRecorder
from tokensmith.storage.repositories.secret_hashes import CredentialHashColumn, SecretHashRepository

log = logging.getLogger(__name__)
USAGE_KIND = "secret_rehash"
_SEPARATOR = "|"  # never in an id, a column name or a tagged hex hash


@dataclass(frozen=True)
class Replacement:
    table: str
    column: str
    object_id: str
    old: str
    new: str

    def encode(self) -> str:
        return _SEPARATOR.join((self.table, self.column, self.object_id, self.old, self.new))

    @classmethod
    def decode(cls, text: str) -> Replacement:
        table, column, object_id, old, new = text.split(_SEPARATOR)
        return cls(table, column, object_id, old, new)


def apply_replacements(connection: Connection, noted: dict[str, tuple[datetime, str | None]]) -> None:
    """The usage flusher: one conditional update per noted replacement (stateless, so it can be
    registered by every service that notes replacements)."""
    repo = SecretHashRepository(connection)
    moved = 0
    for text in noted:
        item = Replacement.decode(text)
        if item.table == "credentials" and item.column in ("secret_hash", "previous_secret_hash"):
            column: CredentialHashColumn = (
                "secret_hash" if item.column == "secret_hash" else "previous_secret_hash"
            )
            moved += repo.replace_credential_hash(item.object_id, column, item.old, item.new)
        elif item.table == "personal_tokens":
            moved += repo.replace_personal_token_hash(item.object_id, item.old, item.new)
    if moved:
        log.info("moved %d stored secret hash(es) to the current master key", moved)


class Rehasher:
    """Notes, after a successful check, that a stored hash should move to the current key."""

    def __init__(self, hasher: secret_format.SecretHasher, usage: UsageRecorder) -> None:
        self._hasher = hasher
        self._usage = usage
        usage.register(USAGE_KIND, apply_replacements)

    def credential_used(self, credential: Credential, secret: str, now: datetime) -> None:
        """``secret`` just authenticated ``credential`` (by its current or its previous secret)."""
        hasher = self._hasher
        current, previous = credential.secret_hash, credential.previous_secret_hash
        if not hasher.needs_rehash(current) and (previous is None or not hasher.needs_rehash(previous)):
            return  # the hot path: every hash is already under the current key
        if hasher.needs_rehash(current) and hasher.verify(secret, current):
            self._note(
                Replacement("credentials", "secret_hash", credential.id, current, hasher.hash(secret)), now
            )
        elif previous is not None and hasher.needs_rehash(previous) and hasher.verify(secret, previous):
            self._note(
                Replacement(
                    "credentials", "previous_secret_hash", credential.id, previous, hasher.hash(secret)
                ),
                now,
            )

    def personal_token_used(self, token: PersonalTokenRecord, plain: str, now: datetime) -> None:
        """``plain`` (which hashes to ``token.token_hash`` under some known key) just authenticated."""
        if self._hasher.needs_rehash(token.token_hash):
            self._note(
                Replacement(
                    "personal_tokens", "token_hash", token.id, token.token_hash, self._hasher.hash(plain)
                ),
                now,
            )

    def _note(self, replacement: Replacement, now: datetime) -> None:
        self._usage.note(USAGE_KIND, replacement.encode(), now)
