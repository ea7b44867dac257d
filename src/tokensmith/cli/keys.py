"""``tokensmith keys …``."""

from __future__ import annotations

import typer

from tokensmith.cli.context import emit, handles_errors, load_services
from tokensmith.services.keys import KeyInfo

keys = typer.Typer(help="Token signing keys.", no_args_is_help=True)


def _public(info: KeyInfo) -> dict[str, object]:
    return {
        "kid": info.kid,
        "algorithm": info.algorithm,
        "state": info.state.value,
        "generation": info.generation,
        "created_at": info.created_at.isoformat(),
        "activates_at": info.activates_at.isoformat(),
    }


@keys.command("rotate")
@handles_errors
def rotate(
    algorithm: str | None = typer.Option(
        None, "--algorithm", help="ES256, EdDSA or RS256 (default: setting)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add the next signing key: published now, signing after the publish delay."""
    services = load_services()
    if algorithm is not None and algorithm not in ("ES256", "EdDSA", "RS256"):
        typer.echo("error: --algorithm must be ES256, EdDSA or RS256", err=True)
        raise typer.Exit(2)
    info = services.keyring.rotate(algorithm)
    emit(
        _public(info),
        as_json,
        f"{info.kid}  {info.algorithm}  {info.state.value}  activates {info.activates_at}",
    )


@keys.command("list")
@handles_errors
def list_keys(as_json: bool = typer.Option(False, "--json")) -> None:
    """List signing keys and their state (next, active, retired, expired)."""
    services = load_services()
    infos = services.keyring.describe()
    emit(
        [_public(i) for i in infos],
        as_json,
        "\n".join(f"{i.kid}  {i.algorithm:<6} {i.state.value:<8} gen {i.generation}" for i in infos),
    )
