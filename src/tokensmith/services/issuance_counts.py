"""Counting tokens issued per credential, across processes when Redis is configured.

The ``limits`` library (fixed windows), on the same storage choice as the failed-authentication
limits (:mod:`tokensmith.services.auth_failures`): Redis when ``TOKENSMITH_REDIS_URL`` is set,
so every process counts into one window; otherwise in process memory, so each process counts
alone (with ``--workers N`` a quota then admits up to N times its number: configure Redis where
that matters). The database is not used: counting there would add a write to every token.

Redis down or silent: counting fails open (no token is refused for want of a count) after at
most :attr:`IssuanceCounter.REDIS_TIMEOUT_SECONDS`, then Redis is left alone for
:attr:`IssuanceCounter.REDIS_RETRY_SECONDS`; each outage is logged once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from tokensmith.storage.inline import ensure_may_block

log = logging.getLogger(__name__)
T = TypeVar("T")


class IssuanceCounter:
    REDIS_TIMEOUT_SECONDS = 0.5
    REDIS_RETRY_SECONDS = 5.0

    def __init__(self, redis_url: str = "") -> None:
        self._shared = bool(redis_url)
        if self._shared:
            storage = storage_from_string(
                redis_url,
                socket_timeout=self.REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=self.REDIS_TIMEOUT_SECONDS,
            )
        else:
            storage = storage_from_string("memory://")
        self._storage = storage
        self._limiter = FixedWindowRateLimiter(storage)
        self._down_until = 0.0

    def _count(self, call: Callable[[], T], fail_open: T) -> T:
        if not self._shared:
            return call()
        if time.monotonic() < self._down_until:
            return fail_open
        ensure_may_block()  # a Redis round trip never runs on the event loop
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - counter storage down: fail open, loudly
            self._down_until = time.monotonic() + self.REDIS_RETRY_SECONDS
            log.warning(
                "issuance counter storage (Redis) unavailable (%s); failing open for %.0f s",
                type(exc).__name__,
                self.REDIS_RETRY_SECONDS,
            )
            return fail_open

    def hit(self, item: RateLimitItem, *key: str) -> bool:
        """Count one under ``key``; False when that is past ``item``'s limit (not counted then)."""
        return self._count(lambda: bool(self._limiter.hit(item, *key)), True)

    def retry_after(self, item: RateLimitItem, *key: str) -> int:
        """Whole seconds until ``key``'s window for ``item`` starts again (at least 1)."""
        reset = self._count(lambda: self._limiter.get_window_stats(item, *key).reset_time, time.time())
        return max(1, math.ceil(reset - time.time()))

    def reset(self) -> None:
        self._storage.reset()
