"""``tokensmith mcp --url``: the tools over a remote management API (a mock transport stands in for it)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from mcp.server.mcpserver.exceptions import ToolError

from tokensmith.client import ManagementClient, PersonalTokenAuth
from tokensmith.mcp.backend import RemoteBackend, tool_errors

TOKEN = {
    "id": "tok_1",
    "name": "ci",
    "description": "",
    "scopes": ["api/access"],
    "token_hint": "tsp_…abcd",
    "org_id": "org_1",
    "user_id": "usr_1",
    "created_at": "2026-01-01T00:00:00Z",
    "expires_at": None,
    "last_used_at": None,
    "revoked_at": None,
}
FORBIDDEN = "only organisation owners and admins can create organisation credentials"
CREDENTIAL = {
    "id": "cred_1",
    "client_id": "a" * 26,
    "kind": "organization",
    "name": "backend",
    "description": "",
    "org_id": "org_1",
    "user_id": None,
    "scopes": ["api/access"],
    "token_format": "jwt",
    "token_ttl": 3600,
    "secret_hint": "tss_…wxyz",
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
    "last_used_at": None,
    "previous_secret_expires_at": None,
    "auth_method": "client_secret",
    "key_thumbprints": [],
    "jwks_uri": None,
    "require_dpop": False,
}


def _backend(handler: Callable[[httpx.Request], httpx.Response]) -> RemoteBackend:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return RemoteBackend(ManagementClient("https://ts.example", PersonalTokenAuth("tsp_x"), http_client=http))


def test_create_token_goes_to_the_management_api() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={**TOKEN, "token": "tsp_new"})

    created = _backend(handler).create_token(
        name="ci", scopes=["api/access"], description="", expires_in_days=7, expires_at=None
    )
    assert created.token == "tsp_new" and created.id == "tok_1" and created.scopes == ["api/access"]
    request = seen[0]
    assert (request.method, request.url.path) == ("POST", "/api/tokens")
    assert request.headers["Authorization"] == "Bearer tsp_x"
    assert json.loads(request.content) == {"name": "ci", "scopes": ["api/access"], "expires_in_days": 7}


def test_list_revoke_and_credentials_map_to_their_routes() -> None:
    routes: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        routes.append((request.method, request.url.path))
        if request.url.path == "/api/tokens":
            return httpx.Response(200, json={"items": [TOKEN], "next_cursor": None})
        if request.url.path == "/api/credentials" and request.method == "GET":
            return httpx.Response(200, json={"items": [CREDENTIAL], "next_cursor": "cred_1"})
        if request.url.path.endswith("/regenerate"):
            return httpx.Response(200, json={**CREDENTIAL, "client_secret": "tss_new"})
        return httpx.Response(204)

    backend = _backend(handler)
    assert backend.list_tokens(expiring_within_seconds=None, limit=50, cursor=None).items[0].id == "tok_1"
    assert backend.revoke_token("tok_1").revoked
    page = backend.list_credentials(kind="organization", limit=10, cursor=None)
    assert page.next_cursor == "cred_1" and page.items[0].kind == "organization"
    assert backend.regenerate_credential_secret("cred_1", grace_seconds=60).client_secret == "tss_new"
    assert backend.delete_credential("cred_1").deleted
    assert routes == [
        ("GET", "/api/tokens"),
        ("DELETE", "/api/tokens/tok_1"),
        ("GET", "/api/credentials"),
        ("POST", "/api/credentials/cred_1/regenerate"),
        ("DELETE", "/api/credentials/cred_1"),
    ]


def test_problem_details_become_tool_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            json={
                "type": "https://tokensmith.dev/problems/forbidden",
                "title": "Not allowed",
                "status": 403,
                "detail": FORBIDDEN,
                "code": "forbidden",
            },
            headers={"Content-Type": "application/problem+json"},
        )

    backend = _backend(handler)
    with pytest.raises(ToolError) as caught, tool_errors():
        backend.create_credential(
            name="x",
            kind="organization",
            scopes=None,
            token_format=None,
            token_ttl=None,
            description="",
            require_dpop=False,
        )
    assert (
        str(caught.value)
        == "forbidden: only organisation owners and admins can create organisation credentials"
    )


def test_an_unreachable_server_is_a_tool_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ToolError) as caught, tool_errors():
        _backend(handler).list_tokens(expiring_within_seconds=None, limit=50, cursor=None)
    assert str(caught.value).startswith("unavailable: ")


def test_webhook_tools_ask_for_the_organisation_once_and_use_its_routes() -> None:
    routes: list[tuple[str, str]] = []
    me = {
        "user": {"id": "usr_1", "email": "ada@example.test"},
        "org": {"id": "org_1", "name": "Acme"},
        "role": "admin",
        "scopes": ["webhooks:read"],
        "auth": "personal_token",
        "subject_type": "user",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        routes.append((request.method, request.url.path))
        if request.url.path == "/api/me":
            return httpx.Response(200, json=me)
        return httpx.Response(200, json=[])

    backend = _backend(handler)
    assert backend.list_webhooks().items == []
    assert backend.list_webhook_deliveries("wh_1", limit=5).items == []
    assert routes == [
        ("GET", "/api/me"),
        ("GET", "/api/orgs/org_1/webhooks"),
        ("GET", "/api/orgs/org_1/webhooks/wh_1/deliveries"),
    ]
