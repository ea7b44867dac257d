"""Fixtures for the client SDK tests (the fakes themselves are in :mod:`fakes`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tokensmith.client import ClientCredentialsAuth

from .fakes import CLIENT_ID, CLIENT_SECRET, TOKEN_URL, FakeClock, FakeTokensmith, Sleeps


@pytest.fixture
def server() -> FakeTokensmith:
    return FakeTokensmith()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_auth(clock: FakeClock, sleeps: Sleeps) -> Callable[..., ClientCredentialsAuth]:
    def make(**overrides: object) -> ClientCredentialsAuth:
        options: dict[str, object] = {
            "token_url": TOKEN_URL,
            "clock": clock,
            "sleep": sleeps.sleep,
            "async_sleep": sleeps.async_sleep,
        }
        options.update(overrides)
        return ClientCredentialsAuth(CLIENT_ID, CLIENT_SECRET, **options)  # type: ignore[arg-type]

    return make
