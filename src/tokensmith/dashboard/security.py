"""Browser-facing protections for the dashboard (OWASP Session Management and CSRF cheat sheets).

* Session cookie: ``HttpOnly``, ``SameSite=Lax``, ``Path=/``; in production ``Secure`` and the
  ``__Host-`` prefix (RFC 6265bis §4.1.3.2: no ``Domain``, so no sibling host can set it).
* CSRF: every unsafe request must come from this origin (``Origin``, else ``Referer``, when the
  browser sends one — Fetch Metadata ``Sec-Fetch-Site: cross-site`` is refused too) *and* carry
  the session's synchronizer token (form field ``csrf_token`` or header ``X-CSRF-Token``).
  The sign-in form, before any session exists, uses a double-submit cookie.
* Every page: a strict Content-Security-Policy (``frame-ancestors 'none'``, scripts and styles
  from this origin only), ``X-Frame-Options: DENY``, ``nosniff``, ``Referrer-Policy: same-origin``
  and ``Cache-Control: no-store`` (pages may show secrets; none of them may be cached).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tokensmith.settings import Settings

#: Where sign-in goes when ``next`` is missing or not a safe same-site path.
DEFAULT_NEXT = "/credentials"
MAX_NEXT_LENGTH = 2000

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "tokensmith_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


def session_cookie_name(settings: Settings) -> str:
    return "__Host-tokensmith_session" if settings.is_production else "tokensmith_session"


def set_session_cookie(response: Response, settings: Settings, session_id: str, max_age: int) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        session_id,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings), path="/", httponly=True, samesite="lax", secure=settings.is_production
    )


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        max_age=3600,
        path="/sign-in",
        httponly=True,
        samesite="strict",
        secure=settings.is_production,
    )


def add_page_headers(response: Response) -> Response:
    for name, value in PAGE_HEADERS.items():
        response.headers[name] = value
    return response


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request, public_origin: str | None = None) -> bool:
    """True unless the browser says the request came from another site or origin.

    ``public_origin`` (the issuer's) is accepted too, for a server behind a TLS-terminating proxy.
    """
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return False
    own = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if public_origin:
        own.add(public_origin.lower())
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() in own
    referer = request.headers.get("referer")
    if referer:
        return _origin(referer) in own
    return True  # non-browser clients send neither; the synchronizer token still applies


def tokens_match(expected: str | None, presented: str | None) -> bool:
    return (
        bool(expected)
        and bool(presented)
        and hmac.compare_digest((expected or "").encode(), (presented or "").encode())
    )


def safe_next(value: str, default: str = DEFAULT_NEXT) -> str:
    """``value`` if it is a same-site absolute path, else ``default`` (no open redirect after sign-in).

    Refused: anything not starting with one ``/`` (``//host`` and ``/<backslash>host`` are other
    sites to a browser), any backslash, and any control character or whitespace other than a plain
    space — the WHATWG URL parser strips tab, CR and LF *inside* a URL, so ``/<TAB>/evil.example``
    would become ``//evil.example`` in the browser (OWASP Unvalidated Redirects cheat sheet).
    """
    if (
        not value.startswith("/")
        or value.startswith("//")
        or len(value) > MAX_NEXT_LENGTH
        or "\\" in value
        or any(c.isspace() and c != " " for c in value)
        or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value)
    ):
        return default
    return value
