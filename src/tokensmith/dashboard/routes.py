"""Dashboard routes: sign-in, API credentials (seed 000), account tokens (seed 001), organisation.

Thin adapters: each reads the form, calls one service, and renders or redirects (303, PRG). The
exceptions to PRG are the pages that show a secret once (a new client secret, a generated
token, a new account token): the secret cannot survive a redirect without being stored, so
those pages are the POST's own answer, marked ``Cache-Control: no-store`` like every page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tokensmith.core import permissions, policies
from tokensmith.core.errors import BadRequest, Forbidden, Unauthenticated
from tokensmith.core.records import Credential, CredentialKind, OrgPolicy
from tokensmith.core.roles import Role
from tokensmith.dashboard import security
from tokensmith.dashboard.pages import HERE, Page, build_environment, page, redirect, safe_next
from tokensmith.services.api_console import METHODS
from tokensmith.services.audit_query import AuditFilters
from tokensmith.services.container import Services

#: Expiry choices for new account tokens (days; ``None`` is "never"), filtered by the policy.
EXPIRY_CHOICES: list[tuple[int | None, str]] = [
    (7, "7 days"),
    (30, "30 days"),
    (60, "60 days"),
    (90, "90 days"),
    (365, "1 year"),
    (None, "No expiry"),
]


# -- helpers ---------------------------------------------------------------------------------


def _scope_choices(page: Page, checked: set[str]) -> list[dict[str, Any]]:
    return [
        {"name": name, "description": description, "checked": name in checked}
        for name, description in page.services.scope_registry.items()
    ]


def _expiry_choices(policy: OrgPolicy) -> list[tuple[str, str]]:
    """The expiry options the organisation's policy allows (core/policies.py), labelled."""
    labels = dict(EXPIRY_CHOICES)
    return [
        ("" if days is None else str(days), labels.get(days) or f"{days} days (the maximum)")
        for days in policies.expiry_choices(policy, [days for days, _ in EXPIRY_CHOICES])
    ]


def _token_url(page: Page) -> str:
    return page.services.issuer.rstrip("/") + "/oauth2/token"


def _default_test_url(page: Page) -> str:
    return page.services.settings.test_call_default_url or page.services.issuer.rstrip("/") + "/api/me"


def _samples(page: Page, credential: Credential, secret: str | None) -> list[Any]:
    try:
        from tokensmith.samples import render_samples
    except ImportError:  # the samples package is optional for the dashboard
        return []
    scope = " ".join(sorted(credential.scopes))
    return list(
        render_samples(_token_url(page), credential.client_id, scope, secret, api_url=_default_test_url(page))
    )


def _console(
    page: Page, token: str = "", url: str = "", method: str = "GET", body: str = ""
) -> dict[str, Any]:
    return {
        "token": token,
        "url": url or _default_test_url(page),
        "method": method,
        "body": body,
        "methods": METHODS,
        "allowed": page.services.api_console.allowed_origins,
    }


def _can_change(page: Page, credential: Credential) -> bool:
    return permissions.can_change_credential(page.signed_in.actor(), credential)


# -- sign-in, sign-out, organisation switch --------------------------------------------------


def sign_in_form(page: Page) -> Response:
    page.session = None  # the sign-in page stands alone (also to switch accounts)
    token = security.new_login_csrf()
    response = page.render(
        "sign_in.html",
        login_csrf=token,
        next=safe_next(page.query("next", "/credentials")),
        email="",
        error=None,
    )
    security.set_login_csrf_cookie(response, page.services.settings, token)
    return response


def sign_in(page: Page) -> Response:
    response: Response
    page.session = None
    settings = page.services.settings
    next_url = safe_next(page.field("next", "/credentials"))
    email = page.field("email")
    expected = page.request.cookies.get(security.LOGIN_CSRF_COOKIE)
    token = security.new_login_csrf()
    if not security.tokens_match(expected, page.field(security.CSRF_FIELD)):
        response = page.render(
            "sign_in.html",
            status=403,
            login_csrf=token,
            next=next_url,
            email=email,
            error="The sign-in form expired. Please try again.",
        )
    else:
        try:
            issued = page.services.sessions.sign_in(
                email,
                page.field("password"),
                ip=page.ip,
                replaces=page.request.cookies.get(security.session_cookie_name(settings)),
            )
        except Unauthenticated:
            issued = None
        if issued is not None:
            response = redirect(next_url)
            security.set_session_cookie(response, settings, issued.session_id, settings.session_ttl_seconds)
            response.delete_cookie(security.LOGIN_CSRF_COOKIE, path="/sign-in")
            return response
        response = page.render(
            "sign_in.html",
            status=401,
            login_csrf=token,
            next=next_url,
            email=email,
            error="Wrong email or password.",
        )
    security.set_login_csrf_cookie(response, settings, token)
    return response


def sign_out(page: Page) -> Response:
    page.services.sessions.sign_out(page.signed_in)
    response = redirect("/sign-in?done=signed-out")
    security.clear_session_cookie(response, page.services.settings)
    return response


def switch_org(page: Page) -> Response:
    issued = page.services.sessions.switch_org(page.signed_in, page.field("org_id"))
    response = redirect(safe_next(page.field("next", "/credentials")) + "?done=org-switched")
    settings = page.services.settings
    security.set_session_cookie(response, settings, issued.session_id, settings.session_ttl_seconds)
    return response


def home(page: Page) -> Response:
    return redirect("/credentials")


# -- API credentials (seed 000) ---------------------------------------------------------------


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
        scopes=_scope_choices(page, set(page.services.credentials.default_scopes)),
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
        samples=_samples(page, created.credential, created.client_secret),
        token_url=_token_url(page),
        regenerated=False,
    )


def credential_detail(page: Page) -> Response:
    credential = page.services.credentials.get(page.signed_in.actor(), page.path_params["ref"])
    return page.render(
        "credential.html",
        credential=credential,
        can_change=_can_change(page, credential),
        samples=_samples(page, credential, None),
        token_url=_token_url(page),
        console=_console(page),
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
        console=_console(page, token=generated.issued.access_token),
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
        samples=_samples(page, created.credential, created.client_secret),
        token_url=_token_url(page),
        regenerated=True,
    )


def credential_delete(page: Page) -> Response:
    if page.field("confirm") != "yes":
        raise BadRequest("tick the confirmation box to delete the credential")
    page.services.credentials.delete(page.signed_in.actor(), page.path_params["ref"])
    return redirect("/credentials?done=credential-deleted")


def test_call(page: Page) -> Response:
    console = _console(
        page,
        token=page.field("token"),
        url=page.field("url"),
        method=page.field("method", "GET"),
        body=page.field("body"),
    )
    result = None
    error = None
    try:
        result = page.services.api_console.call(
            console["method"], console["url"], console["token"], console["body"]
        )
    except BadRequest as exc:
        error = exc.description
    return page.render(
        "test_call.html", console=console, result=result, error=error, status=200 if error is None else 400
    )


# -- account tokens (seed 001) ----------------------------------------------------------------


def tokens_list(page: Page) -> Response:
    session = page.signed_in
    if session.org is None:
        return page.render("no_org.html")
    listing = page.services.personal_tokens.list(session.actor(), limit=200)
    return page.render(
        "tokens.html",
        tokens=listing.items,
        scopes=_scope_choices(page, set()),
        expiry_choices=_expiry_choices(session.org.policy),
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
        console=_console(page, token=created.plain),
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


# -- organisation (owners and admins) ---------------------------------------------------------


def _org_id(page: Page) -> str:
    session = page.signed_in
    if session.org is None:
        raise BadRequest("you are not a member of any organisation")
    return session.org.id


def members_page(page: Page) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "manage members")
    listing = page.services.members.list(actor, _org_id(page), cursor=page.query("cursor") or None, limit=100)
    return page.render(
        "members.html", members=listing.items, next_cursor=listing.next_cursor, roles=list(Role)
    )


def member_role(page: Page) -> Response:
    session = page.signed_in
    try:
        role = Role(page.field("role"))
    except ValueError:
        raise BadRequest("choose owner, admin or member") from None
    user_id = page.path_params["user_id"]
    # The service ends the member's sessions (this one too, when it is their own role).
    page.services.members.set_role(session.actor(), _org_id(page), user_id, role)
    response = redirect("/org/members?done=role-changed")
    if user_id == session.user.id:
        # Own privileges changed: a new session id in the same organisation.
        issued = page.services.sessions.rotate(session)
        settings = page.services.settings
        security.set_session_cookie(response, settings, issued.session_id, settings.session_ttl_seconds)
    return response


def member_add(page: Page) -> Response:
    try:
        role = Role(page.field("role", "member"))
    except ValueError:
        raise BadRequest("choose owner, admin or member") from None
    page.services.members.add(page.signed_in.actor(), _org_id(page), page.field("email"), role)
    return redirect("/org/members?done=member-added")


def member_remove(page: Page) -> Response:
    if page.field("confirm") != "yes":
        raise BadRequest("confirm that you want to remove the member")
    user_id = page.path_params["user_id"]
    page.services.members.remove(page.signed_in.actor(), _org_id(page), user_id)  # ends their sessions
    return redirect("/org/members?done=member-removed")


def policy_page(page: Page) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "manage the policy")
    policy = page.services.policies.get(actor, _org_id(page))
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
    page.services.policies.update(page.signed_in.actor(), _org_id(page), changes)
    return redirect("/org/policy?done=policy-saved")


def _parse_day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD)") from None


def audit_page(page: Page) -> Response:
    actor = page.signed_in.actor()
    permissions.require_admin(actor, "read the audit log")
    values = {name: page.query(name).strip() for name in ("action", "actor", "target", "since", "until")}
    filters = AuditFilters(
        action_prefix=values["action"] or None,
        actor_id=values["actor"] or None,
        target_contains=values["target"] or None,
        since=_parse_day(values["since"], "since"),
        until=_parse_day(values["until"], "until"),
    )
    result = page.services.audit_query.list(
        actor, org_id=_org_id(page), filters=filters, cursor=page.query("cursor") or None, limit=25
    )
    query = {k: v for k, v in values.items() if v}
    return page.render(
        "audit.html",
        events=result.items,
        next_cursor=result.next_cursor,
        filters=values,
        query=query,
        json=json,
    )


# -- the route table ---------------------------------------------------------------------------


def dashboard_routes(services: Services) -> list[BaseRoute]:
    env = build_environment(services.clock)

    def r(path: str, handler: Any, methods: list[str], *, public: bool = False) -> Route:
        return Route(
            path, page(services, env, handler, public=public), methods=methods, include_in_schema=False
        )

    return [
        r("/", home, ["GET"]),
        r("/sign-in", sign_in_form, ["GET"], public=True),
        r("/sign-in", sign_in, ["POST"], public=True),
        r("/sign-out", sign_out, ["POST"]),
        r("/session/org", switch_org, ["POST"]),
        r("/credentials", credentials_list, ["GET"]),
        r("/credentials", credential_create, ["POST"]),
        r("/credentials/{ref}", credential_detail, ["GET"]),
        r("/credentials/{ref}", credential_rename, ["POST"]),
        r("/credentials/{ref}/token", credential_token, ["POST"]),
        r("/credentials/{ref}/regenerate", credential_regenerate, ["POST"]),
        r("/credentials/{ref}/delete", credential_delete, ["POST"]),
        r("/test-call", test_call, ["POST"]),
        r("/tokens", tokens_list, ["GET"]),
        r("/tokens", token_create, ["POST"]),
        r("/tokens/{token_id}", token_detail, ["GET"]),
        r("/tokens/{token_id}", token_update, ["POST"]),
        r("/tokens/{token_id}/revoke", token_revoke, ["POST"]),
        r("/org/members", members_page, ["GET"]),
        r("/org/members", member_add, ["POST"]),
        r("/org/members/{user_id}/role", member_role, ["POST"]),
        r("/org/members/{user_id}/remove", member_remove, ["POST"]),
        r("/org/policy", policy_page, ["GET"]),
        r("/org/policy", policy_save, ["POST"]),
        r("/org/audit", audit_page, ["GET"]),
        Mount("/static/dashboard", StaticFiles(directory=HERE / "static"), name="dashboard-static"),
    ]
