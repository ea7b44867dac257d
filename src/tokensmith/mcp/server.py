"""Build the MCP server (the official ``mcp`` SDK's :class:`~mcp.server.mcpserver.MCPServer`) and the
ways a tool call finds its backend: the caller's actor on this server, or a remote Tokensmith."""

from __future__ import annotations

import inspect

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request

from tokensmith import __version__
from tokensmith.core.actors import Actor, Transport
from tokensmith.core.errors import Unauthenticated
from tokensmith.mcp.backend import Backend, LocalBackend, RemoteBackend
from tokensmith.mcp.tools import BackendResolver, Tools
from tokensmith.services.container import Services
from tokensmith.storage.database import Database

#: Where the HTTP adapter leaves the authenticated actor (``request.state``).
ACTOR_STATE_KEY = "tokensmith_actor"

INSTRUCTIONS = (
    "Manage Tokensmith personal access tokens, API credentials (OAuth clients) and the organisation's "
    "webhook endpoints as the user whose token this connection uses. The token's scopes are a ceiling and "
    "the user's role still applies: organisation credentials and webhooks need an owner or admin. New "
    "tokens, client secrets and webhook signing secrets appear in a result once and never again; give "
    "them to the user and do not repeat them elsewhere."
)


def build_server(resolve: BackendResolver, database: Database | None = None) -> MCPServer:
    """The MCP server with the twelve tools; ``resolve`` decides what each call acts on, as whom;
    ``database`` is the one a local backend works on (its deadline bounds each call)."""
    server: MCPServer = MCPServer(
        "tokensmith", title="Tokensmith", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    for tool, hints in Tools(resolve, database).all():
        server.add_tool(
            tool,
            description=inspect.cleandoc(tool.__doc__ or ""),
            annotations=hints,
            structured_output=True,
        )
    return server


def token_resolver(services: Services, token: str) -> BackendResolver:
    """stdio on this database: the personal token is authenticated on every call, so a revocation
    (or an expiry) takes effect at once and last-used times stay true."""

    def resolve(_: Request | None) -> Backend:
        actor = services.bearer.authenticate(token, transport=Transport.MCP)
        return LocalBackend(services, actor)

    return resolve


def request_resolver(services: Services) -> BackendResolver:
    """Streamable HTTP: the actor the HTTP adapter authenticated for this very request."""

    def resolve(request: Request | None) -> Backend:
        actor = getattr(request.state, ACTOR_STATE_KEY, None) if request is not None else None
        if not isinstance(actor, Actor):
            raise Unauthenticated("this request carries no valid bearer token")
        return LocalBackend(services, actor)

    return resolve


def remote_resolver(backend: RemoteBackend) -> BackendResolver:
    """stdio against a remote Tokensmith: its management API authenticates and authorises each call."""

    def resolve(_: Request | None) -> Backend:
        return backend

    return resolve
