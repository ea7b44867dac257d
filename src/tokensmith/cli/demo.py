"""``tokensmith demo-api``: serve the demo resource API, guarded only by :mod:`tokensmith.verify`.

It talks to a Tokensmith server as any platform's API would: discovery and JWKS from ``--issuer``, and,
with an introspection credential, RFC 7662 introspection for personal (``tsp_``) and opaque (``tsa_``)
tokens (and for every JWT with ``--strict``). It needs no database and no master key.
"""

from __future__ import annotations

import typer

from tokensmith.cli.context import fail


def demo_api(
    issuer: str = typer.Option(..., "--issuer", help="The Tokensmith server's issuer URL."),
    audience: str = typer.Option(
        ..., "--audience", help="The audience tokens must name (the server's TOKENSMITH_AUDIENCE)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    port: int = typer.Option(8001, "--port", help="Port to bind."),
    introspection_client_id: str | None = typer.Option(
        None,
        "--introspection-client-id",
        help="A client ID of the same organisation, to introspect personal and opaque tokens.",
    ),
    introspection_client_secret: str | None = typer.Option(
        None,
        "--introspection-client-secret",
        envvar="TOKENSMITH_INTROSPECTION_CLIENT_SECRET",
        help="That credential's secret (or TOKENSMITH_INTROSPECTION_CLIENT_SECRET).",
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Introspect JWTs too, so a revoked JWT is refused (needs the introspection credential).",
    ),
) -> None:
    """Serve the demo resource API (projects, voices, members) guarded by tokensmith.verify."""
    from tokensmith.demo import run_demo

    if (introspection_client_id is None) != (introspection_client_secret is None):
        fail("give both --introspection-client-id and --introspection-client-secret, or neither")
    if strict and introspection_client_id is None:
        fail("--strict introspects every JWT and so needs --introspection-client-id and its secret")
    run_demo(
        issuer,
        audience,
        host=host,
        port=port,
        introspection_client_id=introspection_client_id,
        introspection_client_secret=introspection_client_secret,
        strict=strict,
    )
