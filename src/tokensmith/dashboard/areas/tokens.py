"""Account tokens (seed 001): list, create, detail, rename, revoke."""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.core.errors import BadRequest
from tokensmith.dashboard import widgets
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect


def tokens_list(page: Page) -> Response:
    session = page.signed_in
    if session.org is None:
        return page.render("no_org.html")
    listing = page.services.personal_tokens.list(session.actor(), limit=200)
    return page.render(
        "tokens.html",
        tokens=listing.items,
        scopes=widgets.scope_choices(page, set()),
        expiry_choices=widgets.expiry_choices(session.org.policy),
        policy=session.org.policy,
    )


def token_create(page: Page) -> Response:
    days = page.field("expires_in_days")
    try:
        expires_in_days = int(days) if days else None
    except ValueError:
        raise BadRequest("choose an expiry from the list") from None
    created = page.services.personal_tokens.create(
        page.signed_in.actor(),
        name=page.field("name"),
        scopes=page.fields("scopes"),
        description=page.field("description"),
        expires_in_days=expires_in_days,
    )
    return page.render(
        "token_secret.html",
        token=created.token,
        plain=created.plain,
        console=widgets.console(page, token=created.plain),
    )


def token_detail(page: Page) -> Response:
    token = page.services.personal_tokens.get(page.signed_in.actor(), page.path_params["token_id"])
    return page.render("token.html", token=token)


def token_update(page: Page) -> Response:
    token = page.services.personal_tokens.update(
        page.signed_in.actor(),
        page.path_params["token_id"],
        name=page.field("name"),
        description=page.field("description"),
    )
    return redirect(f"/tokens?done=token-updated#token-{token.id}")


def token_revoke(page: Page) -> Response:
    if page.field("confirm") != "yes":
        raise BadRequest("confirm that you want to revoke the token")
    page.services.personal_tokens.revoke(page.signed_in.actor(), page.path_params["token_id"])
    return redirect("/tokens?done=token-revoked")


ROUTES: list[PageRoute] = [
    get("/tokens", tokens_list),
    post("/tokens", token_create),
    get("/tokens/{token_id}", token_detail),
    post("/tokens/{token_id}", token_update),
    post("/tokens/{token_id}/revoke", token_revoke),
]
