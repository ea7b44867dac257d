"""Rate limiting of failed client authentications (per client ID and per address).

Uses the ``limits`` library's moving window, in process by default and shared across
processes through Redis when ``TOKENSMITH_REDIS_URL`` is set.

* An address with too many failures is refused up front (429 + ``Retry-After``) until
  its window moves on — no database work for it meanwhile.
* A client ID with too many failures is refused only when the presented secret is also
  wrong: the real client, holding the right secret, is never locked out by someone
  guessing at its ID.
* Redis down or silent: the limits fail open (nothing is refused for want of a count), after
  at most :attr:`AuthFailureLimiter.REDIS_TIMEOUT_SECONDS`; then Redis is left alone for
  :attr:`AuthFailureLimiter.REDIS_RETRY_SECONDS`, so requests meanwhile pay no wait at all.
  Each outage is logged once (:mod:`tokensmith.services.limits_storage`).
"""

from __future__ import annotations

import functools
import math
import time

from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter

from tokensmith.services.limits_storage import FailOpenCounts


class AuthFailureLimiter(FailOpenCounts):
    WINDOW_SECONDS = 60.0
    MAX_TRACKED_ADDRESSES = 50_000
    STORAGE_NAME = "rate-limit storage"

    def __init__(self, per_minute: int, redis_url: str = "") -> None:
        super().__init__(redis_url)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._item = RateLimitItemPerMinute(per_minute)
        #: In-process mode: when each address last failed. An address with no failure in the
        #: window cannot be over the limit, so the common case skips the limiter entirely.
        self._last_failure: dict[str, float] = {}

    def _retry_after(self, *key: str) -> int:
        reset = self._count(lambda: self._limiter.get_window_stats(self._item, *key)[0], time.time())
        return max(1, math.ceil(reset - time.time()))

    def _exceeded(self, *key: str) -> bool:
        return self._count(lambda: not self._limiter.test(self._item, *key), False)

    def address_blocked(self, ip: str | None) -> int | None:
        """Seconds to wait when ``ip`` has failed too often, else ``None``."""
        if not ip:
            return None
        if not self._shared:
            last = self._last_failure.get(ip)
            if last is None or time.monotonic() - last > self.WINDOW_SECONDS:
                return None
        if self._exceeded("addr", ip):
            return self._retry_after("addr", ip)
        return None

    def client_blocked(self, client_id: str) -> int | None:
        if client_id and self._exceeded("client", client_id):
            return self._retry_after("client", client_id)
        return None

    def record_failure(self, client_id: str, ip: str | None) -> bool:
        """Count a failure; True when this failure crosses a limit (one audit event per burst)."""
        if ip and not self._shared:
            if len(self._last_failure) >= self.MAX_TRACKED_ADDRESSES:
                cutoff = time.monotonic() - self.WINDOW_SECONDS
                self._last_failure = {a: t for a, t in self._last_failure.items() if t > cutoff}
            self._last_failure[ip] = time.monotonic()
        crossed = False
        for key in (("client", client_id), ("addr", ip or "")):
            if key[1]:
                crossed = self._count(functools.partial(self._hit, *key), False) or crossed
        return crossed

    def _hit(self, *key: str) -> bool:
        """Count one failure under ``key``; True when it is the first over the limit."""
        if self._limiter.hit(self._item, *key) or self._limiter.get_window_stats(self._item, *key)[1] != 0:
            return False
        return bool(self._limiter.hit(RateLimitItemPerMinute(1), "burst", *key))

    def request_refused(self, name: str, ip: str | None, per_minute: int) -> int | None:
        """Count one request to the endpoint ``name`` from ``ip`` (every request, not failures:
        ``POST /api/credentials/revoke-leaked``); seconds to wait when it is over ``per_minute``."""
        if not ip:
            return None
        item = RateLimitItemPerMinute(per_minute)
        if self._count(lambda: self._limiter.hit(item, "requests", name, ip), True):
            return None
        reset = self._count(
            lambda: self._limiter.get_window_stats(item, "requests", name, ip)[0], time.time()
        )
        return max(1, math.ceil(reset - time.time()))
