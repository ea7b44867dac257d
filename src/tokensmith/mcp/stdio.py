"""The MCP server over stdio (``tokensmith mcp``): on this database, or on a remote Tokensmith.

The personal token comes from ``TOKENSMITH_TOKEN``. Locally every tool call authenticates it again
(so a revocation takes effect at once) and acts through the services with ``transport=mcp``;
with a URL, every call goes to that server's management API, which authorises and audits it.
Only JSON-RPC goes to stdout; diagnostics go to stderr.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
import httpx
from anyio import to_thread
from mcp.server.mcpserver import MCPServer

from tokensmith.client import ClientMe, ManagementClient, PersonalTokenAuth
from tokensmith.client.errors import ApiError, TokensmithClientError
from tokensmith.core.actors import Actor, Transport
from tokensmith.mcp.backend import RemoteBackend, tool_error
from tokensmith.mcp.server import build_server, remote_resolver, token_resolver
from tokensmith.services.container import Services

log = logging.getLogger(__name__)
USAGE_FLUSH_SECONDS = 5.0


def local_server(services: Services, token: str) -> tuple[MCPServer, Actor]:
    """The server acting on ``services`` as the token's owner; raises ``Unauthenticated`` for a bad token."""
    actor = services.bearer.authenticate(token, transport=Transport.MCP)
    return build_server(token_resolver(services, token), services.database), actor


class RemoteUnusable(Exception):
    """The remote Tokensmith cannot be reached, or refuses the token (the message says which, without it)."""


def remote_server(url: str, token: str) -> tuple[MCPServer, ManagementClient]:
    """The server acting on the Tokensmith at ``url``; raises ``ValueError`` for a URL that is not one and
    :class:`RemoteUnusable` when ``GET /api/me`` there fails (so a bad token fails at start, as locally)."""
    client = ManagementClient(url, PersonalTokenAuth(token))
    try:
        caller = client.me()
    except ApiError as exc:
        client.close()
        raise RemoteUnusable(f"{url} refused the token ({tool_error(exc)})") from None
    except (TokensmithClientError, httpx.HTTPError) as exc:
        client.close()
        what = type(exc).__name__
        raise RemoteUnusable(f"no usable Tokensmith management API at {url} ({what})") from None
    if isinstance(caller, ClientMe):
        client.close()
        raise RemoteUnusable(
            f"{url} refused the token (it is a client's access token; the MCP tools act for a person: "
            "use a personal access token)"
        )
    return build_server(remote_resolver(RemoteBackend(client))), client


async def serve(server: MCPServer, flush: Callable[[], None] | None = None) -> None:
    """Serve until the client closes stdin; meanwhile write last-used times out every few seconds."""
    async with anyio.create_task_group() as tasks:
        if flush is not None:
            tasks.start_soon(_flush_forever, flush)
        await server.run_stdio_async()
        tasks.cancel_scope.cancel()


async def _flush_forever(flush: Callable[[], None]) -> None:
    while True:
        await anyio.sleep(USAGE_FLUSH_SECONDS)
        try:
            await to_thread.run_sync(flush)
        except Exception:  # noqa: BLE001 - keep flushing after a storage blip
            log.warning("could not record last-used times; will retry")
