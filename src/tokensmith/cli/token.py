"""``tokensmith token``: get an access token from a running server (client credentials)."""

from __future__ import annotations

import json

import httpx
import typer

from tokensmith.client.secret import Secret
from tokensmith.client.token_endpoint import token_request


def token(
    client_id: str = typer.Option(..., "--client-id"),
    client_secret: str = typer.Option(..., "--client-secret", envvar="TOKENSMITH_CLIENT_SECRET"),
    scope: str | None = typer.Option(None, "--scope"),
    url: str = typer.Option("http://127.0.0.1:8000", "--url", help="Server base URL or token endpoint."),
) -> None:
    """Request an access token and print the token response."""
    token_url = url if url.rstrip("/").endswith("/token") else url.rstrip("/") + "/oauth2/token"
    if not client_secret:
        typer.echo("error: --client-secret is empty", err=True)
        raise typer.Exit(2)
    # The SDK's request builder: Basic credentials form-encoded first (RFC 6749 §2.3.1).
    request = token_request(
        token_url,
        client_id=client_id,
        client_secret=Secret(client_secret),
        scope=scope,
        auth_method="client_secret_basic",
    )
    try:
        with httpx.Client(timeout=10) as http:
            response = http.send(request)
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach {token_url}: {type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    try:
        body = response.json()
    except ValueError:
        typer.echo(f"error: {token_url} answered {response.status_code} without JSON", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(body, indent=2))
    if response.status_code != 200:
        raise typer.Exit(1)
