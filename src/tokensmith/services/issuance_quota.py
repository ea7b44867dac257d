"""Issuance quotas: at most ``credential_tokens_per_hour`` tokens per credential per hour, from
the organisation's policy (:class:`~tokensmith.core.records.OrgPolicy`).

Windows are fixed hours per credential, each starting with the credential's first token in
it (:mod:`tokensmith.services.issuance_counts` says where they are counted). A request past
the quota is refused with :class:`~tokensmith.core.errors.IssuanceQuotaExceeded`: HTTP 429
with ``Retry-After`` (RFC 6585 §4, RFC 9110 §10.2.3) — the seconds until the credential's
window starts again — and an RFC 6749 §5.2 error body. A token answered by token reuse
(:mod:`tokensmith.services.token_reuse`) mints nothing and is not counted: reuse is the
remedy for a client that asks too often.
"""

from __future__ import annotations

from limits import RateLimitItemPerHour

from tokensmith.core.errors import IssuanceQuotaExceeded
from tokensmith.core.records import Credential, OrgPolicy
from tokensmith.services.issuance_counts import IssuanceCounter
from tokensmith.storage.inline import ensure_may_block


class IssuanceQuota:
    def __init__(self, counter: IssuanceCounter) -> None:
        self._counter = counter

    def take(self, credential: Credential, policy: OrgPolicy) -> None:
        """Count one token for ``credential``, or raise when its hour's quota is used up."""
        per_hour = policy.credential_tokens_per_hour
        if per_hour is None:
            return
        # Counted before minting, so a mint that must move to a worker thread (WouldBlock) would
        # count twice if this ran inline first: a quota'd credential is always counted off the loop.
        ensure_may_block()
        item = RateLimitItemPerHour(per_hour)
        if not self._counter.hit(item, "quota", credential.id):
            raise IssuanceQuotaExceeded(
                self._counter.retry_after(item, "quota", credential.id),
                detail=f"credential {credential.client_id} over {per_hour} tokens per hour",
            )
