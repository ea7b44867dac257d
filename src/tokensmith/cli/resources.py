"""``tokensmith resources …``: the APIs tokens can be issued for (RFC 8707 resource indicators)."""

from __future__ import annotations

import typer

from tokensmith.cli.context import AsJson, emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.scopes import parse as parse_scopes
from tokensmith.wire.resources import CreatedResourceRef, ResourceOut

resources = typer.Typer(help="Resources (APIs) tokens can be issued for, RFC 8707.", no_args_is_help=True)


@resources.command("create")
@handles_errors
def create(
    name: str = typer.Option(..., "--name", help="A label for the API."),
    uri: str = typer.Option(..., "--uri", help="Its resource indicator: an absolute URI, no fragment."),
    scopes: str = typer.Option("", "--scopes", help='The scopes it accepts, space separated ("a b").'),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Register an API: a token asked for with ``resource=URI`` carries it as its ``aud``."""
    services = load_services()
    created = services.resources.create(
        Actor.system(), name=name, uri=uri, scopes=sorted(parse_scopes(scopes.strip()))
    )
    emit(
        CreatedResourceRef.of(created),
        as_json,
        f"created resource {created.uri} ({created.id}): {' '.join(sorted(created.scopes)) or 'no scope'}",
    )


@resources.command("list")
@handles_errors
def list_resources(as_json: AsJson = False) -> None:
    """List every resource, built-in ones first."""
    services = load_services()
    items = [ResourceOut.of(resource) for resource in services.resources.list(Actor.system())]
    emit(
        items,
        as_json,
        "\n".join(
            f"{r.id}  {r.uri}  {' '.join(r.scopes) or '-'}{'  (built in)' if r.builtin else ''}"
            for r in items
        ),
    )


@resources.command("delete")
@handles_errors
def delete(resource_id: str, as_json: AsJson = False) -> None:
    """Delete a resource: no new token is issued for it (tokens already issued keep their ``aud``)."""
    services = load_services()
    services.resources.delete(Actor.system(), resource_id)
    emit({"id": resource_id, "deleted": True}, as_json, f"deleted resource {resource_id}")
