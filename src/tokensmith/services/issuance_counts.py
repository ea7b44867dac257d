"""Counting tokens issued per credential, across processes when Redis is configured.

The ``limits`` library (fixed windows), on the same storage choice as the failed-authentication
limits (:mod:`tokensmith.services.auth_failures`): Redis when ``TOKENSMITH_REDIS_URL`` is set,
so every process counts into one window; otherwise in process memory, so each process counts
alone (with ``--workers N`` a quota then admits up to N times its number: configure Redis where
that matters), in :class:`~tokensmith.services.local_windows.LocalWindows`. The database is not
used: counting there would add a write to every token.

Redis down or silent: counting fails open (no token is refused for want of a count) after at
most :attr:`IssuanceCounter.REDIS_TIMEOUT_SECONDS`, then Redis is left alone for
:attr:`IssuanceCounter.REDIS_RETRY_SECONDS`; each outage is logged once
(:mod:`tokensmith.services.limits_storage`).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from tokensmith.services.limits_storage import FailOpenCounts
from tokensmith.services.local_windows import LocalWindows


class IssuanceCounter(FailOpenCounts):
    STORAGE_NAME = "issuance counter storage"

    def __init__(self, redis_url: str = "") -> None:
        super().__init__(redis_url)
        self._limiter = FixedWindowRateLimiter(self._storage)

    def _local_storage(self) -> Storage:
        """Fixed windows with no sweeper thread: every issued token is counted here."""
        return LocalWindows()

    def hit(self, item: RateLimitItem, *key: str) -> bool:
        """Count one under ``key``; False when that is past ``item``'s limit (not counted then)."""
        return self._count(lambda: bool(self._limiter.hit(item, *key)), True)

    def retry_after(self, item: RateLimitItem, *key: str) -> int:
        """Whole seconds until ``key``'s window for ``item`` starts again (at least 1)."""
        reset = self._count(lambda: self._limiter.get_window_stats(item, *key).reset_time, time.time())
        return max(1, math.ceil(reset - time.time()))
