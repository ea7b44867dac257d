"""The organisation's policy (owners and admins)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.core.errors import BadRequest
from tokensmith.dashboard.areas.members import org_id
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect


def policy_page(page: Page) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "manage the policy")
    policy = page.services.policies.get(actor, org_id(page))
    return page.render("policy.html", policy=policy)


def _days(page: Page, name: str) -> int | None:
    value = page.field(name).strip()
    if not value:
        return None
    if not value.isdigit():
        raise BadRequest("days must be a whole number, or empty for no limit")
    return int(value)


def policy_save(page: Page) -> Response:
    changes: dict[str, Any] = {
        name: page.field(name) == "on"
        for name in (
            "allow_personal_credentials",
            "allow_org_credentials",
            "allow_personal_tokens",
            "pat_expiry_required",
        )
    }
    changes["pat_max_lifetime_days"] = _days(page, "pat_max_lifetime_days")
    changes["pat_inactivity_days"] = _days(page, "pat_inactivity_days")
    page.services.policies.update(page.signed_in.actor(), org_id(page), changes)
    return redirect("/org/policy?done=policy-saved")


ROUTES: list[PageRoute] = [
    get("/org/policy", policy_page),
    post("/org/policy", policy_save),
]
