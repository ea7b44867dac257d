"""How the dashboard shows times: exact (UTC), machine-readable, and relative to now.

Relative times ("in 3 days", "2 hours ago") are computed on the server from the services'
injected clock, so a test that pins the clock pins the page. Each is rendered as
``<time datetime="2026-01-04T12:00:00+00:00" title="2026-01-04 12:00 UTC">in 3 days</time>``:
the exact time shows on hover and stays machine-readable.

:func:`register` adds the filters to a Jinja environment:

* ``when`` -- ``2026-01-04 12:00 UTC`` (or the ``never`` text for ``None``);
* ``iso`` -- ``2026-01-04T12:00:00+00:00`` (empty for ``None``);
* ``relative`` -- the ``<time>`` element above (or the ``never`` text for ``None``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment
from markupsafe import Markup, escape

from tokensmith.core.clock import Clock

#: (unit, seconds), largest first; a month is 30 days and a year 365 for display only.
_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)
#: Within this many seconds of now, a time is "just now".
JUST_NOW_SECONDS = 45


def when(value: datetime | None, never: str = "Never") -> str:
    """The exact time in UTC to the minute, as every page shows it."""
    if value is None:
        return never
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(value: datetime | None) -> str:
    """RFC 3339 in UTC to the second (a ``<time datetime>`` value)."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def relative(value: datetime, now: datetime) -> str:
    """``value`` said relative to ``now``: "in 3 days", "2 hours ago", "just now".

    The count is rounded down in the largest unit that fits (36 hours is "1 day"), the way
    people read a deadline: "in 1 day" is never more than two days away.
    """
    seconds = (value - now).total_seconds()
    distance = abs(seconds)
    if distance < JUST_NOW_SECONDS:
        return "just now"
    unit, size = next(((u, n) for u, n in _UNITS if distance >= n), ("minute", 60))
    count = max(1, int(distance // size))
    phrase = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {phrase}" if seconds > 0 else f"{phrase} ago"


def time_element(value: datetime | None, now: datetime, never: str = "Never") -> Markup:
    """``<time datetime=... title=...>relative</time>``, or the escaped ``never`` text."""
    if value is None:
        return escape(never)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso(value), when(value), relative(value, now)
    )


def register(env: Environment, clock: Clock) -> None:
    """Add ``when``, ``iso`` and ``relative`` to ``env``; ``relative`` reads ``clock`` per call."""

    def relative_filter(value: datetime | None, never: str = "Never") -> Markup:
        return time_element(value, clock.now(), never)

    env.filters["when"] = when
    env.filters["iso"] = iso
    env.filters["relative"] = relative_filter
