"""Polite retries: exponential backoff with jitter that honours ``Retry-After``.

Used for the requests the SDK makes on its own behalf (discovery and the token endpoint). A ``429`` or
``5xx`` answer is retried a bounded number of times. When the server sends ``Retry-After`` (RFC 9110
§10.2.3, delay-seconds or an HTTP-date) that wait is used as is; otherwise the wait grows exponentially
with "equal jitter" — half the step fixed, half random — so a fleet of clients does not retry in step.
A ``Retry-After`` longer than :attr:`Backoff.max_retry_after` ends the retries at once rather than
holding the caller's request for minutes.

Connection failures are raised by the HTTP client before the flow sees a response, so they are not
retried here; configure ``httpx.HTTPTransport(retries=...)`` for connect retries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

from tokensmith.client.flow import Flow, Sleep, exchange

#: Statuses worth another try: rate limited, and server-side failures (RFC 9110 §15.6).
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Backoff:
    """How long to wait between attempts.

    The ``n``-th retry (0-based) without ``Retry-After`` waits ``step/2 + random()*step/2`` where
    ``step = min(cap, base * 2**n)`` and ``random()`` is ``jitter()``, a number in ``[0, 1)``, injectable so
    tests can pin it.
    """

    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def delay(self, retry: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``retry``, or ``None`` to stop retrying."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        step = min(self.cap, self.base * 2.0**retry)
        return step / 2 + self.jitter() * step / 2


def parse_retry_after(response: httpx.Response, *, now: float) -> float | None:
    """Seconds the server asks us to wait (RFC 9110 §10.2.3), or ``None`` when it did not say.

    An HTTP-date is measured against the response's own ``Date`` header when present (both from the
    server's clock, so our clock's skew does not matter), otherwise against ``now`` (epoch seconds).
    """
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    reference = now
    date_header = response.headers.get("Date")
    if date_header is not None:
        try:
            reference = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError):
            reference = now
    return max(0.0, when - reference)


def send_with_retries(
    make_request: Callable[[], httpx.Request],
    *,
    max_retries: int,
    backoff: Backoff,
    clock: Callable[[], float],
) -> Flow[httpx.Response]:
    """Send a fresh request from ``make_request`` until it is not retryable or the attempts run out.

    Returns the last response, whatever its status; the caller turns an error into an exception.
    """
    retry = 0
    while True:
        response = yield from exchange(make_request())
        if response.status_code not in RETRYABLE_STATUSES or retry >= max_retries:
            return response
        wait = backoff.delay(retry, parse_retry_after(response, now=clock()))
        if wait is None:
            return response
        yield Sleep(wait)
        retry += 1
