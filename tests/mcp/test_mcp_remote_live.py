"""``tokensmith mcp --url`` end to end: the SDK's own ``stdio_client`` spawns it against a live server.

The subprocess gets ``TOKENSMITH_TOKEN`` and the SDK's safe default environment (``PATH``, ``HOME``…) only: no
database URL, no master key. It runs in an empty directory that must stay empty (no ``./tokensmith.db``, no
``.tokensmith-secret-key``): remote mode acts on the server through its management API and nothing else.
What the tools did is checked on the live server's own REST API and token endpoint.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult

from tests.conftest import LiveServer, LogLeakGuard
from tests.mcp.conftest import TOOL_NAMES, Member, error_text, structured, tokensmith_executable
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.storage.repositories.audit import AuditRepository

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MakeMember = Callable[..., Member]
FORBIDDEN = "forbidden: only organisation owners and admins can create organisation credentials"


@asynccontextmanager
async def remote_session(
    server: LiveServer, token: str, cwd: Path, errlog: TextIO
) -> AsyncIterator[ClientSession]:
    """An initialised SDK session to ``tokensmith mcp --url <server>`` with only the token configured."""
    parameters = StdioServerParameters(
        command=tokensmith_executable(),
        args=["mcp", "--url", server.url],
        env={"TOKENSMITH_TOKEN": token},  # merged into the SDK's default (PATH, HOME, …) environment
        cwd=cwd,
    )
    async with (
        stdio_client(parameters, errlog=errlog) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory for the subprocess (the test database lives next to it, not in it)."""
    path = tmp_path / "mcp-client"
    path.mkdir()
    return path


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_remote_tools_act_on_the_live_server(
    live_server: LiveServer,
    make_org: Callable[..., Organization],
    make_member: MakeMember,
    workdir: Path,
    tmp_path: Path,
    log_guard: LogLeakGuard,
) -> None:
    org = make_org()
    member = make_member(live_server.services, org, Role.MEMBER)
    log_guard.remember(member.token, "Bearer " + member.token)

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with (tmp_path / "mcp-stderr.txt").open("w+") as errlog:
            async with (
                httpx.AsyncClient(base_url=live_server.url, timeout=10) as rest,
                remote_session(live_server, member.token, workdir, errlog) as session,
            ):
                out["tools"] = {tool.name for tool in (await session.list_tools()).tools}

                created = structured(
                    await session.call_tool(
                        "create_token", {"name": "laptop", "scopes": ["api/access"], "expires_in_days": 7}
                    )
                )
                out["created"] = created
                out["me"] = await rest.get("/api/me", headers=_bearer(created["token"]))
                out["listed"] = structured(await session.call_tool("list_tokens", {}))
                out["revoked"] = structured(
                    await session.call_tool("revoke_token", {"token_id": created["id"]})
                )
                out["me_after_revoke"] = await rest.get("/api/me", headers=_bearer(created["token"]))
                out["listed_after_revoke"] = structured(await session.call_tool("list_tokens", {}))

                refused: CallToolResult = await session.call_tool(
                    "create_credential", {"name": "backend", "kind": "organization"}
                )
                out["refused"] = refused
                personal = structured(
                    await session.call_tool(
                        "create_credential", {"name": "mine", "kind": "personal", "scopes": ["api/access"]}
                    )
                )
                out["personal"] = personal
                out["issued"] = await rest.post(
                    "/oauth2/token",
                    data={"grant_type": "client_credentials", "scope": "api/access"},
                    auth=(personal["client_id"], personal["client_secret"]),
                )
                out["credentials"] = structured(await session.call_tool("list_credentials", {}))
            errlog.seek(0)
            out["stderr"] = errlog.read()
        return out

    out = anyio.run(run)

    assert out["tools"] == TOOL_NAMES

    created = out["created"]
    assert created["token"].startswith("tsp_") and created["scopes"] == ["api/access"]
    assert (created["user_id"], created["org_id"]) == (member.user_id, org.id)
    me = out["me"]
    assert me.status_code == 200, me.text
    assert me.json()["user"]["id"] == member.user_id and me.json()["auth"] == "personal_token"
    assert me.json()["scopes"] == ["api/access"]
    assert created["id"] in {item["id"] for item in out["listed"]["items"]}
    assert "token" not in out["listed"]["items"][0]

    assert out["revoked"] == {"id": created["id"], "revoked": True}
    assert out["me_after_revoke"].status_code == 401
    assert created["id"] not in {item["id"] for item in out["listed_after_revoke"]["items"]}

    assert FORBIDDEN in error_text(out["refused"])

    personal = out["personal"]
    assert personal["kind"] == "personal" and personal["user_id"] == member.user_id
    assert personal["client_secret"].startswith("tss_")
    issued = out["issued"]
    assert issued.status_code == 200, issued.text
    assert issued.json()["token_type"] == "Bearer" and issued.json()["scope"] == "api/access"
    assert personal["id"] in {item["id"] for item in out["credentials"]["items"]}

    # The server did the work through its management API, as the member (and audited it so).
    with live_server.services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, target_id=created["id"])
    assert {event.action for event in events} == {"personal_token.created", "personal_token.revoked"}
    assert {(event.actor_id, event.transport) for event in events} == {(member.user_id, "api")}

    assert "Traceback" not in out["stderr"]
    secrets = (member.token, created["token"], personal["client_secret"])
    assert not any(secret in out["stderr"] for secret in secrets)
    assert list(workdir.iterdir()) == []  # no local database, no master-key file: remote mode needs neither


@pytest.mark.parametrize("case", ["unknown token", "revoked token", "unreachable server"])
def test_a_token_or_server_it_cannot_use_fails_at_start(
    case: str,
    live_server: LiveServer,
    make_org: Callable[..., Organization],
    make_member: MakeMember,
    workdir: Path,
    log_guard: LogLeakGuard,
) -> None:
    """Like local mode: exit status 1 and one line on stderr, before serving anything."""
    url, token = live_server.url, "tsp_not-a-real-token"
    expected = f"error: {url} refused the token (invalid_token: "
    with socket.socket() as closed:  # bound, never listening: connections to it are refused
        closed.bind(("127.0.0.1", 0))
        if case == "revoked token":
            member = make_member(live_server.services, make_org())
            token = member.token
            log_guard.remember(token)
            live_server.services.personal_tokens.revoke(Actor.system(), member.token_id)
        elif case == "unreachable server":
            url = f"http://127.0.0.1:{closed.getsockname()[1]}"
            expected = f"error: no usable Tokensmith management API at {url} (ConnectError)"
        result = subprocess.run(  # noqa: S603 - our own entry point
            [tokensmith_executable(), "mcp", "--url", url],
            env={"PATH": os.environ.get("PATH", ""), "TOKENSMITH_TOKEN": token},
            cwd=workdir,
            input="",
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(expected), result.stderr
    assert result.stderr.count("\n") == 1 and token not in result.stderr
    assert list(workdir.iterdir()) == []
