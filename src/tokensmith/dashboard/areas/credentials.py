"""API credentials (seed 000): list, new, create, detail, rename, delete (the secrets: credential_secrets)."""

from __future__ import annotations

import functools
import json
from typing import Any

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.errors import Forbidden
from tokensmith.core.records import Credential, CredentialKind
from tokensmith.dashboard import widgets
from tokensmith.dashboard.areas.credential_secrets import secret_outcome
from tokensmith.dashboard.forms import (
    CONFIRMED_FIELD,
    Form,
    check_labels,
    edit_labels,
    place_error,
    submit,
    unconfirmed,
)
from tokensmith.dashboard.once import Outcome, remove_once
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect
from tokensmith.services import listings
from tokensmith.services.pages import every
from tokensmith.services.reveals import Claim

#: The new credential form's fields (a refusal is shown next to the one it names, forms.place_error).
FIELDS = ("name", "description", "scopes", "kind", "auth_method", "jwks", "jwks_uri")
#: How a new credential authenticates: a secret, or a public key (private_key_jwt, RFC 7523 §2.2).
AUTH_METHODS = ("client_secret", "private_key_jwt")
NO_SCOPE_WARNING = (
    "No scope is chosen: tokens of this credential will carry no permission, so APIs will refuse them."
)


def _can_change(page: Page, credential: Credential) -> bool:
    return permissions.can_change_credential(page.signed_in.actor(), credential)


def credentials_list(page: Page) -> Response:
    session = page.signed_in
    actor = session.actor()
    if session.org is None:
        return page.render("no_org.html")
    query, sort = page.query("q").strip(), page.query("sort", "created")
    org_id = session.org.id
    every_credential = every(
        lambda cursor: page.services.credentials.list(
            actor, org_id=org_id, cursor=cursor, limit=listings.LIST_PAGE
        )
    )
    found = listings.credentials(every_credential, query=query, sort=sort)
    return page.render(
        "credentials.html",
        personal=[c for c in found if c.kind is CredentialKind.PERSONAL],
        organization=[c for c in found if c.kind is CredentialKind.ORGANIZATION],
        total=len(every_credential),
        query=query,
        sort=sort if sort in listings.CREDENTIAL_SORTS else "created",
        sorts=listings.CREDENTIAL_SORTS,
    )


def _render_form(page: Page, form: Form, status: int = 200) -> Response:
    session = page.signed_in
    if session.org is None:
        return page.render("no_org.html")
    return page.render(
        "credential_new.html",
        status=status,
        form=form,
        policy=session.org.policy,
        scope_groups=widgets.scope_groups(page, set(form.value("scopes", [])), credential=True),
        can_create_org=session.is_admin,
    )


def credential_new(page: Page) -> Response:
    defaults = {"kind": "personal", "scopes": sorted(page.services.credentials.default_scopes)}
    return _render_form(page, Form(values=defaults))


def credential_create(page: Page) -> Response:
    session = page.signed_in
    if session.org is None:
        raise Forbidden("this account belongs to no organisation")
    org_id = session.org.id
    form = Form(
        values={
            "name": page.field("name"),
            "description": page.field("description"),
            "kind": page.field("kind", "personal"),
            "scopes": page.fields("scopes"),
            "auth_method": page.field("auth_method", "client_secret"),
            "jwks": page.field("jwks").strip(),
            "jwks_uri": page.field("jwks_uri").strip(),
            # RFC 9449 §5: a checkbox, present ("1") when ticked.
            "require_dpop": page.field("require_dpop") == "1",
        }
    )
    if form.values["kind"] not in ("personal", "organization"):
        form.errors["kind"] = "Choose personal or organisation."
    keys = _key_fields(form)
    check_labels(form, FIELDS)
    if form.values["kind"] == "organization":
        try:  # the service's own rule, asked before the confirm step below
            permissions.require_admin(session.actor(), "create organisation credentials", field="kind")
        except Forbidden as exc:
            place_error(form, exc, FIELDS, fallback="kind")
            return _render_form(page, form, exc.status)
    if form.errors:
        return _render_form(page, form, 400)
    warnings = {} if form.values["scopes"] else {"scopes": NO_SCOPE_WARNING}
    if unconfirmed(form, page.fields(CONFIRMED_FIELD), warnings):
        return _render_form(page, form)

    def create(claim: Claim) -> Outcome:
        created = page.services.credentials.create(
            session.actor(),
            org_id=org_id,
            name=form.values["name"],
            kind=CredentialKind(form.values["kind"]),
            scopes=form.values["scopes"],
            description=form.values["description"],
            **keys,
            require_dpop=form.values["require_dpop"],
        )
        if created.shown_secret is None:  # keyless: nothing to reveal, the keys are on the detail page
            return f"/credentials/{created.credential.id}?done=credential-keys-registered", None
        return secret_outcome(claim, created.credential, created.client_secret, regenerated=False)

    return submit(
        page,
        form,
        create,
        fallback_url="/credentials",
        fields=FIELDS,
        render=functools.partial(_render_form, page),
    )


def _key_fields(form: Form) -> dict[str, Any]:
    """The services' private_key_jwt arguments from the form (errors put next to their field)."""
    method = form.values["auth_method"]
    if method not in AUTH_METHODS:
        form.errors["auth_method"] = "Choose a client secret or a public key."
        return {}
    if method == "client_secret":
        return {}
    jwks_text, jwks_uri = form.values["jwks"], form.values["jwks_uri"]
    if bool(jwks_text) == bool(jwks_uri):
        form.errors["jwks"] = "Paste the public JWK Set, or give the URL it is published at (one of the two)."
        return {}
    document = None
    if jwks_text:
        try:
            document = json.loads(jwks_text)
        except ValueError:
            form.errors["jwks"] = "The JWK Set is not valid JSON."
            return {}
    return {"auth_method": ClientAuthMethod.PRIVATE_KEY_JWT, "jwks": document, "jwks_uri": jwks_uri or None}


def credential_detail(page: Page, edit: Form | None = None, status: int = 200) -> Response:
    credential = page.services.credentials.get(page.signed_in.actor(), page.path_params["ref"])
    return page.render(
        "credential.html",
        status=status,
        credential=credential,
        can_change=_can_change(page, credential),
        samples=widgets.samples(page, credential, None),
        token_url=widgets.token_url(page),
        console=widgets.console(page),
        edit=edit or Form(values={"name": credential.name, "description": credential.description}),
    )


def credential_rename(page: Page) -> Response:
    def save(name: str, description: str) -> str:
        credential = page.services.credentials.rename(
            page.signed_in.actor(), page.path_params["ref"], name=name, description=description
        )
        return f"/credentials/{credential.id}?done=credential-renamed"

    return edit_labels(page, save, functools.partial(credential_detail, page))


def credential_reuse(page: Page) -> Response:
    """Token reuse on or off (the checkbox of the credential page's "Token reuse" form)."""
    credential = page.services.credentials.set_token_reuse(
        page.signed_in.actor(), page.path_params["ref"], enabled=page.field("reuse_tokens") == "on"
    )
    return redirect(f"/credentials/{credential.id}?done=credential-reuse-saved")


def credential_delete(page: Page) -> Response:
    return remove_once(
        page,
        lambda: page.services.credentials.delete(page.signed_in.actor(), page.path_params["ref"]),
        done_url="/credentials?done=credential-deleted",
        refusal="tick the confirmation box to delete the credential",
    )


ROUTES: list[PageRoute] = [
    get("/credentials", credentials_list),
    post("/credentials", credential_create),
    get("/credentials/new", credential_new),
    get("/credentials/{ref}", credential_detail),
    post("/credentials/{ref}", credential_rename),
    post("/credentials/{ref}/reuse", credential_reuse),
    post("/credentials/{ref}/delete", credential_delete),
]
