"""The resource server's DPoP ``jti`` replay cache (RFC 9449 §11.1), in process.

Invariant: :meth:`ProofReplayCache.first_use` answers ``True`` once per key until the key's
deadline passes (when the proof's ``iat`` can no longer pass the window check anyway); two
threads racing with the same proof see one ``True``. Bounded: at ``max_entries`` the oldest
entries go first (those nearest their deadline). Several processes behind one load balancer
each keep their own; pass ``Verifier(dpop_replay=...)`` an object with the same method backed
by shared storage (Redis ``SET NX EX``) to share one.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["ProofReplayCache", "ReplayGuard"]


class ReplayGuard(Protocol):
    def first_use(self, key: str, ttl: float) -> bool:
        """Record ``key`` for ``ttl`` seconds; whether it was not recorded already."""
        ...


class ProofReplayCache:
    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[bytes, float] = {}

    def first_use(self, key: str, ttl: float) -> bool:
        digest = hashlib.sha256(key.encode("utf-8")).digest()[:16]
        now = self._clock()
        with self._lock:
            seen = self._seen
            while seen:
                oldest = next(iter(seen))
                if seen[oldest] > now and len(seen) < self._max:
                    break
                del seen[oldest]
            deadline = seen.get(digest)
            if deadline is not None and deadline > now:
                return False
            seen[digest] = now + ttl
            return True
