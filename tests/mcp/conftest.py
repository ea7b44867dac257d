"""Helpers for driving the MCP server with the SDK's own client, over both transports."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx2
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from tests.conftest import TEST_SECRET_KEY, LiveServer
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

ALL_MANAGEMENT = ["tokens:read", "tokens:write", "credentials:read", "credentials:write"]
#: What a member's token carries by default: management plus the platform API.
DEFAULT_SCOPES = [*ALL_MANAGEMENT, "api/access"]
TOOL_NAMES = {
    "list_tokens",
    "create_token",
    "revoke_token",
    "list_credentials",
    "create_credential",
    "regenerate_credential_secret",
    "delete_credential",
    "list_webhooks",
    "create_webhook",
    "delete_webhook",
    "list_webhook_deliveries",
    "replay_webhook_delivery",
}


class Member(NamedTuple):
    user_id: str
    email: str
    org: Organization
    token: str
    token_id: str


@pytest.fixture
def make_member() -> Callable[..., Member]:
    """``make_member(services, org, role, scopes)``: a new user in ``org`` and a personal token of theirs."""

    def make(
        services: Services, org: Organization, role: Role = Role.MEMBER, scopes: list[str] | None = None
    ) -> Member:
        email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.test"
        user = services.organizations.create_user(Actor.system(), email, org_id=org.id, role=role)
        created = services.personal_tokens.create(
            Actor.system(),
            name="mcp client",
            scopes=scopes if scopes is not None else DEFAULT_SCOPES,
            org_id=org.id,
            user_id=user.id,
        )
        return Member(user.id, email, org, created.plain, created.token.id)

    return make


@asynccontextmanager
async def http_session(server: LiveServer, token: str | None) -> AsyncIterator[ClientSession]:
    """An initialised SDK session over streamable HTTP to ``{server}/mcp``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(server.url + "/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def tokensmith_executable() -> str:
    path = Path(sys.executable).parent / "tokensmith"
    assert path.exists(), f"{path} is missing: install the project into the venv"
    return str(path)


@asynccontextmanager
async def stdio_session(
    database_url: str, token: str, *args: str, errlog: Any = None
) -> AsyncIterator[ClientSession]:
    """An initialised SDK session over stdio to a spawned ``tokensmith mcp``."""
    parameters = StdioServerParameters(
        command=tokensmith_executable(),
        args=["mcp", *args],
        env={
            "TOKENSMITH_DATABASE_URL": database_url,
            "TOKENSMITH_SECRET_KEY": TEST_SECRET_KEY,
            "TOKENSMITH_TOKEN": token,
        },
    )
    async with (
        stdio_client(parameters, errlog=errlog or sys.stderr) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured result of a successful call (asserting that it succeeded)."""
    assert not result.is_error, error_text(result)
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


def error_text(result: CallToolResult) -> str:
    """The text of a tool error (asserting that it is one)."""
    assert result.is_error, json.dumps(result.structured_content)
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    return " ".join(texts)
