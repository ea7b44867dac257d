"""Fixed-window counts in process memory, for the ``limits`` fixed-window strategy.

``limits``' own ``memory://`` storage sweeps expired keys from a ``threading.Timer`` that it
starts again, on the next count, every time the last one has run: under steady traffic a new
thread every 10 ms, and the request that starts it waits for the thread to come up. Measured on
the token endpoint, which counts every token it issues (:mod:`tokensmith.services.issuance_counts`),
that came to about 20 µs a request. :class:`LocalWindows` keeps the same counts with no thread:
a window that has ended is treated as absent when its key is next read, and all ended windows
are dropped together whenever the number of keys has doubled since the last sweep, so memory
stays proportional to the windows still open.

Only the fixed-window calls are implemented (``incr``, ``get``, ``get_expiry``); the moving
window of the failed-authentication limits stays on ``limits``' storage, which counts failures,
not every request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from limits.storage import Storage


class LocalWindows(Storage):
    STORAGE_SCHEME = None  # built directly, never from a URI
    #: Keys held before the first sweep of ended windows.
    FIRST_SWEEP_AT = 1024

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._lock = threading.Lock()
        #: key → [count, the second its window ends]
        self._windows: dict[str, list[float]] = {}
        self._sweep_at = self.FIRST_SWEEP_AT

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or window[1] <= now:
                if len(self._windows) >= self._sweep_at:
                    self._sweep(now)
                window = self._windows[key] = [0, now + expiry]
            window[0] += amount
            return int(window[0])

    def get(self, key: str) -> int:
        window = self._windows.get(key)
        return int(window[0]) if window is not None and window[1] > self._clock() else 0

    def get_expiry(self, key: str) -> float:
        now = self._clock()
        window = self._windows.get(key)
        return window[1] if window is not None and window[1] > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._windows)
            self._windows.clear()
            self._sweep_at = self.FIRST_SWEEP_AT
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def __len__(self) -> int:
        return len(self._windows)

    def _sweep(self, now: float) -> None:
        """Drop every ended window (the lock is held); sweep next when the keys have doubled."""
        self._windows = {key: window for key, window in self._windows.items() if window[1] > now}
        self._sweep_at = max(self.FIRST_SWEEP_AT, 2 * len(self._windows))
