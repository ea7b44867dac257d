"""The MCP server over streamable HTTP at /mcp, driven by the SDK's own client against uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import anyio
import httpx
import pytest

from tests.conftest import LiveServer
from tests.mcp.conftest import (
    ALL_MANAGEMENT,
    TOOL_NAMES,
    Member,
    error_text,
    http_session,
    structured,
)
from tokensmith.core.actors import Actor, Transport
from tokensmith.core.errors import Unauthenticated
from tokensmith.core.records import Organization, SubjectKind, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.mcp.tools import REQUIRED_SCOPES
from tokensmith.services.minting import Grant, TokenMinter
from tokensmith.storage.repositories.audit import AuditRepository

MakeMember = Callable[..., Member]


def _login(server: LiveServer, token: str) -> httpx.Response:
    """Seed 002: exchange a personal token at /api/v0/login."""
    return httpx.post(
        server.url + "/api/v0/login",
        json={"grant_type": "refresh_token"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _call(server: LiveServer, token: str, tool: str, arguments: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with http_session(server, token) as session:
            return await session.call_tool(tool, arguments)

    return anyio.run(run)


def _user_grant(member: Member, scopes: list[str]) -> Grant:
    return Grant(
        subject=member.user_id,
        subject_kind=SubjectKind.USER,
        org_id=member.org.id,
        client_id=f"pat:{member.token_id}",
        scopes=frozenset(scopes),
        ttl=300,
        token_format=TokenFormat.JWT,
        personal_token_id=member.token_id,
    )


@pytest.fixture
def org(live_server: LiveServer) -> Organization:
    return live_server.services.organizations.create(Actor.system(), "acme")


# -- tools and schemas -------------------------------------------------------------------------------


def test_lists_the_twelve_tools_with_input_and_output_schemas(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(live_server.services, org)

    async def run() -> Any:
        async with http_session(live_server, member.token) as session:
            return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in anyio.run(run)}
    assert set(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        assert tool.description
    create = tools["create_token"].input_schema
    assert set(create["required"]) == {"name", "scopes"}
    assert create["properties"]["scopes"]["minItems"] == 1
    assert "token" in tools["create_token"].output_schema["required"]
    assert set(tools["create_credential"].input_schema["required"]) == {"name", "kind"}
    assert tools["create_credential"].input_schema["properties"]["kind"]["enum"] == [
        "personal",
        "organization",
    ]
    assert tools["revoke_token"].input_schema["required"] == ["token_id"]
    assert tools["list_tokens"].annotations is not None and tools["list_tokens"].annotations.read_only_hint
    assert tools["delete_credential"].annotations is not None
    assert tools["delete_credential"].annotations.destructive_hint
    assert "reuse_tokens" in tools["create_credential"].input_schema["properties"]
    webhook = tools["create_webhook"]
    assert set(webhook.input_schema["required"]) == {"url", "events"}
    assert webhook.input_schema["properties"]["events"]["minItems"] == 1
    assert "secret" in (webhook.output_schema or {})["required"]
    assert (
        tools["list_webhooks"].annotations is not None and tools["list_webhooks"].annotations.read_only_hint
    )
    assert set(tools["replay_webhook_delivery"].input_schema["required"]) == {"endpoint_id", "delivery_id"}
    assert (
        tools["delete_webhook"].annotations is not None
        and tools["delete_webhook"].annotations.destructive_hint
    )


# -- personal tokens: create, use, list, revoke --------------------------------------------------------


def test_create_use_list_and_revoke_a_token(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    svc = live_server.services
    member = make_member(svc, org)

    async def create_and_list() -> tuple[dict[str, Any], dict[str, Any]]:
        async with http_session(live_server, member.token) as session:
            created = structured(
                await session.call_tool(
                    "create_token", {"name": "ci deploy", "scopes": ["api/access"], "expires_in_days": 30}
                )
            )
            listed = structured(await session.call_tool("list_tokens", {}))
            return created, listed

    created, listed = anyio.run(create_and_list)
    new_token = created["token"]
    assert new_token.startswith("tsp_")
    assert created["name"] == "ci deploy" and created["scopes"] == ["api/access"]
    assert created["user_id"] == member.user_id and created["org_id"] == org.id
    assert created["expires_at"] is not None and created["revoked_at"] is None
    assert {item["id"] for item in listed["items"]} == {created["id"], member.token_id}
    assert all("token" not in item for item in listed["items"])

    # The new token works: on the seed-002 exchange and as a bearer for the management surface.
    login = _login(live_server, new_token)
    assert login.status_code == 200, login.text
    assert login.json()["token_type"].lower() == "bearer"
    assert svc.bearer.authenticate(new_token, transport=Transport.API).user_id == member.user_id

    revoked = structured(_call(live_server, member.token, "revoke_token", {"token_id": created["id"]}))
    assert revoked == {"id": created["id"], "revoked": True}
    assert _login(live_server, new_token).status_code in (400, 401)
    with pytest.raises(Unauthenticated):
        svc.bearer.authenticate(new_token, transport=Transport.API)

    # Revoking twice: the token is gone for this user.
    again = error_text(_call(live_server, member.token, "revoke_token", {"token_id": created["id"]}))
    assert "not_found: no such token" in again

    with svc.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, action_prefix="personal_token.")
    mine = {(event.action, event.target_id): event for event in events}
    for action in ("personal_token.created", "personal_token.revoked"):
        event = mine[(action, created["id"])]
        assert event.transport == "mcp"
        assert event.actor_id == member.user_id
        assert new_token not in str(event.details)


def test_scopes_are_a_ceiling(live_server: LiveServer, org: Organization, make_member: MakeMember) -> None:
    reader = make_member(live_server.services, org, Role.OWNER, scopes=["tokens:read"])
    # A missing tool scope is an HTTP 403 scope challenge before the tool runs:
    # tests/mcp/test_mcp_hostile_challenges.py asserts it; the SDK client raises on it.
    call = {"name": "create_token", "arguments": {"name": "x", "scopes": ["api/access"]}}
    refused = httpx.post(
        live_server.url + "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call},
        headers={"Authorization": f"Bearer {reader.token}", "Accept": "application/json, text/event-stream"},
        timeout=10,
    )
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"

    writer = make_member(live_server.services, org, scopes=["tokens:write", "api/access"])
    wider = error_text(
        _call(live_server, writer.token, "create_token", {"name": "x", "scopes": ["members:write"]})
    )
    assert "scope_not_allowed" in wider and "members:write" in wider


# -- credentials: role and organisation boundaries ----------------------------------------------------


def test_a_member_cannot_create_an_organisation_credential(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(live_server.services, org, Role.MEMBER)
    message = error_text(
        _call(live_server, member.token, "create_credential", {"name": "backend", "kind": "organization"})
    )
    assert "forbidden: only organisation owners and admins can create organisation credentials" in message
    assert "Traceback" not in message

    personal = structured(
        _call(live_server, member.token, "create_credential", {"name": "mine", "kind": "personal"})
    )
    assert personal["kind"] == "personal" and personal["user_id"] == member.user_id
    token = httpx.post(
        live_server.url + "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(personal["client_id"], personal["client_secret"]),
        timeout=10,
    )
    assert token.status_code == 200, token.text


def test_an_admin_creates_regenerates_lists_and_deletes_an_organisation_credential(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    admin = make_member(live_server.services, org, Role.ADMIN)
    member = make_member(live_server.services, org, Role.MEMBER)

    async def run() -> dict[str, Any]:
        async with http_session(live_server, admin.token) as session:
            created = structured(
                await session.call_tool(
                    "create_credential",
                    {"name": "backend", "kind": "organization", "token_format": "opaque", "token_ttl": 600},
                )
            )
            regenerated = structured(
                await session.call_tool(
                    "regenerate_credential_secret", {"credential_id": created["client_id"]}
                )
            )
            listed = structured(await session.call_tool("list_credentials", {"kind": "organization"}))
            return {"created": created, "regenerated": regenerated, "listed": listed}

    out = anyio.run(run)
    created, regenerated = out["created"], out["regenerated"]
    assert created["token_format"] == "opaque" and created["token_ttl"] == 600
    assert regenerated["client_secret"] != created["client_secret"]
    assert [item["client_id"] for item in out["listed"]["items"]] == [created["client_id"]]

    def token_status(secret: str) -> int:
        return httpx.post(
            live_server.url + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(created["client_id"], secret),
            timeout=10,
        ).status_code

    assert token_status(created["client_secret"]) == 401
    assert token_status(regenerated["client_secret"]) == 200

    # A member sees the organisation's credential but may not change it.
    refused = error_text(
        _call(live_server, member.token, "delete_credential", {"credential_id": created["id"]})
    )
    assert refused.startswith("Error executing tool delete_credential: forbidden:")

    deleted = structured(
        _call(live_server, admin.token, "delete_credential", {"credential_id": created["id"]})
    )
    assert deleted == {"id": created["id"], "deleted": True}
    assert token_status(regenerated["client_secret"]) == 401


def test_another_organisation_s_credential_does_not_exist(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    other_org = live_server.services.organizations.create(Actor.system(), "globex")
    other_admin = make_member(live_server.services, other_org, Role.ADMIN)
    theirs = structured(
        _call(live_server, other_admin.token, "create_credential", {"name": "x", "kind": "organization"})
    )
    admin = make_member(live_server.services, org, Role.OWNER)
    message = error_text(
        _call(live_server, admin.token, "delete_credential", {"credential_id": theirs["id"]})
    )
    assert "not_found: no such credential" in message


# -- malformed arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "field"),
    [
        ("create_token", {"scopes": ["api/access"]}, "name"),
        ("create_token", {"name": "x", "scopes": []}, "scopes"),
        (
            "create_token",
            {"name": "x", "scopes": ["api/access"], "expires_in_days": "soon"},
            "expires_in_days",
        ),
        (
            "create_token",
            {"name": "x", "scopes": ["api/access"], "expires_at": "2030-01-01T00:00:00"},
            "expires_at",
        ),
        ("create_credential", {"name": "x", "kind": "team"}, "kind"),
        ("list_tokens", {"limit": 0}, "limit"),
        ("revoke_token", {}, "token_id"),
    ],
)
def test_malformed_arguments_are_tool_errors(
    live_server: LiveServer,
    org: Organization,
    make_member: MakeMember,
    tool: str,
    arguments: dict[str, Any],
    field: str,
) -> None:
    member = make_member(live_server.services, org)
    message = error_text(_call(live_server, member.token, tool, arguments))
    assert message.startswith(f"Error executing tool {tool}:")
    assert field in message
    assert "Traceback" not in message


def test_service_validation_errors_are_tool_errors(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(live_server.services, org)
    message = error_text(
        _call(live_server, member.token, "create_token", {"name": "x", "scopes": ["no-such-scope"]})
    )
    assert "unknown scope(s): no-such-scope" in message


# -- authentication, audience, protected-resource metadata -----------------------------------------------


def _challenge_url(response: httpx.Response) -> str:
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    marker = 'resource_metadata="'
    assert marker in challenge, challenge
    return challenge.split(marker, 1)[1].split('"', 1)[0]


def _initialize(server: LiveServer, authorization: str | None, **headers: str) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"},
        },
    }
    sent = {"Accept": "application/json, text/event-stream", **headers}
    if authorization is not None:
        sent["Authorization"] = authorization
    return httpx.post(server.url + "/mcp", json=body, headers=sent, timeout=10)


def test_unauthenticated_requests_get_401_pointing_at_the_resource_metadata(live_server: LiveServer) -> None:
    response = _initialize(live_server, None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer resource_metadata="{live_server.url}/.well-known/oauth-protected-resource/mcp"'
    )
    assert response.headers["Cache-Control"] == "no-store"

    metadata = httpx.get(_challenge_url(response), timeout=10)
    assert metadata.status_code == 200
    assert metadata.json() == {
        "resource": live_server.url + "/mcp",
        "authorization_servers": [live_server.url],
        "scopes_supported": sorted(set(REQUIRED_SCOPES.values())),
        "bearer_methods_supported": ["header"],
        "resource_name": "Tokensmith MCP server",
    }
    root = httpx.get(live_server.url + "/.well-known/oauth-protected-resource", timeout=10)
    assert root.status_code == 200 and root.json() == metadata.json()
    # The issuer there is the discovery document's, byte for byte.
    discovery = httpx.get(live_server.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata.json()["authorization_servers"] == [discovery["issuer"]]


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer tsp_not-a-real-token"])
def test_bad_credentials_get_401_with_the_challenge(live_server: LiveServer, authorization: str) -> None:
    response = _initialize(live_server, authorization)
    assert response.status_code == 401
    assert _challenge_url(response) == live_server.url + "/.well-known/oauth-protected-resource/mcp"


def test_a_revoked_token_is_refused(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(live_server.services, org)
    assert _initialize(live_server, f"Bearer {member.token}").status_code == 200
    live_server.services.personal_tokens.revoke(Actor.system(), member.token_id)
    response = _initialize(live_server, f"Bearer {member.token}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_user_access_token_works_and_one_for_another_audience_is_refused(
    live_server: LiveServer, org: Organization, make_member: MakeMember, log_guard: Any
) -> None:
    svc = live_server.services
    member = make_member(svc, org, Role.ADMIN)
    for_mcp = replace(_user_grant(member, ALL_MANAGEMENT), audience=svc.resources.builtin("mcp").uri)
    ours = svc.minter.mint(for_mcp).access_token
    listed = structured(_call(live_server, ours, "list_credentials", {}))
    assert listed == {"items": [], "next_cursor": None}

    # RFC 8707: a token of this server for the platform API (the default audience) is not for /mcp.
    platform = svc.minter.mint(_user_grant(member, ALL_MANAGEMENT)).access_token
    refused = _initialize(live_server, f"Bearer {platform}")
    assert refused.status_code == 401
    assert refused.json() == {
        "error": "invalid_token",
        "error_description": "the access token was issued for another resource (RFC 8707)",
    }

    elsewhere = TokenMinter(
        svc.database,
        svc.clock,
        svc.keyring,
        svc.hasher,
        issuer=svc.issuer,
        audience="https://api.elsewhere.example",
        opaque_prefix=svc.settings.opaque_token_prefix,
    )
    foreign = elsewhere.mint(_user_grant(member, ALL_MANAGEMENT)).access_token
    response = _initialize(live_server, f"Bearer {foreign}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert _challenge_url(response) == live_server.url + "/.well-known/oauth-protected-resource/mcp"


def test_a_client_access_token_is_refused(
    live_server: LiveServer, make_credential: Callable[..., Any]
) -> None:
    credential = make_credential(scopes=["credentials:read"])
    token = httpx.post(
        live_server.url + "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "credentials:read"},
        headers={"Authorization": credential.basic},
        timeout=10,
    ).json()["access_token"]
    response = _initialize(live_server, f"Bearer {token}")
    assert response.status_code == 401
    assert "issued to a client" in response.json()["error_description"]


def test_a_cross_origin_browser_request_is_refused(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(live_server.services, org)
    response = _initialize(live_server, f"Bearer {member.token}", Origin="https://evil.example")
    assert response.status_code == 403
    same = _initialize(live_server, f"Bearer {member.token}", Origin=live_server.url)
    assert same.status_code == 200
