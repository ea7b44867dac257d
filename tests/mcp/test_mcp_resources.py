"""``/mcp`` accepts an access token only for its own resource (RFC 8707; the MCP authorization
specification's audience rule): one asked for with ``resource=<the /mcp URI>`` lists and calls tools
through the official SDK; one for the platform API or another registered resource is 401
``invalid_token`` with the RFC 9728 challenge. Personal access tokens keep working."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from tests.conftest import LiveServer
from tests.http.authorization_support import (
    LOOPBACK_REDIRECT,
    Browser,
    authorize_params,
    exchange,
    get_code,
    make_person,
    pkce_pair,
    register,
)
from tests.mcp.conftest import Member, http_session, structured
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role

MakeMember = Callable[..., Member]
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
BILLING = "https://billing.example.test/v1"


@pytest.fixture
def org(live_server: LiveServer) -> Organization:
    return live_server.services.organizations.create(Actor.system(), "acme-resources")


def _exchange(server: LiveServer, personal: str, resource: str | None) -> httpx.Response:
    data = {"grant_type": EXCHANGE, "subject_token": personal, "subject_token_type": ACCESS_TOKEN_TYPE}
    if resource is not None:
        data["resource"] = resource
    return httpx.post(server.url + "/oauth2/token", data=data, timeout=10)


def _tools(server: LiveServer, token: str) -> tuple[list[str], dict[str, Any]]:
    async def run() -> tuple[list[str], dict[str, Any]]:
        async with http_session(server, token) as session:
            listed = await session.list_tools()
            called = structured(await session.call_tool("list_tokens", {}))
            return sorted(tool.name for tool in listed.tools), called

    return anyio.run(run)


def _initialize(server: LiveServer, token: str) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    return httpx.post(server.url + "/mcp", json=body, headers=headers, timeout=10)


def test_a_token_asked_for_mcp_works_and_one_for_another_resource_does_not(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    svc = live_server.services
    svc.resources.create(Actor.system(), name="Billing", uri=BILLING, scopes=["api/access"])
    member = make_member(svc, org, Role.OWNER)
    metadata = httpx.get(live_server.url + "/.well-known/oauth-protected-resource/mcp", timeout=10).json()
    mcp_uri = metadata["resource"]
    assert mcp_uri == svc.resources.builtin("mcp").uri == live_server.url + "/mcp"
    assert metadata["scopes_supported"] == sorted(svc.resources.builtin("mcp").scopes)

    for_mcp = _exchange(live_server, member.token, mcp_uri)
    assert for_mcp.status_code == 200, for_mcp.text
    names, called = _tools(live_server, for_mcp.json()["access_token"])
    assert "list_tokens" in names and "items" in called

    for resource in (None, svc.resources.builtin("platform").uri, BILLING):
        issued = _exchange(live_server, member.token, resource)
        assert issued.status_code == 200, issued.text
        refused = _initialize(live_server, issued.json()["access_token"])
        assert refused.status_code == 401, resource
        assert refused.json()["error"] == "invalid_token"
        challenge = refused.headers["WWW-Authenticate"]
        assert 'error="invalid_token"' in challenge
        assert f'resource_metadata="{live_server.url}/.well-known/oauth-protected-resource/mcp"' in challenge

    # The personal access token itself still works at /mcp, as it always has.
    names, _ = _tools(live_server, member.token)
    assert "list_tokens" in names


def test_a_scope_mcp_does_not_accept_is_invalid_scope(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(live_server.services, org, Role.OWNER)
    data = {
        "grant_type": EXCHANGE,
        "subject_token": member.token,
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "resource": live_server.url + "/mcp",
        "scope": "api/access",
    }
    response = httpx.post(live_server.url + "/oauth2/token", data=data, timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


@pytest.mark.log_guard_ignore("httpx", "httpcore")  # the code is in a redirect's query
def test_an_authorization_code_token_for_another_resource_is_refused_at_mcp(live_server: LiveServer) -> None:
    """Issue 12's hostile case: a person's app authorized for the management API cannot use that
    token at ``/mcp``; the same app authorized for ``/mcp`` can."""
    svc = live_server.services
    person = make_person(svc, Role.OWNER)
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        app = register(http, [LOOPBACK_REDIRECT])
        browser = Browser(http)
        browser.sign_in(person.email)
        tokens = {}
        for name in ("management", "mcp"):
            verifier, challenge = pkce_pair()
            resource = svc.resources.builtin(name).uri
            params = authorize_params(app["client_id"], challenge, LOOPBACK_REDIRECT, resource=resource)
            code = get_code(browser, person.org.id, params)
            issued = exchange(http, app["client_id"], code, verifier, LOOPBACK_REDIRECT, resource=resource)
            assert issued.status_code == 200, issued.text
            tokens[name] = issued.json()["access_token"]
    refused = _initialize(live_server, tokens["management"])
    assert refused.status_code == 401
    assert refused.json() == {
        "error": "invalid_token",
        "error_description": "the access token was issued for another resource (RFC 8707)",
    }
    assert (
        f'resource_metadata="{live_server.url}/.well-known/oauth-protected-resource/mcp"'
        in (refused.headers["WWW-Authenticate"])
    )
    assert _initialize(live_server, tokens["mcp"]).status_code == 200
