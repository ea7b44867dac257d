"""The FastAPI/Starlette integration answers exactly as RFC 6750 §3 says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tokensmith.verify import Principal
from tokensmith.verify.fastapi import install, require_scopes
from tokensmith.verify.testing import FakeIssuer

REALM = 'Bearer realm="demo"'


@pytest.fixture
def client(issuer: FakeIssuer) -> Iterator[TestClient]:
    app = FastAPI()
    install(app, issuer.verifier(), realm="demo")

    @app.get("/projects")
    async def projects(
        principal: Annotated[Principal, Depends(require_scopes("project:read"))],
    ) -> dict[str, Any]:
        return {"subject": principal.subject, "scopes": sorted(principal.scopes)}

    @app.get("/anyone")
    async def anyone(principal: Annotated[Principal, Depends(require_scopes())]) -> dict[str, Any]:
        return {"subject": principal.subject}

    with TestClient(app) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_valid_token(issuer: FakeIssuer, client: TestClient) -> None:
    response = client.get("/projects", headers=bearer(issuer.mint(scopes="project:read")))
    assert response.status_code == 200
    assert response.json() == {"subject": "abcdefghijklmnopqrstuvwxyz", "scopes": ["project:read"]}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_missing_token_has_no_error_code(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/projects", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "error": "missing_token",
        "error_description": "A bearer access token is required.",
    }


def test_invalid_token(issuer: FakeIssuer, client: TestClient) -> None:
    token = issuer.mint(claims={"exp": int(issuer.clock()) - 3600})
    response = client.get("/projects", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        REALM + ', error="invalid_token", error_description="The access token expired."'
    )
    assert response.json() == {"error": "invalid_token", "error_description": "The access token expired."}
    assert token not in response.text


def test_malformed_bearer_header(client: TestClient) -> None:
    response = client.get("/projects", headers={"Authorization": "Bearer"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_insufficient_scope(issuer: FakeIssuer, client: TestClient) -> None:
    response = client.get("/projects", headers=bearer(issuer.mint(scopes="voice:read")))
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        REALM + ', error="insufficient_scope", '
        'error_description="The request requires the scope(s): project:read.", scope="project:read"'
    )
    assert response.json()["error"] == "insufficient_scope"


def test_no_scope_required(issuer: FakeIssuer, client: TestClient) -> None:
    response = client.get("/anyone", headers=bearer(issuer.mint(scopes="")))
    assert response.status_code == 200


def test_issuer_down_is_503(issuer: FakeIssuer, client: TestClient) -> None:
    issuer.fail_with = 503
    response = client.get("/projects", headers=bearer(issuer.mint(scopes="project:read")))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "www-authenticate" not in response.headers
    assert response.json()["error"] == "temporarily_unavailable"


def test_openapi_declares_bearer_scheme(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["HTTPBearer"]["description"],
        }
    }
