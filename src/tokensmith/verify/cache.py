"""A small thread-safe LRU cache whose entries each carry their own expiry."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["ExpiringLRUCache"]

V = TypeVar("V")


class ExpiringLRUCache(Generic[V]):
    """At most ``maxsize`` entries; an entry is never returned at or after its ``expires_at``.

    Time comes from ``clock`` (seconds since the epoch), so tests move it by hand.
    """

    def __init__(self, maxsize: int, clock: Callable[[], float]) -> None:
        if maxsize < 0:
            raise ValueError("maxsize must be >= 0")
        self._maxsize = maxsize
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: V, expires_at: float) -> None:
        if self._maxsize == 0 or expires_at <= self._clock():
            return
        with self._lock:
            self._entries[key] = (expires_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
