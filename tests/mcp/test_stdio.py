"""``tokensmith mcp`` over stdio, spawned by the SDK's own ``stdio_client`` on the test database."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.mcp.conftest import (
    TOOL_NAMES,
    Member,
    error_text,
    stdio_session,
    structured,
    tokensmith_executable,
)
from tokensmith.core.actors import Actor, Transport
from tokensmith.core.errors import Unauthenticated
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.storage.repositories.audit import AuditRepository

MakeMember = Callable[..., Member]


@pytest.fixture
def org(services: Services) -> Organization:
    return services.organizations.create(Actor.system(), "acme")


def test_tools_token_lifecycle_and_audit_over_stdio(
    database_url: str, services: Services, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(services, org)

    async def run() -> dict[str, Any]:
        async with stdio_session(database_url, member.token) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            created = structured(
                await session.call_tool("create_token", {"name": "laptop", "scopes": ["api/access"]})
            )
            # The new token authenticates (what the REST API and /api/v0/login do with it).
            usable = services.bearer.authenticate(created["token"], transport=Transport.API).user_id
            listed = structured(await session.call_tool("list_tokens", {}))
            revoked = structured(await session.call_tool("revoke_token", {"token_id": created["id"]}))
            malformed = await session.call_tool("create_token", {"name": "x"})
            return {
                "tools": tools,
                "created": created,
                "usable": usable,
                "listed": listed,
                "revoked": revoked,
                "malformed": malformed,
            }

    out = anyio.run(run)
    assert set(out["tools"]) == TOOL_NAMES
    assert out["tools"]["create_token"].output_schema is not None
    created = out["created"]
    assert created["token"].startswith("tsp_") and created["scopes"] == ["api/access"]
    assert out["usable"] == member.user_id
    assert created["id"] in {item["id"] for item in out["listed"]["items"]}
    assert out["revoked"] == {"id": created["id"], "revoked": True}
    with pytest.raises(Unauthenticated):
        services.bearer.authenticate(created["token"], transport=Transport.API)
    malformed = error_text(out["malformed"])
    assert malformed.startswith("Error executing tool create_token:") and "scopes" in malformed

    with services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, target_id=created["id"])
    assert {event.action for event in events} == {"personal_token.created", "personal_token.revoked"}
    assert {event.transport for event in events} == {"mcp"}
    assert {event.actor_id for event in events} == {member.user_id}


def test_role_boundaries_over_stdio(
    database_url: str, services: Services, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(services, org, Role.MEMBER)

    async def run() -> tuple[Any, Any]:
        async with stdio_session(database_url, member.token) as session:
            refused = await session.call_tool(
                "create_credential", {"name": "backend", "kind": "organization"}
            )
            mine = await session.call_tool("create_credential", {"name": "mine", "kind": "personal"})
            return refused, mine

    refused, mine = anyio.run(run)
    assert "forbidden: only organisation owners and admins can create organisation credentials" in error_text(
        refused
    )
    assert structured(mine)["kind"] == "personal"


def test_a_token_revoked_meanwhile_turns_every_call_into_a_tool_error(
    database_url: str, services: Services, org: Organization, make_member: MakeMember
) -> None:
    member = make_member(services, org)

    async def run() -> Any:
        async with stdio_session(database_url, member.token) as session:
            structured(await session.call_tool("list_tokens", {}))
            services.personal_tokens.revoke(Actor.system(), member.token_id)
            return await session.call_tool("list_tokens", {})

    message = error_text(anyio.run(run))
    assert "invalid_token: the personal token is invalid, expired or revoked" in message


@pytest.mark.parametrize("token", ["", "tsp_not-a-real-token"])
def test_it_refuses_to_start_without_a_valid_token(database_url: str, token: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TOKENSMITH_DATABASE_URL": database_url,
        "TOKENSMITH_SECRET_KEY": TEST_SECRET_KEY,
        "TOKENSMITH_TOKEN": token,
    }
    result = subprocess.run(  # noqa: S603 - our own entry point
        [tokensmith_executable(), "mcp"], env=env, input="", capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
