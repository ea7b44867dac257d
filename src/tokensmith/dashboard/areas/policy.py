"""The organisation's policy (owners and admins)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.dashboard.areas.members import org_id
from tokensmith.dashboard.forms import FORM_ERRORS, Form, place_error
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect

DAY_FIELDS = ("pat_max_lifetime_days", "pat_inactivity_days")
QUOTA = "credential_tokens_per_hour"
#: Refresh-token lifetimes of authorized apps, entered in days, stored in seconds.
REFRESH_FIELDS = ("refresh_token_lifetime_seconds", "refresh_token_idle_seconds")
NUMBER_FIELDS = (*DAY_FIELDS, QUOTA, *REFRESH_FIELDS)
DAY = 86400
FLAGS = (
    "allow_personal_credentials",
    "allow_org_credentials",
    "allow_personal_tokens",
    "pat_expiry_required",
    "allow_registered_clients",
    "allow_metadata_document_clients",
)


def policy_page(page: Page, form: Form | None = None, status: int = 200) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "manage the policy")
    policy = page.services.policies.get(actor, org_id(page))
    if form is None:
        values = {
            name: "" if getattr(policy, name) is None else str(getattr(policy, name))
            for name in NUMBER_FIELDS
        }
        for name in REFRESH_FIELDS:
            seconds = getattr(policy, name)
            values[name] = "" if seconds is None else _days_text(seconds)
        form = Form(values=values)
    return page.render("policy.html", status=status, policy=policy, form=form)


def _days_text(seconds: int) -> str:
    """Days with enough decimals that saving the form again keeps the same seconds."""
    return f"{seconds / DAY:.6f}".rstrip("0").rstrip(".")


def _refresh_seconds(form: Form, name: str) -> int | None:
    """A lifetime in days (decimals allowed: an hour is 0.041667), as seconds; empty: ``None``."""
    value = form.values[name].replace(",", ".")
    if not value:
        return None
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not 0 < days < 100_000:
        form.errors[name] = "Enter a number of days, or leave it empty for the deployment's default."
        return None
    return round(days * DAY)


def policy_save(page: Page) -> Response:
    form = Form(values={name: page.field(name).strip() for name in NUMBER_FIELDS})
    changes: dict[str, Any] = {name: page.field(name) == "on" for name in FLAGS}
    for name in DAY_FIELDS:
        value = form.values[name]
        if value and not value.isdigit():
            form.errors[name] = "Enter a whole number of days, or leave it empty for no limit."
        changes[name] = int(value) if value.isdigit() else None
    quota = form.values[QUOTA]
    if quota and not quota.isdigit():
        form.errors[QUOTA] = "Enter a whole number of tokens per hour, or leave it empty for no quota."
    changes[QUOTA] = int(quota) if quota.isdigit() else None
    for name in REFRESH_FIELDS:
        changes[name] = _refresh_seconds(form, name)
    if not form.errors:
        try:
            page.services.policies.update(page.signed_in.actor(), org_id(page), changes)
            return redirect("/org/policy?done=policy-saved")
        except FORM_ERRORS as exc:
            place_error(form, exc, NUMBER_FIELDS, fallback=DAY_FIELDS[0])
    return policy_page(page, form, 400)


ROUTES: list[PageRoute] = [
    get("/org/policy", policy_page),
    post("/org/policy", policy_save),
]
