"""API credentials (seed 000): list, create, detail, rename, generate a token, regenerate, delete."""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.core.errors import BadRequest, Forbidden
from tokensmith.core.records import Credential, CredentialKind
from tokensmith.dashboard import widgets
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect


def _can_change(page: Page, credential: Credential) -> bool:
    return permissions.can_change_credential(page.signed_in.actor(), credential)


def credentials_list(page: Page) -> Response:
    session = page.signed_in
    actor = session.actor()
    if session.org is None:
        return page.render("no_org.html")
    listing = page.services.credentials.list(actor, org_id=session.org.id, limit=200)
    personal = [c for c in listing.items if c.kind is CredentialKind.PERSONAL]
    organization = [c for c in listing.items if c.kind is CredentialKind.ORGANIZATION]
    return page.render(
        "credentials.html",
        personal=personal,
        organization=organization,
        policy=session.org.policy,
        scopes=widgets.scope_choices(page, set(page.services.credentials.default_scopes)),
        can_create_org=session.is_admin,
    )


def credential_create(page: Page) -> Response:
    session = page.signed_in
    if session.org is None:
        raise Forbidden("this account belongs to no organisation")
    kind_value = page.field("kind", "personal")
    if kind_value not in ("personal", "organization"):
        raise BadRequest("choose personal or organisation")
    created = page.services.credentials.create(
        session.actor(),
        org_id=session.org.id,
        name=page.field("name"),
        kind=CredentialKind(kind_value),
        scopes=page.fields("scopes"),
        description=page.field("description"),
    )
    return page.render(
        "credential_secret.html",
        credential=created.credential,
        secret=created.client_secret,
        samples=widgets.samples(page, created.credential, created.client_secret),
        token_url=widgets.token_url(page),
        regenerated=False,
    )


def credential_detail(page: Page) -> Response:
    credential = page.services.credentials.get(page.signed_in.actor(), page.path_params["ref"])
    return page.render(
        "credential.html",
        credential=credential,
        can_change=_can_change(page, credential),
        samples=widgets.samples(page, credential, None),
        token_url=widgets.token_url(page),
        console=widgets.console(page),
    )


def credential_rename(page: Page) -> Response:
    credential = page.services.credentials.rename(
        page.signed_in.actor(),
        page.path_params["ref"],
        name=page.field("name"),
        description=page.field("description"),
    )
    return redirect(f"/credentials/{credential.id}?done=credential-renamed")


def credential_token(page: Page) -> Response:
    generated = page.services.studio.generate(page.signed_in.actor(), page.path_params["ref"])
    return page.render(
        "credential_token.html",
        generated=generated,
        credential=generated.credential,
        console=widgets.console(page, token=generated.issued.access_token),
    )


def credential_regenerate(page: Page) -> Response:
    if page.field("confirm") != "yes":
        raise BadRequest("tick the confirmation box to regenerate the secret")
    try:
        grace = int(page.field("grace_seconds", "0") or 0)
    except ValueError:
        raise BadRequest("the grace period must be a number of seconds") from None
    created = page.services.credentials.regenerate(
        page.signed_in.actor(), page.path_params["ref"], grace_seconds=grace
    )
    return page.render(
        "credential_secret.html",
        credential=created.credential,
        secret=created.client_secret,
        samples=widgets.samples(page, created.credential, created.client_secret),
        token_url=widgets.token_url(page),
        regenerated=True,
    )


def credential_delete(page: Page) -> Response:
    if page.field("confirm") != "yes":
        raise BadRequest("tick the confirmation box to delete the credential")
    page.services.credentials.delete(page.signed_in.actor(), page.path_params["ref"])
    return redirect("/credentials?done=credential-deleted")


ROUTES: list[PageRoute] = [
    get("/credentials", credentials_list),
    post("/credentials", credential_create),
    get("/credentials/{ref}", credential_detail),
    post("/credentials/{ref}", credential_rename),
    post("/credentials/{ref}/token", credential_token),
    post("/credentials/{ref}/regenerate", credential_regenerate),
    post("/credentials/{ref}/delete", credential_delete),
]
