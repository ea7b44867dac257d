"""Failed bearer authentications on the management API count against the address (429 + Retry-After),
and the owner of a valid token elsewhere is unaffected."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tokensmith.core import secrets as sf
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.http.app import create_app

LIMIT = 3


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_failed_bearer_attempts_are_rate_limited_per_address(
    settings_factory: Any, services_factory: Any, make_org: Any
) -> None:
    settings = settings_factory(auth_failures_per_minute=LIMIT, trust_forwarded_for=True)
    services = services_factory(settings, issuer=settings.issuer)
    org = make_org()
    user = services.organizations.create_user(
        Actor.system(), "owner@example.test", org_id=org.id, role=Role.OWNER
    )
    good = services.personal_tokens.create(
        Actor.system(), name="ci", scopes=["tokens:read"], org_id=org.id, user_id=user.id
    ).plain
    with TestClient(create_app(settings, services=services)) as client:

        def get(token: str, address: str) -> Any:
            return client.get(
                "/api/tokens", headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": address}
            )

        statuses = [get(sf.generate("tsp_"), "198.51.100.7").status_code for _ in range(LIMIT + 1)]
        assert statuses[:LIMIT] == [401] * LIMIT
        limited = get(good, "198.51.100.7")
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert get(good, "198.51.100.8").status_code == 200
