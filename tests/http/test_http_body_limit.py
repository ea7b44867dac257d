"""The body caps of :mod:`tokensmith.http.body_limit` in the real app (its routes, its error
renderers), also where the OAuth endpoints are served through the middleware stack (access log on)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.http_support import SQLITE_ONLY
from tokensmith.http.app import create_app
from tokensmith.services.container import Services
from tokensmith.settings import Settings

pytestmark = SQLITE_ONLY
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(params=[False, True], ids=["fast-path", "access-log"])
def http(
    request: pytest.FixtureRequest,
    settings_factory: Callable[..., Settings],
    services_factory: Callable[..., Services],
) -> Iterator[TestClient]:
    settings = settings_factory(access_log=request.param, max_api_body_bytes=2048)
    app = create_app(settings, services=services_factory(settings, issuer=settings.issuer))
    with TestClient(app, base_url=settings.issuer) as client:
        yield client


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 1024):
        yield b"a" * 1024


def test_oauth_bodies_over_the_cap_are_413_invalid_request(http: TestClient) -> None:
    declared = http.post("/oauth2/token", content=b"a" * (16 * 1024 + 1), headers=FORM)
    streamed = http.post("/oauth2/token", content=_chunks(64 * 1024), headers=FORM)
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.json() == {
            "error": "invalid_request",
            "error_description": "The request body exceeds 16384 bytes.",
        }
        assert response.headers["cache-control"] == "no-store"


def test_management_bodies_over_the_cap_are_413_problems_before_authentication(http: TestClient) -> None:
    declared = http.post("/api/tokens", content=b"{" * 2049, headers={"Content-Type": "application/json"})
    streamed = http.post(
        "/api/tokens", content=_chunks(8 * 1024), headers={"Content-Type": "application/json"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["connection"] == "close"
        assert response.json()["code"] == "payload_too_large"
        assert "www-authenticate" not in response.headers
    within = http.post("/api/tokens", json={"name": "x" * 1000})
    assert within.status_code == 401 and within.json()["code"] == "unauthenticated"


def test_dashboard_forms_over_the_cap_are_413(http: TestClient) -> None:
    origin: dict[str, Any] = {"Origin": str(http.base_url).rstrip("/"), **FORM}
    response = http.post("/sign-in", content=_chunks(512 * 1024), headers=origin)
    assert response.status_code == 413
    assert response.text == "The request body is too large."
