"""``tokensmith mcp``: the MCP server over stdio, for an MCP client to spawn."""

from __future__ import annotations

import os

import anyio
import typer

from tokensmith.cli.context import fail, handles_errors, load_services


@handles_errors
def mcp(
    url: str | None = typer.Option(
        None,
        "--url",
        help="Act on a remote Tokensmith (its root URL) over its management API instead of the "
        "local database.",
    ),
) -> None:
    """Serve the MCP tools over stdio as the owner of the personal token in TOKENSMITH_TOKEN."""
    from tokensmith.mcp import stdio  # the MCP SDK is heavy to import; only this command needs it

    # From the environment only: a token on the command line would show in every process listing.
    token = os.environ.get("TOKENSMITH_TOKEN", "").strip()
    if not token:
        fail("set TOKENSMITH_TOKEN to a personal access token (with the tokens:* and credentials:* scopes)")
    if url is not None:
        try:
            server, client = stdio.remote_server(url, token)
        except (ValueError, stdio.RemoteUnusable) as exc:
            fail(str(exc))
            return
        try:
            anyio.run(stdio.serve, server)
        finally:
            client.close()
        return
    services = load_services()
    try:
        local, _ = stdio.local_server(services, token)
        anyio.run(stdio.serve, local, services.usage.flush)
    finally:
        services.close()
