"""``tokensmith tokens …``: personal access tokens, as the operator (no token ceiling)."""

from __future__ import annotations

import typer

from tokensmith.cli.context import AsJson, emit, fail, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.records import PersonalTokenRecord
from tokensmith.services.container import Services
from tokensmith.services.personal_tokens import CreatedPersonalToken
from tokensmith.wire.tokens import CreatedPersonalTokenOut, PersonalTokenOut, RevokedToken

tokens = typer.Typer(help="Personal access tokens.", no_args_is_help=True)


def _org_of(services: Services, user_id: str, org: str | None) -> str:
    """The organisation named by --org, else the user's only one."""
    if org is not None:
        return services.organizations.by_ref(org).id
    memberships = services.organizations.memberships_of(user_id)
    if len(memberships) != 1:
        fail("the user belongs to several organisations (or none): pass --org")
    return memberships[0][0].id


@tokens.command("create")
@handles_errors
def create(
    user: str = typer.Option(..., "--user", help="Owner's email."),
    name: str = typer.Option(..., "--name", help="A label for the token."),
    scopes: str = typer.Option("api/access", "--scopes", help='Scopes, e.g. "api/access tokens:read".'),
    expires_in: int | None = typer.Option(None, "--expires-in", min=1, help="Days until it expires."),
    org: str | None = typer.Option(
        None, "--org", help="Organisation name or id (when the user has several)."
    ),
    description: str = typer.Option("", "--description"),
    as_json: AsJson = False,
) -> None:
    """Create a personal access token and print it (shown once)."""
    services = load_services()
    owner = services.organizations.user_by_email(user)
    created = services.personal_tokens.create(
        Actor.system(),
        name=name,
        description=description,
        scopes=scopes.split(),
        expires_in_days=expires_in,
        org_id=_org_of(services, owner.id, org),
        user_id=owner.id,
    )
    _show_once(created, as_json)


def _show_once(created: CreatedPersonalToken, as_json: bool) -> None:
    t = created.token
    shown = CreatedPersonalTokenOut.of(t, token=created.plain)
    emit(
        shown.model_dump(mode="json", include={"id", "token", "scopes", "expires_at"}),
        as_json,
        f"token: {created.plain}\nThe token is shown once; store it now.",
    )


@tokens.command("list")
@handles_errors
def list_tokens(
    user: str = typer.Option(..., "--user", help="Owner's email."),
    org: str | None = typer.Option(None, "--org", help="Organisation name or id."),
    include_revoked: bool = typer.Option(False, "--include-revoked"),
    as_json: AsJson = False,
) -> None:
    """List a user's personal tokens (never the tokens themselves)."""
    services = load_services()
    owner = services.organizations.user_by_email(user)
    org_id = _org_of(services, owner.id, org)
    items: list[PersonalTokenRecord] = []
    cursor = None
    while True:
        page = services.personal_tokens.list(
            Actor.system(),
            org_id=org_id,
            user_id=owner.id,
            cursor=cursor,
            limit=200,
            include_revoked=include_revoked,
        )
        items.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    human = "\n".join(
        f"{t.id}  {t.token_hint}  {t.name}  [{' '.join(sorted(t.scopes))}]  "
        f"last used {t.last_used_at.isoformat() if t.last_used_at else 'never'}"
        for t in items
    )
    emit([PersonalTokenOut.of(t) for t in items], as_json, human or "no tokens")


@tokens.command("revoke")
@handles_errors
def revoke(token_id: str, as_json: AsJson = False) -> None:
    """Revoke a personal token: immediate and irreversible."""
    services = load_services()
    token = services.personal_tokens.revoke(Actor.system(), token_id)
    emit(RevokedToken(id=token.id, revoked=True), as_json, f"revoked {token.id} ({token.token_hint})")


@tokens.command("regenerate")
@handles_errors
def regenerate(token_id: str, as_json: AsJson = False) -> None:
    """Give a personal token a new value (shown once): same name, scopes and expiry; the old value
    stops working at once."""
    services = load_services()
    _show_once(services.personal_tokens.regenerate(Actor.system(), token_id), as_json)


@tokens.command("notify-expiring")
@handles_errors
def notify_expiring(as_json: AsJson = False) -> None:
    """Emit the 7-day and 1-day expiry notices now due (the server also does this periodically)."""
    services = load_services()
    count = services.personal_tokens.emit_expiry_notices()
    emit({"notices": count}, as_json, f"{count} expiry notice(s) emitted")
