"""One-time reveals: how a dashboard POST's result, and the secret it made, reach the GET page.

Every dashboard create, regenerate and delete answers with a redirect (post/redirect/get), so a
reload, the back button or a second click never repeats it. Two things have to survive that
redirect, and this service keeps both server-side, for minutes:

* **The form's outcome.** Each form carries a one-time nonce. :meth:`RevealService.claim`
  records ``(session, nonce)`` before the action runs (a unique key, so of two concurrent POSTs
  exactly one wins); the loser — a double click, a resubmitted form — waits briefly for the
  winner's result URL and is sent there instead of acting again.
* **A new secret** (client secret, generated access token, account token, the Test API Call's
  token and answer). :meth:`RevealService.complete` seals it with AES-256-GCM under a subkey
  of the server master key (HKDF-SHA256, purpose :data:`PURPOSE`), the associated data binding
  the ciphertext to the reveal id *and* the session that made it. :meth:`RevealService.reveal`
  clears the ciphertext in the transaction that reads it: the first view shows the secret, any
  later one (reload, back button, another tab, another session) learns only that it was shown.
  Rows expire after :data:`TTL_SECONDS`; expired rows are deleted whenever a new one is made.

The plaintext therefore exists in the database never, and in ciphertext for at most
:data:`TTL_SECONDS` and only until it is first shown. Views are not audited (the action was).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError

from tokensmith.core.clock import Clock
from tokensmith.core.secrets import derive_key
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.reveals import RevealRepository, RevealRow

#: How long a result and its sealed secret are kept (the pages say so).
TTL_SECONDS = 600
#: How long a duplicate submission waits for the first one's result.
DUPLICATE_WAIT_SECONDS = 5.0
#: The HKDF purpose label of the reveal subkey (never reused for anything else).
PURPOSE = "tokensmith one-time reveal v1"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Claim:
    """A form submission's place: ``fresh`` means "do the action"; otherwise ``result_url`` is
    where the first submission's result is (``None`` if it is still being made)."""

    reveal_id: str
    session_hash: str
    fresh: bool
    result_url: str | None = None


def new_form_nonce() -> str:
    """The one-time nonce a form carries (128 random bits)."""
    return secrets.token_urlsafe(16)


def associated_data(reveal_id: str, session_hash: str) -> bytes:
    """What a sealed secret is bound to: its own row and the session that made it."""
    return b"tokensmith reveal v1\x00" + reveal_id.encode() + b"\x00" + session_hash.encode()


class RevealService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        master_keys: list[str],
        *,
        ttl_seconds: int = TTL_SECONDS,
        duplicate_wait_seconds: float = DUPLICATE_WAIT_SECONDS,
    ) -> None:
        self._db = database
        self._clock = clock
        # Current key first; a retired one still opens what it sealed minutes ago.
        self._aeads = [AESGCM(derive_key(key, PURPOSE)) for key in master_keys]
        self._ttl = timedelta(seconds=ttl_seconds)
        self._wait = duplicate_wait_seconds

    @property
    def ttl_minutes(self) -> int:
        return max(1, int(self._ttl.total_seconds()) // 60)

    def claim(self, session_hash: str, form_nonce: str) -> Claim:
        """Record this submission of a form, or find the earlier one with the same nonce.

        A missing or malformed nonce (a client that is not the dashboard's form) gets a fresh
        one: it can never be a duplicate, and it still goes through post/redirect/get.
        """
        nonce = form_nonce if _NONCE.match(form_nonce) else new_form_nonce()
        now = self._clock.now()
        row = RevealRow(secrets.token_urlsafe(24), session_hash, nonce, None, None, now, now + self._ttl)
        try:
            with self._db.transaction() as connection:
                repo = RevealRepository(connection)
                repo.delete_expired(now)
                repo.insert(row)
            return Claim(row.id, session_hash, fresh=True)
        except IntegrityError:
            return self._first(session_hash, nonce)

    def _first(self, session_hash: str, nonce: str) -> Claim:
        deadline = time.monotonic() + self._wait
        while True:
            with self._db.transaction() as connection:
                first = RevealRepository(connection).by_nonce(session_hash, nonce)
            if first is None:  # the first submission failed and was released: this one may act
                return self.claim(session_hash, nonce)
            if first.result_url is not None or time.monotonic() >= deadline:
                return Claim(first.id, session_hash, fresh=False, result_url=first.result_url)
            time.sleep(0.05)

    def complete(self, claim: Claim, result_url: str, secret: dict[str, Any] | None = None) -> None:
        """The action succeeded: its result is at ``result_url``; ``secret`` is sealed for one view."""
        sealed = None
        if secret is not None:
            nonce = secrets.token_bytes(12)
            plain = json.dumps(secret, separators=(",", ":")).encode()
            aad = associated_data(claim.reveal_id, claim.session_hash)
            sealed = base64.b64encode(nonce + self._aeads[0].encrypt(nonce, plain, aad)).decode()
        with self._db.transaction() as connection:
            RevealRepository(connection).complete(claim.reveal_id, result_url, sealed)

    def release(self, claim: Claim) -> None:
        """The action failed: forget the submission, so the same form may be sent again."""
        with self._db.transaction() as connection:
            RevealRepository(connection).delete(claim.reveal_id)

    def reveal(self, reveal_id: str, session_hash: str) -> dict[str, Any] | None:
        """The sealed secret, once; ``None`` when it was shown, expired, or is another session's."""
        with self._db.transaction() as connection:
            repo = RevealRepository(connection)
            row = repo.get(reveal_id, session_hash)
            if row is None or row.expires_at <= self._clock.now():
                return None
            sealed = repo.take_sealed(reveal_id, session_hash)
        if sealed is None:
            return None
        return self._open(sealed, associated_data(reveal_id, session_hash))

    def _open(self, sealed: str, aad: bytes) -> dict[str, Any] | None:
        try:
            raw = base64.b64decode(sealed, validate=True)
        except (ValueError, binascii.Error):
            return None
        for aead in self._aeads:
            try:
                value = json.loads(aead.decrypt(raw[:12], raw[12:], aad))
            except InvalidTag:
                continue
            return value if isinstance(value, dict) else None
        return None
