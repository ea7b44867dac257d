"""ClientCredentialsAuth: caching, renewal before expiry, one fetch at a time, 401 handling."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable

import httpx
import pytest

from tokensmith.client import ClientCredentialsAuth, TokenRequestError

from .fakes import API_URL, CLIENT_SECRET, FakeClock, FakeTokensmith, oauth_error

MakeAuth = Callable[..., ClientCredentialsAuth]


def test_the_token_is_fetched_once_and_reused(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    with server.client(make_auth()) as client:
        first = client.get(API_URL)
        second = client.get(API_URL)

    assert first.json()["token"] == "at-1"
    assert second.json()["token"] == "at-1"
    assert len(server.token_requests) == 1
    assert server.api_requests[1].headers["Authorization"] == "Bearer at-1"


def test_the_token_is_renewed_before_it_expires(
    server: FakeTokensmith, make_auth: MakeAuth, clock: FakeClock
) -> None:
    with server.client(make_auth(renew_margin=60)) as client:
        client.get(API_URL)
        clock.advance(3600 - 60 - 1)  # one second before the margin: still fresh
        assert client.get(API_URL).json()["token"] == "at-1"
        clock.advance(1)  # at the margin, a minute before expiry: renewed, no 401 needed
        assert client.get(API_URL).json()["token"] == "at-2"

    assert len(server.token_requests) == 2
    assert server.api_authorizations == ["Bearer at-1", "Bearer at-1", "Bearer at-2"]


def test_the_margin_is_at_most_half_a_short_lifetime(
    server: FakeTokensmith, make_auth: MakeAuth, clock: FakeClock
) -> None:
    server.expires_in = 60
    with server.client(make_auth(renew_margin=60)) as client:
        client.get(API_URL)
        clock.advance(29)
        assert client.get(API_URL).json()["token"] == "at-1"
        clock.advance(1)
        assert client.get(API_URL).json()["token"] == "at-2"


def test_a_token_without_expires_in_is_kept_five_minutes(
    server: FakeTokensmith, make_auth: MakeAuth, clock: FakeClock
) -> None:
    server.expires_in = None
    with server.client(make_auth(renew_margin=60)) as client:
        client.get(API_URL)
        clock.advance(300 - 60 - 1)
        assert client.get(API_URL).json()["token"] == "at-1"
        clock.advance(1)
        assert client.get(API_URL).json()["token"] == "at-2"


def test_the_request_body_reaches_the_api(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    with server.client(make_auth()) as client:
        response = client.post(API_URL, content=b"payload")
    assert response.json() == {"token": "at-1", "body": "payload"}


def test_the_scope_is_requested(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    with server.client(make_auth(scope=["api/access", "api/read"])) as client:
        client.get(API_URL)
    assert server.form(0)["scope"] == "api/access api/read"
    assert server.form(0)["grant_type"] == "client_credentials"


# -- one fetch at a time --------------------------------------------------------------------------------


def test_100_threads_cause_one_token_fetch(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.token_delay = 0.05
    auth = make_auth()
    barrier = threading.Barrier(100)
    tokens: list[str] = []
    errors: list[BaseException] = []

    with server.client(auth) as client:

        def call() -> None:
            try:
                barrier.wait()
                tokens.append(client.get(API_URL).json()["token"])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert len(server.token_requests) == 1
    assert tokens == ["at-1"] * 100
    assert len(server.api_requests) == 100


def test_100_tasks_cause_one_token_fetch(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.token_delay = 0.01
    auth = make_auth()

    async def main() -> list[str]:
        async with server.async_client(auth) as client:
            responses = await asyncio.gather(*(client.get(API_URL) for _ in range(100)))
        return [response.json()["token"] for response in responses]

    assert asyncio.run(main()) == ["at-1"] * 100
    assert len(server.token_requests) == 1


def test_requests_waiting_on_a_failed_fetch_share_its_error(
    server: FakeTokensmith, make_auth: MakeAuth
) -> None:
    server.token_delay = 0.01
    server.token_script = [oauth_error(401, "invalid_client", "Client authentication failed.")]
    auth = make_auth()

    async def main() -> list[BaseException | httpx.Response]:
        async with server.async_client(auth) as client:
            return await asyncio.gather(*(client.get(API_URL) for _ in range(20)), return_exceptions=True)

    results = asyncio.run(main())
    assert len(server.token_requests) == 1
    assert all(isinstance(result, TokenRequestError) for result in results)
    assert {result.error for result in results if isinstance(result, TokenRequestError)} == {"invalid_client"}
    # The failure is not cached beyond the requests that waited for it: the next call tries again.
    with server.client(auth) as client:
        assert client.get(API_URL).json()["token"] == "at-1"
    assert len(server.token_requests) == 2


def test_the_lock_is_released_when_a_fetch_fails(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.token_script = [oauth_error(400, "invalid_scope")]
    auth = make_auth()
    with server.client(auth) as client:
        with pytest.raises(TokenRequestError):
            client.get(API_URL)
        assert client.get(API_URL).status_code == 200
    assert not auth._thread_lock.locked()


def test_the_async_lock_is_released_when_a_fetch_fails(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.token_script = [oauth_error(400, "invalid_scope", "Unknown scope.")]
    auth = make_auth()

    async def main() -> int:
        async with server.async_client(auth) as client:
            with pytest.raises(TokenRequestError) as caught:
                await client.get(API_URL)
            assert (caught.value.error, caught.value.error_description) == ("invalid_scope", "Unknown scope.")
            return (await client.get(API_URL)).status_code

    assert asyncio.run(main()) == 200
    assert not auth._async_lock.locked()


def test_sync_and_async_clients_share_the_cache(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    auth = make_auth()
    with server.client(auth) as client:
        client.get(API_URL)

    async def main() -> str:
        async with server.async_client(auth) as client:
            return str((await client.get(API_URL)).json()["token"])

    assert asyncio.run(main()) == "at-1"
    assert len(server.token_requests) == 1


# -- 401 from the API -------------------------------------------------------------------------------


def test_a_401_renews_once_and_retries_once(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.rejected = {"at-1"}  # e.g. revoked at the server
    with server.client(make_auth()) as client:
        response = client.post(API_URL, content=b"again")

    assert response.status_code == 200
    assert response.json() == {"token": "at-2", "body": "again"}
    assert len(server.token_requests) == 2
    assert server.api_authorizations == ["Bearer at-1", "Bearer at-2"]


def test_a_second_401_is_returned_as_is(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.rejected = {"at-1", "at-2", "at-3"}
    with server.client(make_auth()) as client:
        response = client.get(API_URL)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert len(server.token_requests) == 2
    assert len(server.api_requests) == 2


def test_a_401_with_async_client_renews_once(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.rejected = {"at-1", "at-2"}
    auth = make_auth()

    async def main() -> int:
        async with server.async_client(auth) as client:
            return (await client.get(API_URL)).status_code

    assert asyncio.run(main()) == 401
    assert len(server.token_requests) == 2
    assert len(server.api_requests) == 2


def test_concurrent_401s_renew_only_once(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    auth = make_auth()

    async def main() -> list[str]:
        async with server.async_client(auth) as client:
            await client.get(API_URL)
            server.rejected = {"at-1"}
            responses = await asyncio.gather(*(client.get(API_URL) for _ in range(10)))
        return [response.json()["token"] for response in responses]

    assert asyncio.run(main()) == ["at-2"] * 10
    assert len(server.token_requests) == 2


def test_an_api_response_is_left_for_the_caller_to_stream(make_auth: MakeAuth) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            body = {"access_token": "at-1", "token_type": "Bearer", "expires_in": 60}
            return httpx.Response(200, json=body)
        return httpx.Response(200, content=iter([b"chunk-1 ", b"chunk-2"]))

    client = httpx.Client(transport=httpx.MockTransport(handler), auth=make_auth())
    with client, client.stream("GET", API_URL) as response:
        assert not response.is_stream_consumed
        assert list(response.iter_bytes()) == [b"chunk-1 ", b"chunk-2"]


# -- secrets stay secret --------------------------------------------------------------------------------


def test_the_secret_is_not_in_the_repr(make_auth: MakeAuth) -> None:
    auth = make_auth(scope="api/access")
    text = repr(auth)
    assert CLIENT_SECRET not in text
    assert text == (
        "ClientCredentialsAuth(client_id='k7x2m4p9q3r8s5t6v1w0y2z4ab', "
        "token_url='https://auth.example.test/oauth2/token', issuer=None, scope='api/access', "
        "auth_method='client_secret_basic')"
    )
    assert CLIENT_SECRET not in repr(vars(auth))


def test_the_access_token_is_not_in_reprs(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    auth = make_auth()
    with server.client(auth) as client:
        client.get(API_URL)
    assert "at-1" not in repr(vars(auth))
    assert "at-1" not in repr(auth._token)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"token_url": None}, "give token_url, or issuer to discover it"),
        (
            {"auth_method": "private_key_jwt"},
            "auth_method must be one of client_secret_basic, client_secret_post",
        ),
        ({"renew_margin": -1}, "renew_margin and max_retries must not be negative"),
        ({"issuer": "ftp://x", "token_url": None}, "the issuer must be an http(s) URL"),
    ],
)
def test_bad_options_are_refused(make_auth: MakeAuth, options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make_auth(**options)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="a secret must be a non-empty string"):
        ClientCredentialsAuth("id", "", token_url="https://x.test/t")
