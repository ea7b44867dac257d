"""Credentials that request far more tokens than their token lifetime needs.

A client that caches its token needs about one per token lifetime; one that asks for a new
token on every call needs thousands, each of which stays valid until it expires. When a
credential is issued more than ``threshold`` tokens within one of its token lifetimes
(``TOKENSMITH_OVERISSUE_THRESHOLD``, default 20), each further token counts in the
``tokensmith_token_overissue_total`` metric, and an audit event
``credential.token_overissue`` tells the organisation — at most once per credential per hour
(:attr:`OverissueWatch.AUDIT_EVERY`), so a misbehaving client does not flood the audit log.
The event is written in a thread of its own: the token response never waits for it.

Windows are fixed, counted like the issuance quota (:mod:`tokensmith.services.issuance_counts`:
Redis when configured, else per process). The remedy is the client caching its token, or the
credential's ``reuse_tokens`` opt-in (:mod:`tokensmith.services.token_reuse`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import KW_ONLY, dataclass
from typing import ClassVar

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerSecond

from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.records import Credential
from tokensmith.metrics import NO_METRICS, Metrics
from tokensmith.services.audit import AuditLog, Target
from tokensmith.services.issuance_counts import IssuanceCounter
from tokensmith.storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class OverissueWatch:
    AUDIT_EVERY: ClassVar[RateLimitItem] = RateLimitItemPerHour(1)

    counter: IssuanceCounter
    database: Database
    audit: AuditLog
    _: KW_ONLY
    threshold: int
    metrics: Metrics = NO_METRICS

    def minted(self, credential: Credential) -> None:
        """A token was just minted for ``credential``: count it, and report it past the threshold."""
        window = RateLimitItemPerSecond(self.threshold, max(60, credential.token_ttl))
        if self.counter.hit(window, "overissue", credential.id):
            return
        self.metrics.token_overissue()
        if self.counter.hit(self.AUDIT_EVERY, "overissue-audit", credential.id):
            threading.Thread(
                target=self._record, args=(credential,), name="tokensmith-overissue-audit", daemon=True
            ).start()

    def _record(self, credential: Credential) -> None:
        actor = Actor(method=AuthMethod.SYSTEM, transport=Transport.OAUTH)
        try:
            with self.database.transaction() as connection:
                self.audit.about(
                    connection,
                    actor,
                    "credential.token_overissue",
                    Target.credential(credential),
                    {
                        "threshold": self.threshold,
                        "token_ttl": credential.token_ttl,
                        "advice": "cache the token until it expires, or turn on reuse_tokens",
                    },
                )
        except Exception:  # noqa: BLE001 - a report must never break issuance
            log.warning("could not record a credential's token over-issue in the audit log")
