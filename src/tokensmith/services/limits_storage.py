"""The ``limits`` storage that the failed-authentication limits
(:mod:`tokensmith.services.auth_failures`) and the issuance counts
(:mod:`tokensmith.services.issuance_counts`) count on, and how it fails open.

Redis when ``TOKENSMITH_REDIS_URL`` is set, so every process counts into one window; otherwise
process memory. Redis down or silent: a count fails open (it answers the caller's ``fail_open``
value, so nothing is refused for want of a count) after at most
:attr:`FailOpenCounts.REDIS_TIMEOUT_SECONDS`; then Redis is left alone for
:attr:`FailOpenCounts.REDIS_RETRY_SECONDS`, so requests meanwhile pay no wait at all. Each
outage is logged once. A Redis round trip never runs on the event loop (storage.inline).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import ClassVar, TypeVar

from limits.storage import MemoryStorage, Storage, storage_from_string

from tokensmith.storage.inline import ensure_may_block

T = TypeVar("T")


class FailOpenCounts:
    #: The longest a Redis call may wait (connect or answer) before a count fails open.
    REDIS_TIMEOUT_SECONDS = 0.5
    #: After a Redis failure, how long counts fail open without asking Redis again.
    REDIS_RETRY_SECONDS = 5.0
    #: What the outage warning calls this storage.
    STORAGE_NAME: ClassVar[str]

    def __init__(self, redis_url: str = "") -> None:
        self._shared = bool(redis_url)
        if self._shared:
            self._storage = storage_from_string(
                redis_url,
                socket_timeout=self.REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=self.REDIS_TIMEOUT_SECONDS,
            )
        else:
            self._storage = self._local_storage()
        #: ``time.monotonic()`` until which Redis is known down (counts fail open).
        self._down_until = 0.0

    def _local_storage(self) -> Storage:
        """Where a process counts alone (no Redis configured): ``limits``' memory storage."""
        return MemoryStorage()

    def _count(self, call: Callable[[], T], fail_open: T) -> T:
        """``call()`` on the storage, or ``fail_open`` when that storage (Redis) is down."""
        if not self._shared:
            return call()
        if time.monotonic() < self._down_until:
            return fail_open
        ensure_may_block()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - counting storage down: fail open, loudly
            self._down_until = time.monotonic() + self.REDIS_RETRY_SECONDS
            # Under the counting module's own logger (auth_failures, issuance_counts).
            logging.getLogger(type(self).__module__).warning(
                "%s (Redis) unavailable (%s); failing open for %.0f s",
                self.STORAGE_NAME,
                type(exc).__name__,
                self.REDIS_RETRY_SECONDS,
            )
            return fail_open

    def reset(self) -> None:
        self._storage.reset()
