"""A new account token (seed 001): the form — grantable scopes by resource, the expiry the
organisation's policy allows (a listed lifetime or a custom date), the policy's limits — and the
create action (post/redirect/get to the one-time reveal of the token)."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime

from starlette.responses import Response

from tokensmith.dashboard import widgets
from tokensmith.dashboard.areas.tokens import token_outcome
from tokensmith.dashboard.forms import CONFIRMED_FIELD, Form, check_labels, submit, unconfirmed
from tokensmith.dashboard.once import Outcome
from tokensmith.dashboard.pages import Page, PageRoute, get, post
from tokensmith.services.reveals import Claim

CUSTOM = "custom"
#: The new token form's fields (a refusal is shown next to the one it names, forms.place_error).
FIELDS = ("name", "description", "scopes", "expiry")
NO_EXPIRY_WARNING = (
    "No expiry: the token works until someone revokes it, so a leaked copy stays useful. "
    "Prefer a lifetime or a date."
)


def _render_form(page: Page, form: Form, status: int = 200) -> Response:
    session = page.signed_in
    if session.org is None:
        return page.render("no_org.html")
    policy = session.org.policy
    today = page.services.clock.now().date()
    return page.render(
        "token_new.html",
        status=status,
        form=form,
        policy=policy,
        scope_groups=widgets.scope_groups(page, set(form.value("scopes", [])), credential=False),
        expiry_choices=[*widgets.expiry_choices(policy), (CUSTOM, "Custom date…")],
        today=today.isoformat(),
        latest=widgets.latest_expiry_day(policy, today),
    )


def token_new(page: Page) -> Response:
    return _render_form(page, Form(values={"expiry": "30", "scopes": []}))


def _expiry(form: Form, now: datetime) -> tuple[int | None, datetime | None]:
    """``(expires_in_days, expires_at)`` from the form; a bad value is a form error."""
    choice = form.values["expiry"]
    if choice == CUSTOM:
        try:
            day = date.fromisoformat(form.values["expires_on"])
        except ValueError:
            form.errors["expiry"] = "Enter the expiry date as YYYY-MM-DD, or choose a lifetime from the list."
            return None, None
        return None, datetime.combine(day, now.time(), tzinfo=UTC)
    if not choice:
        return None, None
    if not choice.isdigit():
        form.errors["expiry"] = "Choose an expiry from the list."
        return None, None
    return int(choice), None


def token_create(page: Page) -> Response:
    form = Form(
        values={
            "name": page.field("name"),
            "description": page.field("description"),
            "scopes": page.fields("scopes"),
            "expiry": page.field("expires_in_days"),
            "expires_on": page.field("expires_on").strip(),
        }
    )
    check_labels(form, FIELDS)
    days, expires_at = _expiry(form, page.services.clock.now())
    if form.errors:
        return _render_form(page, form, 400)
    warnings = {"expiry": NO_EXPIRY_WARNING} if days is None and expires_at is None else {}
    if unconfirmed(form, page.fields(CONFIRMED_FIELD), warnings):
        return _render_form(page, form)

    def create(claim: Claim) -> Outcome:
        created = page.services.personal_tokens.create(
            page.signed_in.actor(),
            name=form.values["name"],
            scopes=form.values["scopes"],
            description=form.values["description"],
            expires_in_days=days,
            expires_at=expires_at,
        )
        return token_outcome(claim, created.token.id, created.plain, regenerated=False)

    render = functools.partial(_render_form, page)
    return submit(page, form, create, fallback_url="/tokens", fields=FIELDS, render=render)


ROUTES: list[PageRoute] = [
    get("/tokens/new", token_new),
    post("/tokens", token_create),
]
