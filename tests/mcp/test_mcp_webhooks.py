"""The webhook tools through the SDK's own MCP client: over streamable HTTP on a live server (the local
backend, SQLite and PostgreSQL), and over stdio as ``tokensmith mcp --url`` against one (the remote
backend, through the management API). What they did is checked on the server's own services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession

from tests.conftest import LiveServer, LogLeakGuard
from tests.mcp.conftest import Member, error_text, http_session, structured
from tests.mcp.test_mcp_remote_live import remote_session
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind, Organization
from tokensmith.core.roles import Role
from tokensmith.storage.repositories.audit import AuditRepository

MakeMember = Callable[..., Member]
WEBHOOKS = ["webhooks:read", "webhooks:write"]
URL = "https://hooks.example.com/tokensmith"


async def _lifecycle(session: ClientSession, server: LiveServer, org: Organization) -> dict[str, Any]:
    """Register, list, see a delivery, replay it, delete: each tool's structured result."""
    out: dict[str, Any] = {}
    out["created"] = structured(
        await session.call_tool(
            "create_webhook",
            {"url": URL, "events": ["token.revoked", "credential.created"], "description": "ops"},
        )
    )
    out["listed"] = structured(await session.call_tool("list_webhooks", {}))
    endpoint_id = out["created"]["id"]
    await anyio.to_thread.run_sync(
        lambda: server.services.credentials.create(
            Actor.system(), org_id=org.id, name="billing", kind=CredentialKind.ORGANIZATION
        )
    )
    out["deliveries"] = structured(
        await session.call_tool("list_webhook_deliveries", {"endpoint_id": endpoint_id, "limit": 5})
    )
    delivery_id = out["deliveries"]["items"][0]["id"]
    out["replayed"] = structured(
        await session.call_tool(
            "replay_webhook_delivery", {"endpoint_id": endpoint_id, "delivery_id": delivery_id}
        )
    )
    out["missing"] = await session.call_tool(
        "replay_webhook_delivery", {"endpoint_id": endpoint_id, "delivery_id": "msg_nope"}
    )
    out["deleted"] = structured(await session.call_tool("delete_webhook", {"endpoint_id": endpoint_id}))
    out["after"] = structured(await session.call_tool("list_webhooks", {}))
    return out


def _check_lifecycle(out: dict[str, Any], server: LiveServer, org: Organization, admin: Member) -> set[str]:
    """The results are right; returns the transports the server audited the changes under."""
    created = out["created"]
    assert created["secret"].startswith("whsec_") and created["org_id"] == org.id
    assert created["events"] == ["credential.created", "token.revoked"] and created["description"] == "ops"
    assert (created["enabled"], created["failure_count"], created["disabled_reason"]) == (True, 0, None)
    (listed,) = out["listed"]["items"]
    assert listed["id"] == created["id"] and "secret" not in listed
    (delivery,) = out["deliveries"]["items"]
    assert (delivery["endpoint_id"], delivery["event_type"], delivery["status"]) == (
        created["id"],
        "credential.created",
        "pending",
    )
    assert delivery["payload"]["type"] == "credential.created" and delivery["attempts"] == 0
    assert out["replayed"]["id"] == delivery["id"] and out["replayed"]["status"] == "pending"
    assert error_text(out["missing"]).endswith(": not_found: no such delivery")
    assert out["deleted"] == {"id": created["id"], "deleted": True}
    assert out["after"] == {"items": []}
    with server.services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, target_id=created["id"])
    assert {e.action for e in events} == {"webhook.created", "webhook.replayed", "webhook.deleted"}
    assert {e.actor_id for e in events} == {admin.user_id}
    return {e.transport for e in events}


def test_an_admin_manages_webhooks_over_http(
    live_server: LiveServer,
    make_org: Callable[..., Organization],
    make_member: MakeMember,
    log_guard: LogLeakGuard,
) -> None:
    org = make_org()
    admin = make_member(live_server.services, org, Role.ADMIN, scopes=WEBHOOKS)

    async def run() -> dict[str, Any]:
        async with http_session(live_server, admin.token) as session:
            return await _lifecycle(session, live_server, org)

    out = anyio.run(run)
    log_guard.remember(out["created"]["secret"])
    assert _check_lifecycle(out, live_server, org, admin) == {"mcp"}


def test_members_unscoped_tokens_and_bad_endpoints_are_refused(
    live_server: LiveServer, make_org: Callable[..., Organization], make_member: MakeMember
) -> None:
    org = make_org()
    member = make_member(live_server.services, org, Role.MEMBER, scopes=WEBHOOKS)
    admin = make_member(live_server.services, org, Role.ADMIN, scopes=WEBHOOKS)
    reader = make_member(live_server.services, org, Role.ADMIN, scopes=["webhooks:read"])

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with http_session(live_server, member.token) as session:
            out["member"] = await session.call_tool("list_webhooks", {})
        async with http_session(live_server, admin.token) as session:
            for name, arguments in {
                "private": {"url": "http://127.0.0.1:8000/hook", "events": ["credential.created"]},
                "unknown_event": {"url": URL, "events": ["credential.exploded"]},
                "no_events": {"url": URL, "events": []},
            }.items():
                out[name] = await session.call_tool("create_webhook", arguments)
            out["foreign"] = await session.call_tool("delete_webhook", {"endpoint_id": "nope"})
        return out

    out = anyio.run(run)
    assert error_text(out["member"]).endswith(
        ": " + "forbidden: only organisation owners and admins can manage webhooks"
    )
    assert "url_not_allowed: " in error_text(out["private"])
    assert "validation_failed: " in error_text(out["unknown_event"])
    assert "credential.exploded" in error_text(out["unknown_event"])
    assert "events" in error_text(out["no_events"])  # the tool's own schema: at least one
    assert error_text(out["foreign"]).endswith(": not_found: no such webhook endpoint")

    refused = httpx.post(
        f"{live_server.url}/mcp",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "create_webhook", "arguments": {"url": URL, "events": ["token.revoked"]}},
        },
        headers={"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {reader.token}"},
        timeout=30,
    )
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert 'scope="webhooks:write"' in refused.headers["www-authenticate"]
    assert live_server.services.webhooks.list(Actor.system(), org.id) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_remote_backend_manages_webhooks_through_the_management_api(
    live_server: LiveServer,
    make_org: Callable[..., Organization],
    make_member: MakeMember,
    tmp_path: Path,
    log_guard: LogLeakGuard,
) -> None:
    org = make_org()
    admin = make_member(live_server.services, org, Role.ADMIN, scopes=WEBHOOKS)
    workdir = tmp_path / "mcp-client"
    workdir.mkdir()

    async def run() -> dict[str, Any]:
        with (tmp_path / "mcp-stderr.txt").open("w+") as errlog:
            async with remote_session(live_server, admin.token, workdir, errlog) as session:
                out = await _lifecycle(session, live_server, org)
            errlog.seek(0)
            out["stderr"] = errlog.read()
        return out

    out = anyio.run(run)
    log_guard.remember(out["created"]["secret"])
    assert _check_lifecycle(out, live_server, org, admin) == {"api"}  # done through /api/…, as the admin
    assert out["created"]["secret"] not in out["stderr"] and "Traceback" not in out["stderr"]


def test_create_credential_takes_token_reuse(
    live_server: LiveServer, make_org: Callable[..., Organization], make_member: MakeMember
) -> None:
    org = make_org()
    admin = make_member(live_server.services, org, Role.ADMIN)

    async def run() -> dict[str, Any]:
        async with http_session(live_server, admin.token) as session:
            return structured(
                await session.call_tool(
                    "create_credential", {"name": "cached", "kind": "personal", "reuse_tokens": True}
                )
            )

    created = anyio.run(run)
    assert created["reuse_tokens"] is True
    assert live_server.services.credentials.get(Actor.system(), created["id"]).reuse_tokens is True
