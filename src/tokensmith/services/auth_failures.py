"""Rate limiting of failed client authentications (per client ID and per address).

Uses the ``limits`` library's moving window, in process by default and shared across
processes through Redis when ``TOKENSMITH_REDIS_URL`` is set.

* An address with too many failures is refused up front (429 + ``Retry-After``) until
  its window moves on — no database work for it meanwhile.
* A client ID with too many failures is refused only when the presented secret is also
  wrong: the real client, holding the right secret, is never locked out by someone
  guessing at its ID.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from tokensmith.storage.inline import ensure_may_block

log = logging.getLogger(__name__)


class AuthFailureLimiter:
    WINDOW_SECONDS = 60.0
    MAX_TRACKED_ADDRESSES = 50_000

    def __init__(self, per_minute: int, redis_url: str = "") -> None:
        uri = redis_url if redis_url else "memory://"
        self._shared = bool(redis_url)
        self._storage = storage_from_string(uri)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._item = RateLimitItemPerMinute(per_minute)
        #: In-process mode: when each address last failed. An address with no failure in the
        #: window cannot be over the limit, so the common case skips the limiter entirely.
        self._last_failure: dict[str, float] = {}

    def _may_block(self) -> None:
        """Redis is a network round trip: never on the event loop (storage.inline)."""
        if self._shared:
            ensure_may_block()

    def _retry_after(self, *key: str) -> int:
        self._may_block()
        try:
            reset, _remaining = self._limiter.get_window_stats(self._item, *key)
        except Exception:  # noqa: BLE001 - limiter storage down: fail open, loudly
            return 1
        return max(1, math.ceil(reset - time.time()))

    def _exceeded(self, *key: str) -> bool:
        self._may_block()
        try:
            return not self._limiter.test(self._item, *key)
        except Exception:  # noqa: BLE001
            log.warning("rate-limit storage unavailable; failing open")
            return False

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
        self._may_block()
        if ip and not self._shared:
            if len(self._last_failure) >= self.MAX_TRACKED_ADDRESSES:
                cutoff = time.monotonic() - self.WINDOW_SECONDS
                self._last_failure = {a: t for a, t in self._last_failure.items() if t > cutoff}
            self._last_failure[ip] = time.monotonic()
        crossed = False
        for key in (("client", client_id), ("addr", ip or "")):
            if not key[1]:
                continue
            try:
                allowed = self._limiter.hit(self._item, *key)
                if not allowed and self._limiter.get_window_stats(self._item, *key)[1] == 0:
                    crossed = crossed or self._first_overflow(*key)
            except Exception:  # noqa: BLE001
                log.warning("rate-limit storage unavailable; failing open")
        return crossed

    def _first_overflow(self, *key: str) -> bool:
        marker = RateLimitItemPerMinute(1)
        try:
            return bool(self._limiter.hit(marker, "burst", *key))
        except Exception:  # noqa: BLE001
            return False

    def reset(self) -> None:
        self._storage.reset()
