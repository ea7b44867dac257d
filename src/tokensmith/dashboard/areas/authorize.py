"""``/oauth2/authorize``: the authorization endpoint's pages (OAuth 2.1 draft §4.1.1–§4.1.2).

Thin: :class:`~tokensmith.services.authorization.AuthorizationService` checks the request and makes
the code. ``GET`` checks the request (an untrusted client or redirect URI is a page, never a
redirect), sends a visitor without a session to the dashboard's sign-in (``next`` back here), and
shows the consent page; ``POST`` is the consent form (session + CSRF token, like every dashboard
form), re-checks the request it carries, and redirects (303) to the client with the code, or with
``access_denied``. The consent page's Content-Security-Policy lets its form lead to the client's
redirect URI (``form-action`` covers the redirect after a submission in browsers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlsplit

from starlette.responses import RedirectResponse, Response

from tokensmith.core import scopes as scope_rules
from tokensmith.core.errors import AccessDenied, InvalidScope, OAuthError
from tokensmith.dashboard import security
from tokensmith.dashboard.pages import Page, PageRoute, get, post
from tokensmith.services.authorization import AuthorizationRequest, RedirectedError, UntrustedRequest

PATH = "/oauth2/authorize"
_REQUEST_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "resource",
)


def _untrusted(page: Page, error: OAuthError) -> Response:
    response = page.render(
        "error.html",
        status=400,
        title="This sign-in link is not valid",
        message=f"{error.description} ({error.error}). Return to the application and try again.",
    )
    return response


def _to_client(location: str) -> Response:
    return RedirectResponse(location, status_code=303)


def _csp_for(redirect_uri: str) -> str:
    """The page CSP, with ``form-action`` also allowing the client's redirect URI."""
    parts = urlsplit(redirect_uri)
    target = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"
    return security.CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {target}")


def _consent(page: Page, request: AuthorizationRequest, org_id: str | None, error: str | None) -> Response:
    session = page.signed_in
    org = org_id or (session.org.id if session.org else "")
    chosen = next(((o, r) for o, r in session.memberships if o.id == org), None)
    service = page.services.authorization
    grantable = service.grantable(request, chosen[1]) if chosen is not None else frozenset()
    refused = service.refusal(request, chosen[0]) if chosen is not None else None
    registry = page.services.scope_registry
    parts = urlsplit(request.redirect_uri)
    response = page.render(
        "consent.html",
        status=400 if error else 403 if refused else 200,
        app_name=request.client.display_name,
        client_id=request.client.client_id,
        client_uri=request.client.client_uri,
        redirect_target=f"{parts.scheme}://{parts.netloc}{parts.path}"
        if parts.netloc
        else request.redirect_uri,
        resource=request.resource,
        hidden=request.hidden_fields(),
        org_id=org,
        scopes=[
            {"name": s, "description": registry.get(s, s), "grantable": s in grantable}
            for s in sorted(request.scopes)
        ],
        error=error or refused,
    )
    response.headers["Content-Security-Policy"] = _csp_for(request.redirect_uri)
    return response


def _params(items: Sequence[tuple[str, str]]) -> Mapping[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in items:
        if name in _REQUEST_FIELDS:
            params.setdefault(name, []).append(value)
    return params


def authorize(page: Page) -> Response:
    """GET: check the request, then sign in, then the consent page."""
    try:
        request = page.services.authorization.check(_params(page.request.query_params.multi_items()))
    except UntrustedRequest as exc:
        return _untrusted(page, exc.error)
    except RedirectedError as exc:
        return _to_client(exc.location)
    if page.session is None:
        target = page.request.url.path + "?" + page.request.url.query
        return RedirectResponse("/sign-in?next=" + quote(target, safe=""), status_code=303)
    return _consent(page, request, None, None)


def decide(page: Page) -> Response:
    """POST: the consent form — allow (a code) or deny (``access_denied``), back to the client."""
    form = page.form
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)] if form is not None else []
    try:
        request = page.services.authorization.check(_params(items))
    except UntrustedRequest as exc:
        return _untrusted(page, exc.error)
    except RedirectedError as exc:
        return _to_client(exc.location)
    service = page.services.authorization
    if page.field("decision") != "allow":
        return _to_client(service.deny(request, page.signed_in))
    org_id = page.field("org_id")
    try:
        chosen = scope_rules.parse(" ".join(page.fields("scopes")))
        location = service.approve(request, page.signed_in, org_id, chosen)
    except OAuthError as exc:
        message = (
            exc.description
            if isinstance(exc, InvalidScope | AccessDenied)
            else "The permissions chosen are not valid."
        )
        return _consent(page, request, org_id, message)
    return _to_client(location)


ROUTES: list[PageRoute] = [
    get(PATH, authorize, public=True),
    post(PATH, decide),
]
