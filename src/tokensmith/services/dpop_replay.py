"""The DPoP ``jti`` replay cache (RFC 9449 §11.1): each proof is accepted once.

Invariant: a ``(htu, jti)`` pair answered ``True`` by :meth:`ReplayCache.first_use` is answered
``False`` by every later call in this process until its time-to-live passes (the moment its
``iat`` can no longer pass the window check), and — with Redis — in every process sharing it.

* In process: the resource server's own cache (:class:`tokensmith.verify.dpop_replay.ProofReplayCache`),
  a dict of 128-bit digests to monotonic deadlines under one lock, so two threads presenting the
  same proof at once see exactly one ``True``. Entries leave in insertion order as they expire; at
  :attr:`ReplayCache.MAX_ENTRIES` the oldest are dropped (each is near its deadline then, and the
  iat window still bounds what a replay can achieve).
* With ``TOKENSMITH_REDIS_URL``: ``SET key 1 NX EX ttl`` — atomic across processes. The round
  trip never runs on the event loop (:func:`~tokensmith.storage.inline.ensure_may_block` comes
  before anything is recorded, so a call retried in a worker thread is not a replay of itself).
  Redis down or silent: like the rate limiter, the cache degrades rather than refusing every
  proof — it falls back to the in-process cache (a replay to the *same* process is still caught)
  for :attr:`ReplayCache.REDIS_RETRY_SECONDS`, logged once per outage.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from tokensmith.storage.inline import ensure_may_block
from tokensmith.verify.dpop_replay import ProofReplayCache

log = logging.getLogger(__name__)


class ReplayCache:
    MAX_ENTRIES = 1_000_000
    REDIS_TIMEOUT_SECONDS = 0.5
    REDIS_RETRY_SECONDS = 5.0
    KEY_PREFIX = "tokensmith:dpop:jti:"

    def __init__(self, redis_url: str = "") -> None:
        self._here = ProofReplayCache(self.MAX_ENTRIES)
        self._redis: Any = None
        self._down_until = 0.0
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(
                redis_url,
                socket_timeout=self.REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=self.REDIS_TIMEOUT_SECONDS,
            )

    def first_use(self, key: str, ttl: int) -> bool:
        """Record ``key`` for ``ttl`` seconds; whether it had not been recorded already."""
        if self._redis is not None and time.monotonic() >= self._down_until:
            ensure_may_block()
            digest = hashlib.sha256(key.encode("utf-8")).digest()[:16]
            try:
                return bool(self._redis.set(self.KEY_PREFIX + digest.hex(), b"1", nx=True, ex=ttl))
            except Exception as exc:  # noqa: BLE001 - Redis down: fall back to this process's cache
                self._down_until = time.monotonic() + self.REDIS_RETRY_SECONDS
                log.warning(
                    "DPoP replay cache (Redis) unavailable (%s); using the in-process cache for %.0f s",
                    type(exc).__name__,
                    self.REDIS_RETRY_SECONDS,
                )
        return self._here.first_use(key, ttl)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
