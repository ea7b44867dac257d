"""Browser-facing protections of the dashboard's pages (OWASP Unvalidated Redirects cheat sheet).

The session cookie and the CSRF defences live in :mod:`tokensmith.web` (the management API
accepts the same cookie). Here: every page's headers — a strict Content-Security-Policy
(``frame-ancestors 'none'``, scripts and styles from this origin only), ``X-Frame-Options: DENY``,
``nosniff``, ``Referrer-Policy: same-origin`` and ``Cache-Control: no-store`` (pages may show
secrets; none of them may be cached) — and the sign-in ``next`` rule.
"""

from __future__ import annotations

from starlette.responses import Response

#: Where sign-in goes when ``next`` is missing or not a safe same-site path.
DEFAULT_NEXT = "/credentials"
MAX_NEXT_LENGTH = 2000

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


def add_page_headers(response: Response) -> Response:
    for name, value in PAGE_HEADERS.items():
        if name == "Content-Security-Policy":
            # A page may widen only its own policy (the consent page's form-action, areas/authorize.py).
            response.headers.setdefault(name, value)
        else:
            response.headers[name] = value
    return response


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
