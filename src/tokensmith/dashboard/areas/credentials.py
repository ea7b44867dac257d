"""API credentials (seed 000): list, create, detail, rename, delete (the secrets: credential_secrets)."""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.core.errors import BadRequest, Forbidden
from tokensmith.core.records import Credential, CredentialKind
from tokensmith.dashboard import widgets
from tokensmith.dashboard.areas.credential_secrets import secret_outcome
from tokensmith.dashboard.once import Outcome, run_once
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect
from tokensmith.services.reveals import Claim


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
    org_id = session.org.id
    kind_value = page.field("kind", "personal")
    if kind_value not in ("personal", "organization"):
        raise BadRequest("choose personal or organisation")

    def create(claim: Claim) -> Outcome:
        created = page.services.credentials.create(
            session.actor(),
            org_id=org_id,
            name=page.field("name"),
            kind=CredentialKind(kind_value),
            scopes=page.fields("scopes"),
            description=page.field("description"),
        )
        return secret_outcome(claim, created.credential, created.client_secret, regenerated=False)

    return run_once(page, create, fallback="/credentials")


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


def credential_delete(page: Page) -> Response:
    if page.field("confirm") != "yes":
        raise BadRequest("tick the confirmation box to delete the credential")

    def delete(claim: Claim) -> Outcome:
        page.services.credentials.delete(page.signed_in.actor(), page.path_params["ref"])
        return "/credentials?done=credential-deleted", None

    return run_once(page, delete, fallback="/credentials")


ROUTES: list[PageRoute] = [
    get("/credentials", credentials_list),
    post("/credentials", credential_create),
    get("/credentials/{ref}", credential_detail),
    post("/credentials/{ref}", credential_rename),
    post("/credentials/{ref}/delete", credential_delete),
]
