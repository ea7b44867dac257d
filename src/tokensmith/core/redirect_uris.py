"""Redirect URIs of public clients: what may be registered, and when a request's URI matches.

* Registration (RFC 7591 §2, OAuth 2.1 draft §2.3.1, RFC 8252 §7): an ``https`` URL; a loopback
  ``http`` URL (``127.0.0.1``, ``[::1]`` or ``localhost``, RFC 8252 §7.3 and §8.3); or a
  private-use scheme of a native app (RFC 8252 §7.1, e.g. ``com.example.app:/callback``). Never a
  fragment (RFC 6749 §3.1.2), user information, plain ``http`` to another host, or a scheme a
  browser would run (``javascript:``, ``data:``…).
* Matching (OAuth 2.1 draft §4.1.1 / §7.5.3): exact string comparison, except that a loopback
  URI matches with any port (RFC 8252 §7.3) — scheme, host, path and query must still be equal.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_REDIRECT_URI_LENGTH = 2000
MAX_REDIRECT_URIS = 10
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "localhost"})
#: Schemes that are not a native app's private-use scheme.
_NOT_PRIVATE = frozenset(
    {"http", "https", "javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss", "mailto"}
)
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+-.")


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.split(":", 1)[0].lower()


def is_loopback(uri: str) -> bool:
    """An ``http`` URI on the loopback interface (RFC 8252 §7.3)."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and _host(parts.netloc) in LOOPBACK_HOSTS


def problem(uri: str) -> str | None:
    """Why ``uri`` may not be registered as a redirect URI, or ``None`` when it may."""
    if not isinstance(uri, str) or not uri:
        return "a redirect URI must be a non-empty string"
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        return f"a redirect URI may have at most {MAX_REDIRECT_URI_LENGTH} characters"
    if any(ord(c) <= 0x20 or ord(c) == 0x7F or c == "\\" for c in uri):
        return "a redirect URI may not contain spaces, control characters or backslashes"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "the redirect URI is not a valid URI"
    scheme = parts.scheme
    if not scheme or not uri.startswith(scheme + ":"):
        return "a redirect URI must be absolute with a lowercase scheme"
    if parts.fragment or "#" in uri:
        return "a redirect URI may not have a fragment (RFC 6749 §3.1.2)"
    if "@" in parts.netloc:
        return "a redirect URI may not carry user information"
    if scheme == "https":
        return None if parts.hostname else "an https redirect URI needs a host"
    if scheme == "http":
        if _host(parts.netloc) in LOOPBACK_HOSTS:
            try:
                parts.port  # noqa: B018 - raises on a malformed port
            except ValueError:
                return "the redirect URI's port is not valid"
            return None
        return "an http redirect URI must be a loopback address (RFC 8252 §7.3); use https"
    if scheme in _NOT_PRIVATE or not _SCHEME_CHARS.issuperset(scheme) or not scheme[0].isalpha():
        return f"the scheme {scheme[:20]!r} is not allowed for redirect URIs"
    return None  # a native app's private-use scheme (RFC 8252 §7.1)


def _without_port(uri: str) -> tuple[str, str, str, str]:
    parts = urlsplit(uri)
    return parts.scheme, _host(parts.netloc), parts.path or "/", parts.query


def matches(registered: str, presented: str) -> bool:
    """``presented`` equals ``registered`` exactly, or, both loopback, differs only in the port."""
    if presented == registered:
        return True
    if not (is_loopback(registered) and is_loopback(presented)):
        return False
    try:
        urlsplit(presented).port  # noqa: B018 - a malformed port never matches
    except ValueError:
        return False
    if "@" in urlsplit(presented).netloc or "#" in presented:
        return False
    return _without_port(registered) == _without_port(presented)


def find_match(registered: tuple[str, ...], presented: str) -> bool:
    return len(presented) <= MAX_REDIRECT_URI_LENGTH and any(matches(r, presented) for r in registered)
