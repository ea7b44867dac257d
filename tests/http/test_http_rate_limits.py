"""Failed client authentications are rate limited per client ID and per address (429 + Retry-After).

Semantics (services/auth_failures.py): an address over the limit is refused up front; a client ID
over the limit is refused only when the presented secret is wrong too, so the real client,
holding the right secret, is never locked out by someone hammering its ID from elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, assert_oauth_error, basic, unique_address
from tokensmith.core import ids
from tokensmith.core import secrets as sf
from tokensmith.http.app import create_app

LIMIT = 3
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def make_client(settings_factory: Any, services_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``make_client(redis_url="")``: an app with TOKENSMITH_AUTH_FAILURES_PER_MINUTE=3 that trusts
    X-Forwarded-For, so each request can come from its own address."""
    monkeypatch.setenv("TOKENSMITH_AUTH_FAILURES_PER_MINUTE", str(LIMIT))
    monkeypatch.setenv("TOKENSMITH_TRUST_FORWARDED_FOR", "true")
    clients: list[TestClient] = []

    def make(redis_url: str = "") -> TestClient:
        settings = settings_factory(redis_url=redis_url)
        assert settings.auth_failures_per_minute == LIMIT  # read from the environment
        svc = services_factory(settings, issuer=settings.issuer)
        test_client = TestClient(create_app(settings, services=svc), base_url="http://testserver")
        test_client.__enter__()
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


def attempt(client: TestClient, client_id: str, secret: str, address: str) -> Any:
    return client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers={**basic(client_id, secret), "X-Forwarded-For": address}
    )


def assert_slow_down(response: Any) -> None:
    assert_oauth_error(response, 429, "slow_down")
    assert 1 <= int(response.headers["retry-after"]) <= 60


def hammer_client_id(client: TestClient, client_id: str) -> list[int]:
    """LIMIT + 2 wrong secrets for one client ID, each from a different address."""
    return [
        attempt(client, client_id, sf.generate("tss_"), unique_address()).status_code
        for _ in range(LIMIT + 2)
    ]


@SQLITE
def test_per_client_id_limit_spares_the_real_client(
    make_client: Callable[..., TestClient], make_credential: Any
) -> None:
    client = make_client()
    cred = make_credential()
    statuses = hammer_client_id(client, cred.client_id)
    assert statuses[: LIMIT - 1] == [401] * (LIMIT - 1)
    assert statuses[LIMIT:] == [429, 429]
    assert_slow_down(attempt(client, cred.client_id, sf.generate("tss_"), unique_address()))
    # The real client, from its own address and with the right secret, still gets tokens.
    assert attempt(client, cred.client_id, cred.client_secret, unique_address()).status_code == 200
    # Other clients are unaffected.
    other = make_credential()
    assert attempt(client, other.client_id, sf.generate("tss_"), unique_address()).status_code == 401


@SQLITE
def test_per_address_limit_blocks_that_address_up_front(
    make_client: Callable[..., TestClient], make_credential: Any
) -> None:
    client = make_client()
    cred = make_credential()
    attacker = unique_address()
    statuses = [
        attempt(client, ids.new_client_id(), sf.generate("tss_"), attacker).status_code
        for _ in range(LIMIT + 1)
    ]
    assert statuses[: LIMIT - 1] == [401] * (LIMIT - 1)
    assert statuses[-1] == 429
    # That address is refused even with valid credentials…
    assert_slow_down(attempt(client, cred.client_id, cred.client_secret, attacker))
    # …other addresses are not.
    assert attempt(client, cred.client_id, cred.client_secret, unique_address()).status_code == 200


@SQLITE
def test_without_forwarded_for_trust_the_peer_address_counts(
    settings_factory: Any, services_factory: Any, make_credential: Any
) -> None:
    settings = settings_factory(auth_failures_per_minute=LIMIT)
    svc = services_factory(settings, issuer=settings.issuer)
    with TestClient(create_app(settings, services=svc), base_url="http://testserver") as client:
        statuses = [
            attempt(client, ids.new_client_id(), sf.generate("tss_"), unique_address()).status_code
            for _ in range(LIMIT + 1)
        ]
    assert statuses[-1] == 429  # X-Forwarded-For is ignored: one peer, one counter


@SQLITE
def test_malformed_secrets_count_as_failures(
    make_client: Callable[..., TestClient], make_credential: Any
) -> None:
    client = make_client()
    cred = make_credential()
    statuses = [
        attempt(client, cred.client_id, "garbage", unique_address()).status_code for _ in range(LIMIT + 1)
    ]
    assert statuses[-1] == 429


@SQLITE
def test_successful_authentications_do_not_count(
    make_client: Callable[..., TestClient], make_credential: Any
) -> None:
    client = make_client()
    cred = make_credential()
    address = unique_address()
    assert [
        attempt(client, cred.client_id, cred.client_secret, address).status_code for _ in range(LIMIT * 3)
    ] == [200] * (LIMIT * 3)


@SQLITE
def test_v1_dialect_is_limited_too(make_client: Callable[..., TestClient], make_credential: Any) -> None:
    client = make_client()
    cred = make_credential()
    address = unique_address()
    statuses = [
        client.post(
            "/api/v1/token",
            headers={"Content-Type": "application/json", "X-Forwarded-For": address},
            content=json.dumps(
                {
                    "grantType": "client_credentials",
                    "clientId": cred.client_id,
                    "clientSecret": sf.generate("tss_"),
                }
            ),
        ).status_code
        for _ in range(LIMIT + 1)
    ]
    assert statuses[-1] == 429


@SQLITE
def test_memory_limits_are_per_process(make_client: Callable[..., TestClient], make_credential: Any) -> None:
    """The contrast to the Redis test below: two in-memory instances do not share counts."""
    first, second = make_client(), make_client()
    cred = make_credential()
    attacker = unique_address()
    for i in range(LIMIT + 1):
        attempt(first if i % 2 == 0 else second, ids.new_client_id(), sf.generate("tss_"), attacker)
    assert attempt(first, cred.client_id, cred.client_secret, attacker).status_code == 200


@pytest.mark.redis
def test_redis_limits_are_shared_between_instances(
    make_client: Callable[..., TestClient], make_credential: Any, redis_url: str
) -> None:
    first, second = make_client(redis_url), make_client(redis_url)
    cred = make_credential()
    attacker = unique_address()
    statuses = [
        attempt(
            first if i % 2 == 0 else second, ids.new_client_id(), sf.generate("tss_"), attacker
        ).status_code
        for i in range(LIMIT + 1)
    ]
    assert statuses[: LIMIT - 1] == [401] * (LIMIT - 1)
    assert statuses[-1] == 429
    assert_slow_down(attempt(second, cred.client_id, cred.client_secret, attacker))
    assert_slow_down(attempt(first, cred.client_id, cred.client_secret, attacker))
    assert attempt(second, cred.client_id, cred.client_secret, unique_address()).status_code == 200
    # Per client ID, across instances, and the real client still is not locked out.
    victim = make_credential()
    for i in range(LIMIT + 1):
        attempt(first if i % 2 else second, victim.client_id, sf.generate("tss_"), unique_address())
    assert_slow_down(attempt(first, victim.client_id, sf.generate("tss_"), unique_address()))
    assert attempt(first, victim.client_id, victim.client_secret, unique_address()).status_code == 200
