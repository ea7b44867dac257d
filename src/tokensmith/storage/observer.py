"""What storage reports as it works: lookup-cache hits and misses, and calls that failed as
unavailable. The metrics (:class:`tokensmith.metrics.Metrics`) satisfy this protocol; storage
never imports them (dependencies point inward)."""

from __future__ import annotations

from typing import Protocol


class StorageObserver(Protocol):
    def cache_lookup(self, cache: str, hit: bool) -> None: ...

    def storage_error(self, cause: str) -> None: ...


class NoObserver:
    """Nobody is listening (the default until the services name an observer)."""

    def cache_lookup(self, cache: str, hit: bool) -> None:
        return None

    def storage_error(self, cause: str) -> None:
        return None


NO_OBSERVER: StorageObserver = NoObserver()
