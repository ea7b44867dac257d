"""Redirect URIs: what a public client may register (RFC 8252 §7, RFC 6749 §3.1.2) and exact
matching, loopback with any port (RFC 8252 §7.3)."""

from __future__ import annotations

import pytest

from tokensmith.core import redirect_uris as rules


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example/callback",
        "https://app.example:8443/cb?tenant=a",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:7777/callback",
        "http://[::1]:7777/callback",
        "http://localhost:3030/callback",
        "com.example.app:/oauth2redirect",
        "cursor://anysphere.cursor-retrieval/oauth/callback",
    ],
)
def test_acceptable_redirect_uris(uri: str) -> None:
    assert rules.problem(uri) is None


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("http://app.example/callback", "loopback"),
        ("https://app.example/cb#frag", "fragment"),
        ("https://user@app.example/cb", "user information"),
        ("javascript:alert(1)", "not allowed"),
        ("data:text/html,hi", "not allowed"),
        ("file:///etc/passwd", "not allowed"),
        ("/relative/path", "absolute"),
        ("HTTPS://app.example/cb", "lowercase"),
        ("https:///no-host", "host"),
        ("https://app.example/c b", "spaces"),
        ("https://app.example/\ncb", "control"),
        ("https://app.example/" + "a" * 2000, "at most"),
        ("http://127.0.0.1:notaport/cb", "port"),
    ],
)
def test_refused_redirect_uris(uri: str, why: str) -> None:
    problem = rules.problem(uri)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    ("registered", "presented", "expected"),
    [
        ("https://app.example/callback", "https://app.example/callback", True),
        ("https://app.example/callback", "https://app.example/callback/", False),  # trailing slash
        ("https://app.example/callback", "https://app.example/callback2", False),  # path
        ("https://app.example/callback", "https://app.example:444/callback", False),  # port, not loopback
        ("https://app.example/callback", "https://APP.example/callback", False),
        ("https://app.example/callback", "https://app.example/callback?x=1", False),
        ("https://app.example/callback", "https://app.example.evil/callback", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:53124/callback", True),  # RFC 8252 §7.3
        ("http://127.0.0.1:8000/callback", "http://127.0.0.1:9999/callback", True),
        ("http://127.0.0.1/callback", "http://127.0.0.1:53124/other", False),
        ("http://127.0.0.1/callback", "http://localhost:53124/callback", False),  # host must match
        ("http://127.0.0.1/callback", "http://127.0.0.1:53124/callback?x=1", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:bad/callback", False),
        ("http://127.0.0.1/callback", "http://evil@127.0.0.1:1/callback", False),
        ("http://127.0.0.1/callback", "https://127.0.0.1:1/callback", False),
    ],
)
def test_matching(registered: str, presented: str, expected: bool) -> None:
    assert rules.matches(registered, presented) is expected
