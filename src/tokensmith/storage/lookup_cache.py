"""The in-memory cache of the hot-path lookups, served under the invariant of
:mod:`tokensmith.storage.change_feed` (an entry is served only while the change version it
was stamped with is current)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar

from tokensmith.storage.observer import NO_OBSERVER, StorageObserver

if TYPE_CHECKING:
    from tokensmith.storage.change_feed import ChangeFeed

K = TypeVar("K")
V = TypeVar("V")
P = ParamSpec("P")


@dataclass(slots=True, eq=False)
class LookupCache(Generic[K, V]):
    """Rows read from the database, served under the change feed's invariant.

    Entries live in one generation per version. A lookup reads the version first; a store
    goes into that version's generation only if the version is still the same afterwards;
    and a generation is served only while the feed still reports its version. Lock-free:
    each step is one atomic read or assignment. Bounded: a full generation starts again
    empty.
    """

    feed: ChangeFeed
    max_entries: int = 10_000
    _: KW_ONLY
    #: ``read_through`` reports each hit and miss under ``name`` (the lookup-cache metrics).
    name: str = "lookup"
    observer: StorageObserver = NO_OBSERVER
    _generation: tuple[int, dict[K, V]] = field(default_factory=lambda: (-1, {}), init=False, repr=False)

    def stamp(self) -> int | None:
        """The version to stamp a read with (call *before* reading); ``None``: keep nothing."""
        return self.feed.version()

    def get(self, key: K, stamp: int | None) -> V | None:
        if stamp is None:
            return None
        version, entries = self._generation
        if version != stamp:
            self._generation = (stamp, {})
            return None
        return entries.get(key)

    def put(self, key: K, value: V, stamp: int | None) -> None:
        """Keep ``value``, read after :meth:`stamp` returned ``stamp``, if nothing moved since."""
        if stamp is None:
            return
        if self.feed.version() != stamp:
            return
        version, entries = self._generation
        if version != stamp or len(entries) >= self.max_entries:
            entries = {}
            self._generation = (stamp, entries)
        entries[key] = value

    def read_through(
        self, key: K, read: Callable[P, V | None], *args: P.args, **kwargs: P.kwargs
    ) -> V | None:
        """The value kept for ``key``, or else ``read(*args, **kwargs)``'s, kept when found
        (stamped before the read, as :meth:`put` requires)."""
        stamp = self.stamp()
        cached = self.get(key, stamp)
        if cached is not None:
            self.observer.cache_lookup(self.name, True)
            return cached
        self.observer.cache_lookup(self.name, False)
        found = read(*args, **kwargs)
        if found is not None:
            self.put(key, found, stamp)
        return found
