"""Organisation members (owners and admins): list, add, change a role, remove."""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.core import permissions
from tokensmith.core.errors import BadRequest, Conflict
from tokensmith.core.roles import Role
from tokensmith.dashboard.forms import FORM_ERRORS, Form, place_error
from tokensmith.dashboard.once import Outcome, remove_once, run_once
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect
from tokensmith.services.reveals import Claim
from tokensmith.web.session_cookies import set_session_cookie

#: The add-member form's fields (a refusal is shown next to the one it names, forms.place_error).
FIELDS = ("email", "role")


def org_id(page: Page) -> str:
    """The signed-in session's organisation (400 when it has none)."""
    session = page.signed_in
    if session.org is None:
        raise BadRequest("you are not a member of any organisation")
    return session.org.id


def members_page(page: Page, form: Form | None = None, status: int = 200) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "manage members")
    listing = page.services.members.list(actor, org_id(page), cursor=page.query("cursor") or None, limit=100)
    return page.render(
        "members.html",
        status=status,
        members=listing.items,
        next_cursor=listing.next_cursor,
        roles=list(Role),
        form=form or Form(values={"role": "member"}),
    )


def member_role(page: Page) -> Response:
    session = page.signed_in
    try:
        role = Role(page.field("role"))
    except ValueError:
        raise BadRequest("choose owner, admin or member") from None
    user_id = page.path_params["user_id"]
    # The service ends the member's sessions (this one too, when it is their own role).
    page.services.members.set_role(session.actor(), org_id(page), user_id, role)
    response = redirect("/org/members?done=role-changed")
    if user_id == session.user.id:
        # Own privileges changed: a new session id in the same organisation.
        issued = page.services.sessions.rotate(session)
        settings = page.services.settings
        set_session_cookie(response, settings, issued.session_id, settings.session_ttl_seconds)
    return response


def member_add(page: Page) -> Response:
    form = Form(values={"email": page.field("email"), "role": page.field("role", "member")})
    try:
        role = Role(form.values["role"])
    except ValueError:
        form.errors["role"] = "Choose owner, admin or member."
        return members_page(page, form, 400)

    def add(claim: Claim) -> Outcome:
        page.services.members.add(page.signed_in.actor(), org_id(page), form.values["email"], role)
        return "/org/members?done=member-added", None

    try:
        return run_once(page, add, fallback="/org/members")
    except (*FORM_ERRORS, Conflict) as exc:
        place_error(form, exc, FIELDS, fallback="email")
        return members_page(page, form, exc.status)


def member_remove(page: Page) -> Response:
    user_id = page.path_params["user_id"]
    return remove_once(
        page,  # the service ends the removed member's sessions
        lambda: page.services.members.remove(page.signed_in.actor(), org_id(page), user_id),
        done_url="/org/members?done=member-removed",
        refusal="confirm that you want to remove the member",
    )


ROUTES: list[PageRoute] = [
    get("/org/members", members_page),
    post("/org/members", member_add),
    post("/org/members/{user_id}/role", member_role),
    post("/org/members/{user_id}/remove", member_remove),
]
