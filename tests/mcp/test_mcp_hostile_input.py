"""Hostile text on the MCP door: NUL and other control characters are refused in every text
field a tool stores, on SQLite (which would store them) and PostgreSQL (which refuses NUL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from tests.conftest import LiveServer
from tests.mcp.conftest import Member, error_text, http_session, structured
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role

MakeMember = Callable[..., Member]
HOSTILE = ["nul\x00here", "line\nbreak", "carriage\rreturn", "esc\x1b[31mred", "del\x7f", "c1\x85next"]


def _call(server: LiveServer, token: str, tool: str, arguments: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with http_session(server, token) as session:
            return await session.call_tool(tool, arguments)

    return anyio.run(run)


@pytest.fixture
def org(live_server: LiveServer) -> Organization:
    return live_server.services.organizations.create(Actor.system(), "acme-hostile")


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    ("tool", "field", "arguments"),
    [
        ("create_token", "name", {"scopes": ["api/access"]}),
        ("create_token", "description", {"name": "ok", "scopes": ["api/access"]}),
        ("create_credential", "name", {"kind": "personal"}),
        ("create_credential", "description", {"name": "ok", "kind": "personal"}),
    ],
)
def test_control_characters_are_refused_and_nothing_is_stored(
    live_server: LiveServer,
    org: Organization,
    make_member: MakeMember,
    tool: str,
    field: str,
    arguments: dict[str, Any],
    text: str,
) -> None:
    if field == "description" and text.startswith(("line", "carriage")):
        pytest.skip("descriptions may span lines")
    member = make_member(live_server.services, org, Role.OWNER)
    result = _call(live_server, member.token, tool, {**arguments, field: text})
    assert result.is_error
    assert f"{tool}: validation_failed: " in error_text(result)
    assert "control characters" in error_text(result)
    listing = "list_tokens" if tool == "create_token" else "list_credentials"
    items = structured(_call(live_server, member.token, listing, {}))["items"]
    assert [item for item in items if item["name"] != "mcp client"] == []


def test_multi_line_descriptions_are_kept(
    live_server: LiveServer, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(live_server.services, org, Role.OWNER)
    result = _call(
        live_server,
        member.token,
        "create_credential",
        {"name": "deploy", "kind": "personal", "description": "line one\r\nline two\ttabbed"},
    )
    assert not result.is_error, error_text(result)
    assert structured(result)["description"] == "line one\r\nline two\ttabbed"
