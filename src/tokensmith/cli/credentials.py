"""``tokensmith credentials …``."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import typer

from tokensmith.cli.context import AsJson, OrgOption, emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import MAX_JWKS_BYTES, ClientAuthMethod
from tokensmith.core.errors import BadRequest
from tokensmith.core.records import CredentialKind, TokenFormat
from tokensmith.services.pages import every
from tokensmith.wire.credentials import CreatedCredentialOut, CredentialOut, DeletedCredential

credentials = typer.Typer(help="API credentials (OAuth clients).", no_args_is_help=True)


@credentials.command("create")
@handles_errors
def create(
    org: OrgOption,
    name: str = typer.Option(..., "--name", help="A label for the credential."),
    user: str | None = typer.Option(None, "--user", help="Owner's email: makes a personal credential."),
    scopes: str | None = typer.Option(
        None, "--scopes", help='Allowed scopes, e.g. "api/access project:read".'
    ),
    token_format: TokenFormat | None = typer.Option(None, "--format", help="Access tokens' format."),
    ttl: int | None = typer.Option(None, "--ttl", help="Access-token lifetime in seconds."),
    reuse_tokens: bool = typer.Option(
        False, "--reuse-tokens/--no-reuse-tokens", help="Answer token requests with the still-valid token."
    ),
    auth: ClientAuthMethod = typer.Option(
        ClientAuthMethod.CLIENT_SECRET,
        "--auth",
        help="client_secret, or private_key_jwt (RFC 7523: the client signs assertions; no secret).",
    ),
    jwks: Path | None = typer.Option(
        None, "--jwks", help="private_key_jwt: a file holding the public JWK Set (or one JWK)."
    ),
    jwks_uri: str | None = typer.Option(
        None, "--jwks-uri", help="private_key_jwt: where the client publishes its keys."
    ),
    require_dpop: bool = typer.Option(
        False, "--require-dpop", help="Refuse token requests without a DPoP proof (RFC 9449)."
    ),
    as_json: AsJson = False,
) -> None:
    """Create a credential and print its secret (shown once), or its key thumbprints (private_key_jwt)."""
    document = _read_jwks(jwks) if jwks is not None else None
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
        reuse_tokens=reuse_tokens,
        auth_method=auth,
        jwks=document,
        jwks_uri=jwks_uri,
        require_dpop=require_dpop,
    )
    created = create() if token_format is None else create(token_format=token_format)
    if created.shown_secret is None:
        shown = CredentialOut.of(created.credential)
        emit(
            shown,
            as_json,
            f"client_id:       {created.credential.client_id}\nauth_method:     private_key_jwt\n"
            + (
                f"jwks_uri:        {created.credential.jwks_uri}"
                if created.credential.jwks_uri
                else "key thumbprints: " + " ".join(created.credential.key_thumbprints)
            ),
        )
        return
    emit(
        CreatedCredentialOut.of(created.credential, client_secret=created.client_secret),
        as_json,
        f"client_id:     {created.credential.client_id}\nclient_secret: {created.client_secret}\n"
        "The secret is shown once; store it now.",
    )


def _read_jwks(path: Path) -> object:
    """The JWK Set in ``path`` as JSON (its keys are checked by the service)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"cannot read the JWK Set file: {type(exc).__name__}", field="jwks") from None
    if len(text) > MAX_JWKS_BYTES:
        raise BadRequest(f"the JWK Set file exceeds {MAX_JWKS_BYTES} bytes", field="jwks")
    try:
        return json.loads(text)
    except ValueError:
        raise BadRequest("the JWK Set file is not valid JSON", field="jwks") from None


@credentials.command("list")
@handles_errors
def list_credentials(org: OrgOption, as_json: AsJson = False) -> None:
    """List an organisation's credentials (never their secrets)."""
    services = load_services()
    org_id = services.organizations.by_ref(org).id
    items = every(
        lambda cursor: services.credentials.list(Actor.system(), org_id=org_id, cursor=cursor, limit=200)
    )
    human = "\n".join(
        f"{c.client_id}  {c.kind.value:<12}  {c.name}  [{' '.join(sorted(c.scopes))}]" for c in items
    )
    emit([CredentialOut.of(c) for c in items], as_json, human or "no credentials")


@credentials.command("rotate")
@handles_errors
def rotate(
    client_id: str,
    grace: int = typer.Option(0, "--grace", min=0, help="Seconds the old secret keeps working."),
    as_json: AsJson = False,
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


@credentials.command("reuse-tokens")
@handles_errors
def reuse_tokens_command(
    client_id: str,
    enabled: bool = typer.Option(..., "--on/--off", help="Turn token reuse on or off."),
    as_json: AsJson = False,
) -> None:
    """Turn token reuse on or off: token requests get the still-valid token already issued."""
    services = load_services()
    credential = services.credentials.set_token_reuse(Actor.system(), client_id, enabled=enabled)
    emit(
        CredentialOut.of(credential),
        as_json,
        f"token reuse {'on' if credential.reuse_tokens else 'off'} for {credential.client_id}",
    )


@credentials.command("delete")
@handles_errors
def delete(client_id: str, as_json: AsJson = False) -> None:
    """Delete a credential; its tokens stop working."""
    services = load_services()
    credential = services.credentials.delete(Actor.system(), client_id)
    deleted = {
        **DeletedCredential(id=credential.id, deleted=True).model_dump(),
        "client_id": credential.client_id,
    }
    emit(deleted, as_json, f"deleted {credential.client_id}")
