"""An injectable clock, so that expiry and inactivity rules are tested without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, when: datetime) -> None:
        self._now = when


def epoch(when: datetime) -> int:
    """Seconds since the epoch, as JWT claims carry them."""
    return int(when.timestamp())


def monotonic() -> float:
    return time.monotonic()
