"""Sign-in, sign-out and the organisation switch (the session's own pages)."""

from __future__ import annotations

from starlette.responses import Response

from tokensmith.core.errors import Unauthenticated
from tokensmith.dashboard.pages import Page, PageRoute, get, post, redirect, safe_next
from tokensmith.web import csrf
from tokensmith.web.session_cookies import clear_session_cookie, session_cookie_name, set_session_cookie


def _form(page: Page, status: int, login_csrf: str, next_url: str, email: str, error: str | None) -> Response:
    return page.render(
        "sign_in.html", status=status, login_csrf=login_csrf, next=next_url, email=email, error=error
    )


def sign_in_form(page: Page) -> Response:
    page.session = None  # the sign-in page stands alone (also to switch accounts)
    token = csrf.new_login_csrf()
    response = _form(page, 200, token, safe_next(page.query("next", "/credentials")), "", None)
    csrf.set_login_csrf_cookie(response, page.services.settings, token)
    return response


def sign_in(page: Page) -> Response:
    response: Response
    page.session = None
    settings = page.services.settings
    next_url = safe_next(page.field("next", "/credentials"))
    email = page.field("email")
    expected = page.request.cookies.get(csrf.LOGIN_CSRF_COOKIE)
    token = csrf.new_login_csrf()
    if not csrf.tokens_match(expected, page.field(csrf.CSRF_FIELD)):
        response = _form(page, 403, token, next_url, email, "The sign-in form expired. Please try again.")
    else:
        try:
            issued = page.services.sessions.sign_in(
                email,
                page.field("password"),
                ip=page.ip,
                replaces=page.request.cookies.get(session_cookie_name(settings)),
            )
        except Unauthenticated:
            issued = None
        if issued is not None:
            response = redirect(next_url)
            set_session_cookie(response, settings, issued.session_id, settings.session_ttl_seconds)
            response.delete_cookie(csrf.LOGIN_CSRF_COOKIE, path="/sign-in")
            return response
        response = _form(page, 401, token, next_url, email, "Wrong email or password.")
    csrf.set_login_csrf_cookie(response, settings, token)
    return response


def sign_out(page: Page) -> Response:
    page.services.sessions.sign_out(page.signed_in)
    response = redirect("/sign-in?done=signed-out")
    clear_session_cookie(response, page.services.settings)
    return response


def switch_org(page: Page) -> Response:
    issued = page.services.sessions.switch_org(page.signed_in, page.field("org_id"))
    response = redirect(safe_next(page.field("next", "/credentials")) + "?done=org-switched")
    settings = page.services.settings
    set_session_cookie(response, settings, issued.session_id, settings.session_ttl_seconds)
    return response


def home(page: Page) -> Response:
    return redirect("/credentials")


ROUTES: list[PageRoute] = [
    get("/", home),
    get("/sign-in", sign_in_form, public=True),
    post("/sign-in", sign_in, public=True),
    post("/sign-out", sign_out),
    post("/session/org", switch_org),
]
