"""``tokensmith credentials …``."""

from __future__ import annotations

import typer

from tokensmith.cli.context import emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.records import Credential, CredentialKind, TokenFormat

credentials = typer.Typer(help="API credentials (OAuth clients).", no_args_is_help=True)


def _public(credential: Credential) -> dict[str, object]:
    return {
        "id": credential.id,
        "client_id": credential.client_id,
        "kind": credential.kind.value,
        "name": credential.name,
        "org_id": credential.org_id,
        "user_id": credential.user_id,
        "scopes": sorted(credential.scopes),
        "token_format": credential.token_format.value,
        "token_ttl": credential.token_ttl,
        "secret_hint": credential.secret_hint,
        "created_at": credential.created_at.isoformat(),
        "last_used_at": credential.last_used_at.isoformat() if credential.last_used_at else None,
    }


@credentials.command("create")
@handles_errors
def create(
    org: str = typer.Option(..., "--org", help="Organisation name or id."),
    name: str = typer.Option(..., "--name", help="A label for the credential."),
    user: str | None = typer.Option(None, "--user", help="Owner's email: makes a personal credential."),
    scopes: str | None = typer.Option(
        None, "--scopes", help='Allowed scopes, e.g. "api/access project:read".'
    ),
    token_format: TokenFormat = typer.Option(TokenFormat.JWT, "--format"),
    ttl: int | None = typer.Option(None, "--ttl", help="Access-token lifetime in seconds."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a credential and print its secret (shown once)."""
    services = load_services()
    organization = services.organizations.by_ref(org)
    user_id = services.organizations.user_by_email(user).id if user else None
    created = services.credentials.create(
        Actor.system(),
        org_id=organization.id,
        name=name,
        kind=CredentialKind.PERSONAL if user_id else CredentialKind.ORGANIZATION,
        user_id=user_id,
        scopes=scopes.split() if scopes is not None else None,
        token_format=token_format,
        token_ttl=ttl,
    )
    c = created.credential
    emit(
        {
            "client_id": c.client_id,
            "client_secret": created.client_secret,
            "kind": c.kind.value,
            "scopes": sorted(c.scopes),
            "id": c.id,
        },
        as_json,
        f"client_id:     {c.client_id}\nclient_secret: {created.client_secret}\n"
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
    rows = [_public(c) for c in items]
    human = "\n".join(
        f"{c.client_id}  {c.kind.value:<12}  {c.name}  [{' '.join(sorted(c.scopes))}]" for c in items
    )
    emit(rows, as_json, human or "no credentials")


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
    emit(
        {"client_id": created.credential.client_id, "client_secret": created.client_secret},
        as_json,
        f"client_secret: {created.client_secret}\nThe secret is shown once; store it now.",
    )


@credentials.command("delete")
@handles_errors
def delete(client_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Delete a credential; its tokens stop working."""
    services = load_services()
    credential = services.credentials.delete(Actor.system(), client_id)
    emit({"client_id": credential.client_id, "deleted": True}, as_json, f"deleted {credential.client_id}")
