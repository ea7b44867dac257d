"""RFC 7591 Dynamic Client Registration at ``POST /oauth2/register``: public clients only, redirect
URIs checked, the open/closed switch, audited — over the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.authorization_support import REDIRECT_URI, REGISTER
from tests.http.http_support import SQLITE_ONLY
from tokensmith.http.app import create_app
from tokensmith.services.container import Services
from tokensmith.settings import Settings
from tokensmith.storage.repositories.audit import AuditRepository
from tokensmith.storage.repositories.authorization import PublicClientRepository


def test_registration_creates_a_public_client(client: Any, services: Services) -> None:
    response = client.post(
        REGISTER,
        json={
            "client_name": "Desk Assistant",
            "redirect_uris": [REDIRECT_URI, "http://127.0.0.1/callback"],
            # MCP clients ask for a secret by default: RFC 7591 §3.2.1 lets the server replace it.
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "tokens:read",
            "software_id": "ignored-unknown-member",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert "client_secret" not in body
    assert body["token_endpoint_auth_method"] == "none"
    assert body["redirect_uris"] == [REDIRECT_URI, "http://127.0.0.1/callback"]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["scope"] == "tokens:read"
    assert len(body["client_id"]) == 26
    with services.database.transaction() as connection:
        stored = PublicClientRepository(connection).get(body["client_id"])
        events = AuditRepository(connection).list(org_id=None, action="oauth_client.registered")
    assert stored is not None and stored.client_name == "Desk Assistant"
    assert [e.target_id for e in events] == [body["client_id"]]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://app.example/cb"}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb#x"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": [REDIRECT_URI] * 11}, "invalid_redirect_uri"),
        (
            {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "private_key_jwt"},
            "invalid_client_metadata",
        ),
        ({"redirect_uris": [REDIRECT_URI], "grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT_URI], "response_types": ["token"]}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT_URI], "scope": "no:such-scope"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT_URI], "scope": "a  b"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT_URI], "client_name": "x" * 201}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT_URI], "client_name": "bad\nname"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT_URI], "client_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT_URI], "client_name": 7}, "invalid_client_metadata"),
    ],
)
def test_bad_metadata_is_refused_with_the_rfc_7591_code(
    client: Any, body: dict[str, Any], error: str
) -> None:
    response = client.post(REGISTER, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("not json", "application/json"),
        ('{"a":1,"a":2}', "application/json"),
        ("[]", "application/json"),
        ("redirect_uris=x", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_invalid_request(client: Any, content: str, content_type: str) -> None:
    response = client.post(REGISTER, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("overrides", "open_"),
    [
        ({}, True),
        ({"env": "production"}, False),
        ({"client_registration_open": False}, False),
        ({"env": "production", "client_registration_open": True}, True),
    ],
)
def test_the_registration_switch(
    settings_factory: Callable[..., Settings],
    services_factory: Callable[..., Services],
    overrides: dict[str, Any],
    open_: bool,
) -> None:
    settings = settings_factory(**overrides)
    services = services_factory(settings, issuer=settings.issuer)
    with TestClient(create_app(settings, services=services), base_url="http://testserver") as http:
        response = http.post(REGISTER, json={"redirect_uris": [REDIRECT_URI]})
    if open_:
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert response.json() == {
            "error": "access_denied",
            "error_description": "Client registration is closed on this server.",
        }
