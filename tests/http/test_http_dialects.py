"""Vendor dialects: seed 004's form route, seed 002's JSON login, seed 003's camelCase JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    FORM,
    SQLITE_ONLY,
    assert_no_store,
    assert_oauth_error,
    assert_token_response,
    basic,
)
from tokensmith.core import secrets as sf
from tokensmith.http.app import create_app

JSON = {"Content-Type": "application/json"}


def test_oauth_form_route_with_body_credentials(client: Any, make_credential: Any) -> None:
    """Seed 004: ``client_id``/``client_secret`` in a form body at /api/oauth/token, opaque token."""
    cred = make_credential(token_format="opaque")
    response = client.post(
        "/api/oauth/token",
        data={
            "client_id": cred.client_id,
            "client_secret": cred.client_secret,
            "grant_type": "client_credentials",
        },
    )
    body = assert_token_response(response, scope="api/access")
    assert body["access_token"].startswith("tsa_")


def test_oauth_form_route_is_as_strict_as_the_canonical_one(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        "/api/oauth/token",
        content=json.dumps(CLIENT_CREDENTIALS),
        headers={**JSON, **basic(cred.client_id, cred.client_secret)},
    )
    assert_oauth_error(response, 400, "invalid_request")
    response = client.post(
        "/api/oauth/token", data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, sf.generate("tss_"))
    )
    assert_oauth_error(response, 401, "invalid_client", basic_challenge=True)


def test_v0_login_with_basic_and_json(client: Any, make_credential: Any) -> None:
    """Seed 002 system credentials: Basic + ``{"grant_type":"client_credentials"}``."""
    cred = make_credential()
    response = client.post(
        "/api/v0/login",
        content=json.dumps({"grant_type": "client_credentials"}),
        headers={**JSON, **basic(cred.client_id, cred.client_secret)},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (
        {"access_token", "token_type", "expires_in"}
        <= set(body)
        <= {"access_token", "token_type", "expires_in", "scope"}
    )
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2
    assert "refresh_token" not in body
    assert_no_store(response)


def test_v0_login_errors(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    auth = basic(cred.client_id, cred.client_secret)
    # Form bodies are not this dialect.
    assert_oauth_error(
        client.post("/api/v0/login", data=CLIENT_CREDENTIALS, headers=auth), 400, "invalid_request"
    )
    # Wrong secret.
    bad = client.post(
        "/api/v0/login",
        content=json.dumps(CLIENT_CREDENTIALS),
        headers={**JSON, **basic(cred.client_id, sf.generate("tss_"))},
    )
    assert_oauth_error(bad, 401, "invalid_client", basic_challenge=True)
    # refresh_token needs a personal token as Bearer, not client credentials.
    refresh = client.post(
        "/api/v0/login", content=json.dumps({"grant_type": "refresh_token"}), headers={**JSON, **auth}
    )
    assert_oauth_error(refresh, 400, "invalid_request")
    # Non-string members and repeated keys.
    wrong_type = client.post("/api/v0/login", content=json.dumps({"grant_type": 1}), headers={**JSON, **auth})
    assert_oauth_error(wrong_type, 400, "invalid_request")
    repeated = client.post(
        "/api/v0/login",
        content='{"grant_type":"client_credentials","grant_type":"x"}',
        headers={**JSON, **auth},
    )
    assert_oauth_error(repeated, 400, "invalid_request")
    not_object = client.post("/api/v0/login", content="[]", headers={**JSON, **auth})
    assert_oauth_error(not_object, 400, "invalid_request")


def test_v1_token_camel_case(client: Any, make_credential: Any) -> None:
    """Seed 003: JSON ``{grantType, clientId, clientSecret}`` → ``{accessToken, …}``."""
    cred = make_credential(scopes=["api/access", "project:read"])
    response = client.post(
        "/api/v1/token",
        headers=JSON,
        content=json.dumps(
            {
                "grantType": "client_credentials",
                "clientId": cred.client_id,
                "clientSecret": cred.client_secret,
                "scope": "project:read",
            }
        ),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"accessToken", "tokenType", "expiresIn", "scope"}
    assert (body["tokenType"], body["expiresIn"], body["scope"]) == ("Bearer", 3600, "project:read")
    assert body["accessToken"].count(".") == 2
    assert_no_store(response)


def test_v1_token_errors_are_camel_case(client: Any, make_credential: Any) -> None:
    """docs/contracts.md: /api/v1/token errors are ``{"error", "errorDescription"}``."""
    cred = make_credential()
    response = client.post(
        "/api/v1/token",
        headers=JSON,
        content=json.dumps(
            {
                "grantType": "client_credentials",
                "clientId": cred.client_id,
                "clientSecret": sf.generate("tss_"),
            }
        ),
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert set(body) <= {"error", "errorDescription"}, body
    assert_no_store(response)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("setting", "path"),
    [
        ("dialect_oauth_form", "/api/oauth/token"),
        ("dialect_v0_login", "/api/v0/login"),
        ("dialect_v1_token", "/api/v1/token"),
    ],
)
def test_each_dialect_can_be_switched_off(
    settings_factory: Any, services_factory: Any, make_credential: Any, setting: str, path: str
) -> None:
    settings = settings_factory(**{setting: False})
    svc = services_factory(settings, issuer=settings.issuer)
    cred = make_credential()  # same database as the `services` fixture
    requests: dict[str, dict[str, Any]] = {
        "/api/oauth/token": {"data": CLIENT_CREDENTIALS},
        "/api/v0/login": {"content": json.dumps(CLIENT_CREDENTIALS), "headers": JSON},
        "/api/v1/token": {
            "content": json.dumps(
                {
                    "grantType": "client_credentials",
                    "clientId": cred.client_id,
                    "clientSecret": cred.client_secret,
                }
            ),
            "headers": JSON,
        },
    }
    with TestClient(create_app(settings, services=svc), base_url="http://testserver") as test_client:
        for route, kwargs in requests.items():
            headers = {**kwargs.get("headers", {}), **basic(cred.client_id, cred.client_secret)}
            if route == "/api/v1/token":
                headers.pop("Authorization")
            elif route == "/api/oauth/token":
                headers.update(FORM)
            response = test_client.post(
                route, **{k: v for k, v in kwargs.items() if k != "headers"}, headers=headers
            )
            if route == path:
                assert response.status_code == 404, (route, response.text)
                assert "access_token" not in response.text.lower()
            else:
                assert response.status_code == 200, (route, response.text)
        canonical = test_client.post(
            "/oauth2/token", data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
        )
        assert canonical.status_code == 200
