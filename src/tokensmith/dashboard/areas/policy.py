"""The organisation's policy (owners and admins)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.dashboard.areas.members import org_id
from tokensmith.dashboard.forms import FORM_ERRORS, Form, place_error
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect

DAY_FIELDS = ("pat_max_lifetime_days", "pat_inactivity_days")
FLAGS = (
    "allow_personal_credentials",
    "allow_org_credentials",
    "allow_personal_tokens",
    "pat_expiry_required",
)


def policy_page(page: Page, form: Form | None = None, status: int = 200) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "manage the policy")
    policy = page.services.policies.get(actor, org_id(page))
    if form is None:
        form = Form(
            values={
                name: "" if getattr(policy, name) is None else str(getattr(policy, name))
                for name in DAY_FIELDS
            }
        )
    return page.render("policy.html", status=status, policy=policy, form=form)


def policy_save(page: Page) -> Response:
    form = Form(values={name: page.field(name).strip() for name in DAY_FIELDS})
    changes: dict[str, Any] = {name: page.field(name) == "on" for name in FLAGS}
    for name in DAY_FIELDS:
        value = form.values[name]
        if value and not value.isdigit():
            form.errors[name] = "Enter a whole number of days, or leave it empty for no limit."
        changes[name] = int(value) if value.isdigit() else None
    if not form.errors:
        try:
            page.services.policies.update(page.signed_in.actor(), org_id(page), changes)
            return redirect("/org/policy?done=policy-saved")
        except FORM_ERRORS as exc:
            place_error(form, exc, DAY_FIELDS, fallback=DAY_FIELDS[0])
    return policy_page(page, form, 400)


ROUTES: list[PageRoute] = [
    get("/org/policy", policy_page),
    post("/org/policy", policy_save),
]
