"""The demo API in-process, its verifier backed by a fake issuer on a mock transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tokensmith.demo import create_demo_app
from tokensmith.verify.testing import FakeIssuer


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def api(issuer: FakeIssuer) -> Iterator[TestClient]:
    client_id, secret = issuer.introspection_client
    verifier = issuer.verifier(introspection_client_id=client_id, introspection_client_secret=secret)
    with TestClient(create_demo_app(verifier)) as client:
        yield client


@pytest.fixture
def auth(issuer: FakeIssuer) -> Callable[..., dict[str, str]]:
    """Headers with a freshly minted token: ``auth("project:read", org_id="org_2", kind="user")``."""

    def headers(scopes: str = "", **options: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.mint(scopes=scopes, **options)}"}  # type: ignore[arg-type]

    return headers
