"""Polite retries of the token endpoint: 429/5xx, backoff with jitter, Retry-After honoured."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tokensmith.client import Backoff, ClientCredentialsAuth, TokenRequestError
from tokensmith.client.retry import parse_retry_after

from .fakes import API_URL, FakeTokensmith, Sleeps, oauth_error

MakeAuth = Callable[..., ClientCredentialsAuth]
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z, the FakeClock's start


def _with_headers(**headers: str) -> httpx.Response:
    return httpx.Response(503, headers=headers, request=httpx.Request("POST", "https://x.test/t"))


def test_backoff_grows_exponentially_with_equal_jitter() -> None:
    low = Backoff(base=0.5, cap=4.0, jitter=lambda: 0.0)
    high = Backoff(base=0.5, cap=4.0, jitter=lambda: 1.0)
    assert [low.delay(n, None) for n in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    assert [high.delay(n, None) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_backoff_takes_retry_after_as_is_unless_too_long() -> None:
    backoff = Backoff(max_retry_after=120.0, jitter=lambda: 0.0)
    assert backoff.delay(0, 7.0) == 7.0
    assert backoff.delay(3, 120.0) == 120.0
    assert backoff.delay(0, 121.0) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": " 0 "}, 0.0),
        ({"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"}, 30.0),
        ({"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT", "Date": "Thu, 01 Jan 2026 00:00:20 GMT"}, 10.0),
        ({"Retry-After": "Wed, 31 Dec 2025 23:59:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    headers: dict[str, str], expected: float | None
) -> None:
    assert parse_retry_after(_with_headers(**headers), now=NOW) == expected


def test_503_and_429_are_retried_honouring_retry_after(
    server: FakeTokensmith, make_auth: MakeAuth, sleeps: Sleeps
) -> None:
    server.token_script = [
        oauth_error(503, "temporarily_unavailable", **{"Retry-After": "5"}),
        oauth_error(429, "slow_down", **{"Retry-After": "Thu, 01 Jan 2026 00:00:12 GMT"}),
        httpx.Response(502),
    ]
    auth = make_auth(backoff=Backoff(base=0.5, jitter=lambda: 0.5))
    with server.client(auth) as client:
        response = client.get(API_URL)

    assert response.json()["token"] == "at-1"
    assert len(server.token_requests) == 4
    # 5 s from Retry-After; 12 s from the HTTP-date (the fake clock stays at midnight); then backoff for
    # the third retry: step 0.5 * 2**2 = 2.0, half fixed plus half times the pinned jitter 0.5 -> 1.5.
    assert sleeps.seconds == [5.0, 12.0, 1.5]


def test_async_retries_use_the_async_sleeper(
    server: FakeTokensmith, make_auth: MakeAuth, sleeps: Sleeps
) -> None:
    server.token_script = [httpx.Response(503), httpx.Response(500)]
    auth = make_auth(backoff=Backoff(base=1.0, jitter=lambda: 0.0), sleep=lambda s: pytest.fail("sync sleep"))

    async def main() -> str:
        async with server.async_client(auth) as client:
            return str((await client.get(API_URL)).json()["token"])

    assert asyncio.run(main()) == "at-1"
    assert sleeps.seconds == [0.5, 1.0]


def test_retries_are_bounded(server: FakeTokensmith, make_auth: MakeAuth, sleeps: Sleeps) -> None:
    server.token_script = [
        oauth_error(503, "temporarily_unavailable", "Storage is down.", **{"Retry-After": "1"})
        for _ in range(5)
    ]
    with server.client(make_auth(max_retries=2)) as client, pytest.raises(TokenRequestError) as caught:
        client.get(API_URL)

    assert len(server.token_requests) == 3
    assert sleeps.seconds == [1.0, 1.0]
    assert (caught.value.error, caught.value.status_code, caught.value.retry_after) == (
        "temporarily_unavailable",
        503,
        1.0,
    )
    assert server.api_requests == []


def test_a_retry_after_beyond_the_limit_stops_at_once(
    server: FakeTokensmith, make_auth: MakeAuth, sleeps: Sleeps
) -> None:
    server.token_script = [oauth_error(429, "slow_down", **{"Retry-After": "3600"})]
    with server.client(make_auth()) as client, pytest.raises(TokenRequestError) as caught:
        client.get(API_URL)
    assert sleeps.seconds == []
    assert len(server.token_requests) == 1
    assert (caught.value.error, caught.value.retry_after) == ("slow_down", 3600.0)


def test_no_retries_when_max_retries_is_zero(
    server: FakeTokensmith, make_auth: MakeAuth, sleeps: Sleeps
) -> None:
    server.token_script = [httpx.Response(503)]
    with server.client(make_auth(max_retries=0)) as client, pytest.raises(TokenRequestError) as caught:
        client.get(API_URL)
    assert (caught.value.error, caught.value.status_code) == ("unexpected_response", 503)
    assert sleeps.seconds == []
