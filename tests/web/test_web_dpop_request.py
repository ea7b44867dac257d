"""The URIs a DPoP proof may name are the ones Starlette's ``request.url`` gives, for every
shape of ASGI scope, and a request without a proof builds none."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlunsplit

import pytest
from starlette.requests import Request

from tokensmith.web.dpop_request import dpop_request

ISSUER = "https://auth.example.test/"


def _scope(headers: list[tuple[bytes, bytes]], **parts: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "path": "/oauth2/token",
        "query_string": b"a=1",
        "headers": headers,
    }
    scope.update(parts)
    return scope


@pytest.mark.parametrize(
    ("headers", "parts"),
    [
        ([(b"host", b"auth.example.test")], {}),
        ([(b"host", b"auth.example.test:8443")], {"scheme": "https"}),
        ([], {}),
        ([], {"server": ("::1", 443), "scheme": "https"}),
        ([], {"server": ("10.0.0.1", 80)}),
        ([(b"host", b"bad host")], {}),
        ([(b"host", b"auth.example.test")], {"path": "/odd?path#x"}),
    ],
)
def test_the_reached_uri_is_starlettes(headers: list[tuple[bytes, bytes]], parts: dict[str, Any]) -> None:
    scope = _scope([*headers, (b"dpop", b"proof")], **parts)
    url = Request(scope).url.components
    made = dpop_request(Request(scope), ISSUER)
    assert made.proofs == ("proof",)
    assert made.method == "POST"
    assert made.uris == (
        ISSUER.rstrip("/") + url.path,
        urlunsplit((url.scheme, url.netloc, url.path, "", "")),
    )


def test_every_dpop_field_is_passed_on_and_none_means_no_uris() -> None:
    two = dpop_request(Request(_scope([(b"dpop", b"one"), (b"dpop", b"two")])), ISSUER)
    assert two.proofs == ("one", "two")
    none = dpop_request(Request(_scope([(b"host", b"auth.example.test")])), ISSUER, method="GET")
    assert (none.proofs, none.method, none.uris, none.present) == ((), "GET", (), False)
