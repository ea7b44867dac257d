"""The dashboard's time formatting: exact, machine-readable and relative times, from a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from jinja2 import Environment

from tokensmith.core.clock import FrozenClock
from tokensmith.dashboard import formatting

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=44), "just now"),
        (timedelta(seconds=-44), "just now"),
        (timedelta(seconds=45), "in 1 minute"),
        (timedelta(seconds=-90), "1 minute ago"),
        (timedelta(minutes=5), "in 5 minutes"),
        (timedelta(hours=-2), "2 hours ago"),
        (timedelta(hours=-2, minutes=-59), "2 hours ago"),
        (timedelta(hours=23, minutes=59), "in 23 hours"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(hours=47), "in 1 day"),
        (timedelta(days=3), "in 3 days"),
        (timedelta(days=-29), "29 days ago"),
        (timedelta(days=30), "in 1 month"),
        (timedelta(days=-100), "3 months ago"),
        (timedelta(days=365), "in 1 year"),
        (timedelta(days=-800), "2 years ago"),
    ],
)
def test_relative_rounds_down_in_the_largest_unit(offset: timedelta, expected: str) -> None:
    assert formatting.relative(NOW + offset, NOW) == expected


def test_exact_and_iso_are_utc_whatever_the_zone_given() -> None:
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert formatting.when(paris) == "2026-03-10 12:00 UTC"
    assert formatting.iso(paris) == "2026-03-10T12:00:00+00:00"
    assert formatting.when(None) == "Never"
    assert formatting.when(None, "Never expires") == "Never expires"
    assert formatting.iso(None) == ""


def test_the_relative_filter_renders_a_time_element_from_the_injected_clock() -> None:
    clock = FrozenClock(NOW)
    env = Environment(autoescape=True)
    formatting.register(env, clock)
    template = env.from_string("{{ at|relative }} / {{ none|relative('No <expiry>') }} / {{ at|when }}")
    expires = NOW + timedelta(days=3)
    assert template.render(at=expires, none=None) == (
        '<time datetime="2026-03-13T12:00:00+00:00" title="2026-03-13 12:00 UTC">in 3 days</time>'
        " / No &lt;expiry&gt; / 2026-03-13 12:00 UTC"
    )
    clock.advance(days=4)
    assert ">1 day ago</time>" in template.render(at=expires, none=None)
