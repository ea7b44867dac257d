"""Account tokens (seed 001): list, detail, rename, regenerate, revoke, and the one-time page of a
new token's value (the form and the create action: token_new)."""

from __future__ import annotations

import functools

from starlette.responses import Response

from tokensmith.dashboard import widgets
from tokensmith.dashboard.forms import Form, edit_labels
from tokensmith.dashboard.once import (
    Outcome,
    already_shown,
    remove_once,
    require_confirmed,
    revealed,
    run_once,
)
from tokensmith.dashboard.pages import Page, PageRoute, get, post
from tokensmith.services import listings
from tokensmith.services.pages import every
from tokensmith.services.reveals import Claim


def tokens_list(page: Page) -> Response:
    session = page.signed_in
    if session.org is None:
        return page.render("no_org.html")
    query = page.query("q").strip()
    status = page.query("status", "current")
    status = status if status in listings.STATUS_FILTERS else "current"
    sort = page.query("sort", "created")
    sort = sort if sort in listings.TOKEN_SORTS else "created"
    actor, include_revoked = session.actor(), listings.wants_revoked(status)
    every_token = every(
        lambda cursor: page.services.personal_tokens.list(
            actor, cursor=cursor, limit=listings.LIST_PAGE, include_revoked=include_revoked
        )
    )
    rows = listings.tokens(
        every_token, session.org.policy, page.services.clock.now(), query=query, status=status, sort=sort
    )
    return page.render(
        "tokens.html",
        rows=rows,
        total=len(every_token),
        query=query,
        status_filter=status,
        sort=sort,
        statuses=listings.STATUS_FILTERS,
        sorts=listings.TOKEN_SORTS,
        filtered=bool(query) or status != "current",
        policy=session.org.policy,
    )


def token_outcome(claim: Claim, token_id: str, plain: str, *, regenerated: bool) -> Outcome:
    """Where a new account token is shown, and what is sealed for that page."""
    return f"/tokens/{token_id}/secret/{claim.reveal_id}", {
        "token_id": token_id,
        "plain": plain,
        "regenerated": regenerated,
    }


def token_secret(page: Page) -> Response:
    token = page.services.personal_tokens.get(page.signed_in.actor(), page.path_params["token_id"])
    secret = revealed(page, page.path_params["reveal"])
    if secret is None or secret.get("token_id") != token.id:
        return already_shown(page, "account token", f"/tokens/{token.id}", "Open the token")
    return page.render(
        "token_secret.html",
        token=token,
        plain=secret["plain"],
        regenerated=bool(secret.get("regenerated")),
        console=widgets.console(page, token=secret["plain"]),
    )


def token_detail(page: Page, edit: Form | None = None, status: int = 200) -> Response:
    session = page.signed_in
    token = page.services.personal_tokens.get(session.actor(), page.path_params["token_id"])
    policy = session.org.policy if session.org else None
    row = listings.token_status(token, policy, page.services.clock.now()) if policy else None
    edit = edit or Form(values={"name": token.name, "description": token.description})
    return page.render("token.html", status=status, token=token, row=row, edit=edit)


def token_update(page: Page) -> Response:
    def save(name: str, description: str) -> str:
        token = page.services.personal_tokens.update(
            page.signed_in.actor(), page.path_params["token_id"], name=name, description=description
        )
        return f"/tokens?done=token-updated#token-{token.id}"

    return edit_labels(page, save, functools.partial(token_detail, page))


def token_revoke(page: Page) -> Response:
    return remove_once(
        page,
        lambda: page.services.personal_tokens.revoke(page.signed_in.actor(), page.path_params["token_id"]),
        done_url="/tokens?done=token-revoked",
        refusal="confirm that you want to revoke the token",
    )


def token_regenerate(page: Page) -> Response:
    require_confirmed(page, "confirm that you want to regenerate the token")

    def regenerate(claim: Claim) -> Outcome:
        created = page.services.personal_tokens.regenerate(
            page.signed_in.actor(), page.path_params["token_id"]
        )
        return token_outcome(claim, created.token.id, created.plain, regenerated=True)

    return run_once(page, regenerate, fallback=f"/tokens/{page.path_params['token_id']}")


ROUTES: list[PageRoute] = [
    get("/tokens", tokens_list),
    get("/tokens/{token_id}", token_detail),
    get("/tokens/{token_id}/secret/{reveal}", token_secret),
    post("/tokens/{token_id}", token_update),
    post("/tokens/{token_id}/regenerate", token_regenerate),
    post("/tokens/{token_id}/revoke", token_revoke),
]
