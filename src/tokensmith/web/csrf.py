"""Cross-site request forgery defences for cookie-authenticated requests (OWASP CSRF cheat sheet).

Every unsafe request must come from this origin (``Origin``, else ``Referer``, when the browser
sends one — Fetch Metadata ``Sec-Fetch-Site: cross-site`` is refused too) *and* carry the
session's synchronizer token (form field ``csrf_token`` or header ``X-CSRF-Token``). The sign-in
form, before any session exists, uses a double-submit cookie.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tokensmith.settings import Settings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "tokensmith_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
