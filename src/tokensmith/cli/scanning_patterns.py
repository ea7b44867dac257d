"""``tokensmith scanning-patterns``: ready rules for secret scanners, from the configured prefixes."""

from __future__ import annotations

import sys

import typer

from tokensmith.cli.context import handles_errors
from tokensmith.core import scanning_patterns
from tokensmith.settings import Settings


@handles_errors
def scanning_patterns_command(
    scanner: str = typer.Option(
        "gitleaks", "--format", help="gitleaks (TOML config) or trufflehog (custom detectors YAML)."
    ),
) -> None:
    """Print secret-scanning rules for this deployment's client secrets, personal and access tokens."""
    if scanner not in scanning_patterns.FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(scanning_patterns.FORMATS)}", err=True)
        raise typer.Exit(2)
    settings = Settings()
    found = scanning_patterns.kinds(
        client_secret_prefix=settings.client_secret_prefix,
        personal_token_prefix=settings.personal_token_prefix,
        opaque_token_prefix=settings.opaque_token_prefix,
    )
    issuer = settings.issuer.rstrip("/") or "https://YOUR-TOKENSMITH"
    revoke_url = f"{issuer}/api/credentials/revoke-leaked"
    render = scanning_patterns.gitleaks if scanner == "gitleaks" else scanning_patterns.trufflehog
    sys.stdout.write(render(found, revoke_url=revoke_url))
