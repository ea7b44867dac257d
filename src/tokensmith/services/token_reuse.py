"""Token reuse: a credential that opts in (``reuse_tokens``) is answered with the still-valid
token already issued for the same scope and audience, instead of a new one each time.

For clients that do not cache their token (the asks in Hydra's and Auth0's trackers): each
request would otherwise mint, sign and — for opaque tokens — store another token, and every
token ever issued stays valid until it expires. With reuse they get the same token back.

Rules:

* Same credential *version*: a key includes the credential's secret hash and ``updated_at``,
  so a rotated secret, a rename or any other change starts afresh; so do a different scope set, audience,
  format or lifetime.
* Enough life left: a token is reused only while at least half its lifetime (and at least
  :attr:`TokenReuse.MIN_REMAINING_SECONDS`) remains; ``expires_in`` is what is left
  (RFC 6749 §5.1), so a caching client still refreshes in time. Each process so issues at
  most about two tokens per lifetime per scope set.
* Never revoked: before a token is handed out again its state is read from the database (an
  RFC 7009 revocation of a JWT is recorded by ``jti``; a revoked or purged opaque token has
  no row any more). A revoked token is forgotten and a new one minted.
* Only the token endpoint reuses: a person generating a token in the dashboard gets a new one.

Security trade-off (docs/metrics.md, "Token reuse"): the plain token is kept in this
process's memory for its lifetime (never in the database or a log) — the same exposure as
the response that carried it, but for longer; and every caller holding the credential's
secret gets the *same* token, so revoking it affects them all and tokens can no longer tell
two callers apart by ``jti``. Memory is per process: with ``--workers N`` up to N tokens
are live at a time.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import ClassVar

from tokensmith.core.clock import Clock
from tokensmith.core.records import Credential, TokenFormat
from tokensmith.core.secrets import SecretHasher
from tokensmith.metrics import NO_METRICS, Metrics
from tokensmith.services.minting import IssuedToken
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository


@dataclass(frozen=True)
class _Key:
    credential_id: str
    secret_hash: str
    version: datetime
    scopes: frozenset[str]
    audience: str
    token_format: TokenFormat
    ttl: int


@dataclass(slots=True, eq=False)
class TokenReuse:
    MIN_REMAINING_SECONDS: ClassVar[int] = 60
    MAX_ENTRIES: ClassVar[int] = 10_000

    database: Database
    clock: Clock
    hasher: SecretHasher
    _: KW_ONLY
    audience: str
    metrics: Metrics = NO_METRICS
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _kept: dict[_Key, IssuedToken] = field(default_factory=dict, init=False, repr=False)

    def _key(self, credential: Credential, scopes: frozenset[str]) -> _Key:
        return _Key(
            credential.id,
            credential.secret_hash,
            credential.updated_at,
            scopes,
            self.audience,
            credential.token_format,
            credential.token_ttl,
        )

    def find(self, credential: Credential, scopes: frozenset[str]) -> IssuedToken | None:
        """The token to hand out again for ``credential`` and ``scopes``, if there is one."""
        if not credential.reuse_tokens:
            return None
        key = self._key(credential, scopes)
        kept = self._kept.get(key)
        if kept is None:
            return None
        remaining = int((kept.expires_at - self.clock.now()).total_seconds())
        if remaining < max(self.MIN_REMAINING_SECONDS, credential.token_ttl // 2) or self._revoked(
            kept, credential.token_format
        ):
            self._forget(key, kept)
            return None
        self.metrics.token_reused()
        return dataclasses.replace(kept, expires_in=remaining)

    def keep(self, credential: Credential, scopes: frozenset[str], issued: IssuedToken) -> None:
        """Remember a token just minted for ``credential`` (when it opted in)."""
        if not credential.reuse_tokens:
            return
        now = self.clock.now()
        with self._lock:
            if len(self._kept) >= self.MAX_ENTRIES:
                self._kept = {k: t for k, t in self._kept.items() if t.expires_at > now}
                if len(self._kept) >= self.MAX_ENTRIES:
                    self._kept = {}
            self._kept[self._key(credential, scopes)] = issued

    def _forget(self, key: _Key, kept: IssuedToken) -> None:
        with self._lock:
            if self._kept.get(key) is kept:
                del self._kept[key]

    def _revoked(self, kept: IssuedToken, token_format: TokenFormat) -> bool:
        with self.database.transaction() as connection:
            repo = AccessTokenRepository(connection)
            if token_format is TokenFormat.OPAQUE:
                return repo.by_hashes(self.hasher.candidates(kept.access_token)) is None
            return repo.is_revoked(kept.jti)
