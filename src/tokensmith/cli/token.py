"""``tokensmith token``: get an access token from a running server (client credentials)."""

from __future__ import annotations

import json

import httpx
import typer


def token(
    client_id: str = typer.Option(..., "--client-id"),
    client_secret: str = typer.Option(..., "--client-secret", envvar="TOKENSMITH_CLIENT_SECRET"),
    scope: str | None = typer.Option(None, "--scope"),
    url: str = typer.Option("http://127.0.0.1:8000", "--url", help="Server base URL or token endpoint."),
) -> None:
    """Request an access token and print the token response."""
    token_url = url if url.rstrip("/").endswith("/token") else url.rstrip("/") + "/oauth2/token"
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    try:
        response = httpx.post(token_url, data=data, auth=(client_id, client_secret), timeout=10)
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
