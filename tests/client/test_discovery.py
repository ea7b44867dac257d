"""Finding the token endpoint from the issuer (RFC 8414)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tokensmith.client import ClientCredentialsAuth, DiscoveryError
from tokensmith.client.discovery import metadata_urls

from .fakes import API_URL, ISSUER, TOKEN_URL, FakeTokensmith, Sleeps

MakeAuth = Callable[..., ClientCredentialsAuth]


def test_metadata_urls() -> None:
    assert metadata_urls("https://auth.example.test") == [
        "https://auth.example.test/.well-known/oauth-authorization-server"
    ]
    assert metadata_urls("https://auth.example.test/") == [
        "https://auth.example.test/.well-known/oauth-authorization-server"
    ]
    assert metadata_urls("https://example.test/tokensmith") == [
        "https://example.test/tokensmith/.well-known/oauth-authorization-server",
        "https://example.test/.well-known/oauth-authorization-server/tokensmith",
    ]


def test_the_token_endpoint_is_discovered_once(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.metadata["token_endpoint"] = f"{ISSUER}/oauth2/token"
    auth = make_auth(token_url=None, issuer=ISSUER, renew_margin=0)
    with server.client(auth) as client:
        client.get(API_URL)
        server.rejected = {"at-1"}
        assert client.get(API_URL).json()["token"] == "at-2"

    assert [str(r.url) for r in server.metadata_requests] == [
        f"{ISSUER}/.well-known/oauth-authorization-server"
    ]
    assert [str(r.url) for r in server.token_requests] == [TOKEN_URL, TOKEN_URL]


def test_discovery_with_the_async_client(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    auth = make_auth(token_url=None, issuer=ISSUER)

    async def main() -> list[str]:
        async with server.async_client(auth) as client:
            responses = await asyncio.gather(*(client.get(API_URL) for _ in range(10)))
        return [r.json()["token"] for r in responses]

    assert asyncio.run(main()) == ["at-1"] * 10
    assert len(server.metadata_requests) == 1
    assert len(server.token_requests) == 1


def test_a_path_issuer_falls_back_to_the_rfc_8414_location(make_auth: MakeAuth) -> None:
    issuer = "https://example.test/tenant"
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if str(request.url) == "https://example.test/.well-known/oauth-authorization-server/tenant":
            return httpx.Response(200, json={"issuer": issuer, "token_endpoint": f"{issuer}/token"})
        if str(request.url) == f"{issuer}/token":
            return httpx.Response(200, json={"access_token": "at", "token_type": "Bearer", "expires_in": 60})
        if request.url.host == "api.example.test":
            return httpx.Response(204)
        return httpx.Response(404)

    auth = make_auth(token_url=None, issuer=issuer)
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        assert client.get(API_URL).status_code == 204
    assert seen == [
        "https://example.test/tenant/.well-known/oauth-authorization-server",
        "https://example.test/.well-known/oauth-authorization-server/tenant",
        "https://example.test/tenant/token",
        API_URL,
    ]


def test_an_issuer_mismatch_is_refused(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.metadata["issuer"] = "https://evil.example.test"
    with (
        server.client(make_auth(token_url=None, issuer=ISSUER)) as client,
        pytest.raises(DiscoveryError) as caught,
    ):
        client.get(API_URL)
    assert str(caught.value) == (
        "authorization server metadata names issuer 'https://evil.example.test', "
        "expected 'https://auth.example.test' (RFC 8414 §3.3)"
    )
    assert server.token_requests == []


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(404), "authorization server metadata unavailable at "),
        (httpx.Response(200, content=b"<html>"), "authorization server metadata is not JSON"),
        (httpx.Response(200, json=[]), "authorization server metadata is not a JSON object"),
        (httpx.Response(200, json={"issuer": ISSUER}), "authorization server metadata has no token_endpoint"),
    ],
)
def test_bad_metadata_is_refused(
    server: FakeTokensmith, make_auth: MakeAuth, response: httpx.Response, message: str
) -> None:
    server.metadata_script = [response]
    with (
        server.client(make_auth(token_url=None, issuer=ISSUER)) as client,
        pytest.raises(DiscoveryError) as caught,
    ):
        client.get(API_URL)
    assert str(caught.value).startswith(message)


def test_discovery_is_retried_on_503(server: FakeTokensmith, make_auth: MakeAuth, sleeps: Sleeps) -> None:
    server.metadata_script = [httpx.Response(503, headers={"Retry-After": "2"})]
    with server.client(make_auth(token_url=None, issuer=ISSUER)) as client:
        assert client.get(API_URL).status_code == 200
    assert sleeps.seconds == [2.0]
    assert len(server.metadata_requests) == 2


def test_a_failed_discovery_is_tried_again_next_time(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.metadata_script = [httpx.Response(500)]
    with server.client(make_auth(token_url=None, issuer=ISSUER, max_retries=0)) as client:
        with pytest.raises(DiscoveryError):
            client.get(API_URL)
        assert client.get(API_URL).status_code == 200
    assert len(server.metadata_requests) == 2
