"""The page machinery every dashboard route shares: session, CSRF, rendering, friendly errors.

A route is a plain function ``(Page) -> Response`` run in a worker thread. :func:`page` wraps it:
it resolves the session from its cookie, refuses cross-origin and token-less unsafe requests
(403), sends visitors without a session to the sign-in page, renders service errors as a
friendly page with the error's status, and adds the security headers to every answer.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tokensmith.core.clock import Clock
from tokensmith.core.errors import ProblemError, SlowDown, StorageUnavailable, Unauthenticated
from tokensmith.dashboard import formatting, security
from tokensmith.services.api_console import TIMEOUT_SECONDS as CONSOLE_TIMEOUT_SECONDS
from tokensmith.services.container import Services
from tokensmith.services.reveals import new_form_nonce
from tokensmith.services.sessions import ActiveSession
from tokensmith.web import csrf
from tokensmith.web.blocking import run_in_worker
from tokensmith.web.client_ip import client_ip
from tokensmith.web.session_cookies import session_cookie_name

log = logging.getLogger("tokensmith.dashboard")
HERE = Path(__file__).parent
MAX_FORM_FIELDS = 200

#: Messages shown after a redirect (``?done=<key>``): fixed texts, so nothing user-made is reflected.
NOTICES = {
    "signed-out": "You are signed out.",
    "org-switched": "Organisation switched.",
    "credential-renamed": "Credential saved.",
    "credential-reuse-saved": "Token reuse saved.",
    "credential-keys-registered": "Credential created. It has no secret: your client signs each token "
    "request with its private key (private_key_jwt).",
    "credential-deleted": "Credential deleted. Its secret no longer works.",
    "token-updated": "Token saved.",
    "token-revoked": "Token revoked. It no longer works.",
    "role-changed": "Role changed.",
    "member-added": "Member added.",
    "member-removed": "Member removed.",
    "policy-saved": "Policy saved.",
    "app-revoked": "App revoked. Its tokens no longer work.",
    "webhook-deleted": "Webhook endpoint deleted, with its deliveries.",
    "webhook-enabled": "Webhook endpoint enabled. Its queued deliveries are sent again.",
    "webhook-disabled": "Webhook endpoint disabled. Nothing is sent to it until it is enabled again.",
    "webhook-replayed": "Delivery queued again: it is sent shortly, with the same webhook-id.",
}


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=False)


def build_environment(clock: Clock) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    formatting.register(env, clock)
    env.filters["pretty_json"] = _pretty_json
    return env


@dataclass
class Page:
    """One request, as a route function sees it."""

    request: Request
    services: Services
    session: ActiveSession | None
    form: FormData | None
    ip: str | None
    env: Environment
    path_params: dict[str, str] = field(default_factory=dict)

    @property
    def signed_in(self) -> ActiveSession:
        """The session of a page that needs one (an explicit 401, never an ``assert``)."""
        if self.session is None:
            raise Unauthenticated("sign in first")
        return self.session

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v for v in self.form.getlist(name) if isinstance(v, str)]

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        session = self.session
        context = {
            "session": session,
            "csrf_token": session.csrf_token if session else "",
            "is_admin": bool(session and session.is_admin),
            "path": self.request.url.path,
            "notice": NOTICES.get(self.query("done")),
            "issuer": self.services.issuer,
            "form_nonce": new_form_nonce,
            "reveal_minutes": self.services.reveals.ttl_minutes,
            **values,
        }
        return HTMLResponse(self.env.get_template(template).render(context), status_code=status)


Route = Callable[[Page], Response]


@dataclass(frozen=True)
class PageRoute:
    """One entry of the route table: each page area lists its own (``ROUTES``)."""

    path: str
    methods: tuple[str, ...]
    handler: Route
    public: bool = False


def get(path: str, handler: Route, *, public: bool = False) -> PageRoute:
    return PageRoute(path, ("GET",), handler, public)


def post(path: str, handler: Route, *, public: bool = False) -> PageRoute:
    return PageRoute(path, ("POST",), handler, public)


def redirect(url: str) -> RedirectResponse:
    """Post/Redirect/Get: 303 so the browser follows with GET."""
    return RedirectResponse(url, status_code=303)


def _error_page(page: Page, status: int, title: str, message: str) -> Response:
    return page.render("error.html", status=status, title=title, message=message)


def page(
    services: Services, env: Environment, handler: Route, *, public: bool = False
) -> Callable[[Request], Any]:
    """Wrap ``handler`` with the session, CSRF and error handling every page needs."""
    settings = services.settings
    cookie_name = session_cookie_name(settings)
    public_origin = _issuer_origin(services.issuer)

    async def endpoint(request: Request) -> Response:
        ip = client_ip(request, settings.trust_forwarded_for, settings.forwarded_hops)
        unsafe = request.method not in csrf.SAFE_METHODS
        form: FormData | None = None
        if unsafe:
            if not csrf.same_origin(request, public_origin):
                return security.add_page_headers(HTMLResponse("Cross-site request refused.", status_code=403))
            form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
        try:
            session = await run_in_worker(
                services.database,
                functools.partial(services.sessions.resolve, request.cookies.get(cookie_name), ip=ip),
            )
        except StorageUnavailable:
            return security.add_page_headers(HTMLResponse("The service is temporarily unavailable.", 503))
        current = Page(request, services, session, form, ip, env, dict(request.path_params))
        if unsafe and not public:
            presented = request.headers.get(csrf.CSRF_HEADER) or current.field(csrf.CSRF_FIELD)
            if session is None or not session.csrf_matches(presented):
                return security.add_page_headers(
                    _error_page(
                        current,
                        403,
                        "Request refused",
                        "This form has expired or did not come from this site. "
                        "Reload the page and try again.",
                    )
                )
        if session is None and not public:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return security.add_page_headers(redirect("/sign-in?next=" + quote(target, safe="")))
        try:
            # Always a worker thread, never inline (unlike the API's call_blocking): page
            # handlers may hash a password (argon2id) or make the Test API Call request,
            # whose own timeout the deadline allows for.
            response = await run_in_worker(
                services.database,
                functools.partial(handler, current),
                seconds=services.database.timeout_seconds + CONSOLE_TIMEOUT_SECONDS,
            )
        except SlowDown as exc:
            response = _error_page(
                current,
                429,
                "Too many attempts",
                f"Too many failed attempts. Try again in {exc.retry_after} seconds.",
            )
            response.headers["Retry-After"] = str(exc.retry_after)
        except ProblemError as exc:
            if exc.detail:
                log.info("dashboard %s: %s", exc.code, exc.detail)
            response = _error_page(current, exc.status, exc.title, exc.description)
        except StorageUnavailable:
            response = _error_page(
                current, 503, "Service unavailable", "Storage is temporarily unavailable. Try again shortly."
            )
        except Exception as exc:  # noqa: BLE001 - one friendly page; the traceback goes to the log
            log.error(
                "dashboard error on %s %s: %s",
                request.method,
                request.url.path,
                type(exc).__name__,
                exc_info=exc,
            )
            response = _error_page(
                current, 500, "Something went wrong", "An unexpected error occurred. It has been logged."
            )
        return security.add_page_headers(response)

    return endpoint


def _issuer_origin(issuer: str) -> str | None:
    from tokensmith.services.api_console import origin_of

    return origin_of(issuer)


#: The sign-in ``next`` rule lives with the dashboard's other browser protections.
safe_next = security.safe_next
