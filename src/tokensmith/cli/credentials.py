"""``tokensmith credentials …``."""

from __future__ import annotations

from functools import partial

import typer

from tokensmith.cli.context import emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.records import Credential, CredentialKind, TokenFormat
from tokensmith.wire.credentials import CreatedCredentialOut, CredentialOut, DeletedCredential

credentials = typer.Typer(help="API credentials (OAuth clients).", no_args_is_help=True)


@credentials.command("create")
@handles_errors
def create(
    org: str = typer.Option(..., "--org", help="Organisation name or id."),
    name: str = typer.Option(..., "--name", help="A label for the credential."),
    user: str | None = typer.Option(None, "--user", help="Owner's email: makes a personal credential."),
    scopes: str | None = typer.Option(
        None, "--scopes", help='Allowed scopes, e.g. "api/access project:read".'
    ),
    token_format: TokenFormat | None = typer.Option(None, "--format", help="Access tokens' format."),
    ttl: int | None = typer.Option(None, "--ttl", help="Access-token lifetime in seconds."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a credential and print its secret (shown once)."""
    services = load_services()
    organization = services.organizations.by_ref(org)
    user_id = services.organizations.user_by_email(user).id if user else None
    create = partial(
        services.credentials.create,
        Actor.system(),
        org_id=organization.id,
        name=name,
        kind=CredentialKind.PERSONAL if user_id else CredentialKind.ORGANIZATION,
        user_id=user_id,
        scopes=scopes.split() if scopes is not None else None,
        token_ttl=ttl,
    )
    created = create() if token_format is None else create(token_format=token_format)
    emit(
        CreatedCredentialOut.of(created.credential, client_secret=created.client_secret),
        as_json,
        f"client_id:     {created.credential.client_id}\nclient_secret: {created.client_secret}\n"
        "The secret is shown once; store it now.",
    )


@credentials.command("list")
@handles_errors
def list_credentials(
    org: str = typer.Option(..., "--org", help="Organisation name or id."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List an organisation's credentials (never their secrets)."""
    services = load_services()
    organization = services.organizations.by_ref(org)
    items: list[Credential] = []
    cursor = None
    while True:
        page = services.credentials.list(Actor.system(), org_id=organization.id, cursor=cursor, limit=200)
        items.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    human = "\n".join(
        f"{c.client_id}  {c.kind.value:<12}  {c.name}  [{' '.join(sorted(c.scopes))}]" for c in items
    )
    emit([CredentialOut.of(c) for c in items], as_json, human or "no credentials")


@credentials.command("rotate")
@handles_errors
def rotate(
    client_id: str,
    grace: int = typer.Option(0, "--grace", min=0, help="Seconds the old secret keeps working."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Regenerate a credential's secret (the old one dies at once, or after --grace)."""
    services = load_services()
    created = services.credentials.regenerate(Actor.system(), client_id, grace_seconds=grace)
    shown = CreatedCredentialOut.of(created.credential, client_secret=created.client_secret)
    emit(
        shown.model_dump(mode="json", include={"client_id", "client_secret"}),
        as_json,
        f"client_secret: {created.client_secret}\nThe secret is shown once; store it now.",
    )


@credentials.command("delete")
@handles_errors
def delete(client_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Delete a credential; its tokens stop working."""
    services = load_services()
    credential = services.credentials.delete(Actor.system(), client_id)
    deleted = {
        **DeletedCredential(id=credential.id, deleted=True).model_dump(),
        "client_id": credential.client_id,
    }
    emit(deleted, as_json, f"deleted {credential.client_id}")
