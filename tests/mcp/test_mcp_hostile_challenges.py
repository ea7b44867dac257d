"""Bearer challenges on ``/mcp``: RFC 6750 §3 challenges (401 ``invalid_token``, 403
``insufficient_scope`` with the ``scope`` needed, before the tool runs) and tokens in the URL
refused. A live uvicorn server over real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.mcp.conftest import Member
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.mcp.tools import REQUIRED_SCOPES, Tools
from tokensmith.storage.repositories.audit import AuditRepository

MakeMember = Callable[..., Member]
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture
def org(live_server: LiveServer) -> Organization:
    return live_server.services.organizations.create(Actor.system(), "acme-challenges")


def _post(server: LiveServer, token: str | None, body: Any, query: str = "") -> httpx.Response:
    headers = dict(ACCEPT)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{server.url}/mcp{query}", json=body, headers=headers, timeout=30)


def _tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def test_a_missing_scope_is_403_insufficient_scope_before_the_tool_runs(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    reader = make_member(live_server.services, org, Role.OWNER, scopes=["tokens:read"])
    response = _post(
        live_server, reader.token, _tool_call("create_token", {"name": "x", "scopes": ["api/access"]})
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(
        'Bearer error="insufficient_scope", scope="tokens:write", resource_metadata="'
    )
    assert f'resource_metadata="{live_server.url}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert response.headers["cache-control"] == "no-store"
    with live_server.services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, action_prefix="personal_token.created")
    assert [e for e in events if e.actor_id == reader.user_id] == []  # nothing ran


def test_a_tool_within_the_tokens_scopes_still_runs(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    reader = make_member(live_server.services, org, Role.OWNER, scopes=["tokens:read"])
    response = _post(live_server, reader.token, _tool_call("list_tokens", {}))
    assert response.status_code == 200, response.text
    assert response.json()["result"]["isError"] is False


@pytest.mark.parametrize("token", ["tsp_" + "A" * 36, "eyJhbGciOiJFUzI1NiJ9.e30.sig"])
def test_a_bad_token_is_401_invalid_token(live_server: LiveServer, token: str) -> None:
    response = _post(live_server, token, _tool_call("list_tokens", {}))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith(
        'Bearer error="invalid_token", error_description="'
    )


@pytest.mark.parametrize("with_header", [False, True])
def test_a_token_in_the_url_is_400_invalid_request(
    live_server: LiveServer, org: Organization, make_member: MakeMember, with_header: bool
) -> None:
    member = make_member(live_server.services, org)
    response = _post(
        live_server,
        member.token if with_header else None,
        _tool_call("list_tokens", {}),
        query="?access_token=tsp_" + "B" * 36,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_every_tool_declares_the_scope_its_docstring_names() -> None:
    tools = Tools(lambda _request: None)  # type: ignore[arg-type,return-value]
    names = {tool.__name__: inspect.getdoc(tool) or "" for tool, _hints in tools.all()}
    assert set(names) == set(REQUIRED_SCOPES)
    for name, doc in names.items():
        assert f"Needs the {REQUIRED_SCOPES[name]} scope" in doc, name


def test_the_mcp_resource_offers_exactly_the_scopes_its_tools_check() -> None:
    from tokensmith.services.resources import MCP_SCOPES

    assert set(REQUIRED_SCOPES.values()) == MCP_SCOPES


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_user_token_from_the_future_is_refused(
    live_server: LiveServer, org: Organization, make_member: MakeMember, claim: str
) -> None:
    """On /mcp, the same nbf/iat rule and leeway as tokensmith.verify."""
    import jwt

    from tokensmith.core.clock import epoch

    svc = live_server.services
    member = make_member(svc, org, Role.OWNER)
    exchanged = svc.token_exchange.issue(
        member.token,
        "urn:ietf:params:oauth:token-type:access_token",
        None,
        None,
        resource=svc.resources.builtin("mcp").uri,
    )
    claims = jwt.decode(exchanged.access_token, options={"verify_signature": False})
    assert _post(live_server, exchanged.access_token, _tool_call("list_tokens", {})).status_code == 200
    claims[claim] = epoch(svc.clock.now()) + 50 * 60
    future = svc.keyring.signing_key().sign(claims)
    response = _post(live_server, future, _tool_call("list_tokens", {}))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
