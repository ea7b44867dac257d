"""The token request (RFC 6749 §4.4.2, §2.3.1) and the reading of its response (§5.1, §5.2)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from tokensmith.client import ClientCredentialsAuth, TokenRequestError
from tokensmith.client.secret import Secret
from tokensmith.client.token_endpoint import basic_credentials, parse_token_response, token_request

from .fakes import API_URL, CLIENT_ID, CLIENT_SECRET, TOKEN_URL, FakeTokensmith, oauth_error

MakeAuth = Callable[..., ClientCredentialsAuth]


def test_basic_credentials_are_form_urlencoded_before_base64() -> None:
    # RFC 6749 §2.3.1: ":" "+" "%" (and a space) must survive the "id:secret" join.
    header = basic_credentials("my:client+id%", "s3cret:+% x")
    assert header.startswith("Basic ")
    decoded = base64.b64decode(header.removeprefix("Basic ")).decode("ascii")
    assert decoded == "my%3Aclient%2Bid%25:s3cret%3A%2B%25+x"


def test_basic_credentials_of_a_plain_pair_are_unchanged() -> None:
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert basic_credentials(CLIENT_ID, CLIENT_SECRET) == f"Basic {expected}"


def test_the_auth_sends_client_secret_basic(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    auth = ClientCredentialsAuth("id:with+odd%", "secret:+%", token_url=TOKEN_URL)
    with server.client(auth) as client:
        client.get(API_URL)
    request = server.token_requests[0]
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"id%3Awith%2Bodd%25:secret%3A%2B%25"
    ).decode("ascii")
    assert server.form(0) == {"grant_type": "client_credentials"}


def test_the_auth_sends_client_secret_post(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    with server.client(make_auth(auth_method="client_secret_post", scope="api/access")) as client:
        client.get(API_URL)
    request = server.token_requests[0]
    assert "Authorization" not in request.headers
    assert server.form(0) == {
        "grant_type": "client_credentials",
        "scope": "api/access",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def test_token_request_shape() -> None:
    request = token_request(
        TOKEN_URL, client_id="a", client_secret=Secret("b"), scope=None, auth_method="client_secret_basic"
    )
    assert str(request.url) == TOKEN_URL
    assert request.headers["Accept"] == "application/json"
    assert request.content == b"grant_type=client_credentials"


def _response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", TOKEN_URL), **kwargs)  # type: ignore[arg-type]


def test_a_success_is_read() -> None:
    token = parse_token_response(
        _response(
            200, json={"access_token": "at", "token_type": "bearer", "expires_in": 3600, "scope": "a b"}
        ),
        obtained_at=1000.0,
    )
    assert token.value.reveal() == "at"
    assert token.expires_at == 4600.0
    assert token.scope == "a b"


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"token_type": "Bearer", "expires_in": 60}, "the token response has no access_token"),
        (
            {"access_token": "at", "token_type": "mac", "expires_in": 60},
            "token_type 'mac' is not Bearer (RFC 6750)",
        ),
        (
            {"access_token": "at", "token_type": "Bearer", "expires_in": 0},
            "expires_in is not a positive number",
        ),
        (
            {"access_token": "at", "token_type": "Bearer", "expires_in": "60"},
            "expires_in is not a positive number",
        ),
        ([1, 2], "the token response is not a JSON object"),
    ],
)
def test_a_malformed_success_is_refused(body: object, description: str) -> None:
    with pytest.raises(TokenRequestError) as caught:
        parse_token_response(_response(200, json=body), obtained_at=0.0)
    assert caught.value.error == "unexpected_response"
    assert caught.value.error_description == description


def test_an_oauth_error_is_typed(server: FakeTokensmith, make_auth: MakeAuth) -> None:
    server.token_script = [
        oauth_error(401, "invalid_client", "Client authentication failed.", **{"WWW-Authenticate": "Basic"})
    ]
    with server.client(make_auth()) as client, pytest.raises(TokenRequestError) as caught:
        client.get(API_URL)

    error = caught.value
    assert (error.error, error.error_description, error.status_code) == (
        "invalid_client",
        "Client authentication failed.",
        401,
    )
    assert str(error) == "token request failed: invalid_client (HTTP 401): Client authentication failed."
    assert CLIENT_SECRET not in str(error) and CLIENT_SECRET not in repr(error)
    assert server.api_requests == []
    assert len(server.token_requests) == 1  # a 4xx is not retried


def test_a_non_oauth_error_body_still_gives_a_typed_error() -> None:
    with pytest.raises(TokenRequestError) as caught:
        parse_token_response(_response(400, content=b"<html>nope</html>"), obtained_at=0.0)
    assert (caught.value.error, caught.value.error_description, caught.value.status_code) == (
        "unexpected_response",
        None,
        400,
    )
