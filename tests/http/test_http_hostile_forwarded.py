"""With ``TOKENSMITH_TRUST_FORWARDED_FOR`` the client address is the
entry the trusted proxies appended to ``X-Forwarded-For`` (``TOKENSMITH_FORWARDED_HOPS`` of them),
never one the client wrote — so rotating a spoofed left-most entry does not escape the
failed-authentication limit. Real app over HTTP (TestClient), SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, basic, unique_address
from tokensmith.core import secrets as sf
from tokensmith.http.app import create_app

LIMIT = 3


def _spoofed() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


@pytest.mark.parametrize("hops", [1, 2])
def test_a_rotating_spoofed_entry_does_not_escape_the_limit(
    settings_factory: Any, services_factory: Any, make_credential: Any, hops: int
) -> None:
    settings = settings_factory(auth_failures_per_minute=LIMIT, trust_forwarded_for=True, forwarded_hops=hops)
    services = services_factory(settings, issuer=settings.issuer)
    client_address = unique_address()
    proxies = [f"192.0.2.{n}" for n in range(1, hops)]  # what the inner proxies appended

    def forwarded() -> str:
        return ", ".join([_spoofed(), client_address, *proxies])  # the client wrote the first entry

    with TestClient(create_app(settings, services=services)) as client:
        statuses = [
            client.get(
                "/api/tokens",
                headers={"Authorization": f"Bearer {sf.generate('tsp_')}", "X-Forwarded-For": forwarded()},
            ).status_code
            for _ in range(LIMIT + 1)
        ]
        assert statuses == [401] * LIMIT + [429]
        # Another client behind the same proxies is not affected.
        other = ", ".join([unique_address(), *proxies])
        fresh = client.get("/api/tokens", headers={"Authorization": "Bearer x", "X-Forwarded-For": other})
        assert fresh.status_code == 401


def test_the_address_recorded_is_the_proxys_entry(
    settings_factory: Any, services_factory: Any, make_org: Any
) -> None:
    """The audit log records the address the trusted proxy saw, not the client's claim."""
    settings = settings_factory(trust_forwarded_for=True)
    services = services_factory(settings, issuer=settings.issuer)
    from tokensmith.core.actors import Actor
    from tokensmith.core.roles import Role
    from tokensmith.storage.repositories.audit import AuditRepository

    org = make_org()
    user = services.organizations.create_user(
        Actor.system(), "ip@example.test", org_id=org.id, role=Role.OWNER
    )
    pat = services.personal_tokens.create(
        Actor.system(), name="ip", scopes=["tokens:write"], org_id=org.id, user_id=user.id
    ).plain
    with TestClient(create_app(settings, services=services)) as client:
        response = client.post(
            "/api/tokens",
            json={"name": "n", "scopes": ["tokens:write"]},
            headers={"Authorization": f"Bearer {pat}", "X-Forwarded-For": "6.6.6.6, 203.0.113.50"},
        )
        assert response.status_code == 201, response.text
    with services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, action_prefix="personal_token.created")
    assert [e.ip for e in events if e.target_id == response.json()["id"]] == ["203.0.113.50"]


@pytest.mark.parametrize("header", ["", "not-an-ip", "203.0.113.5, garbage"])
def test_an_unusable_header_falls_back_to_the_peer(
    settings_factory: Any, services_factory: Any, header: str
) -> None:
    settings = settings_factory(auth_failures_per_minute=LIMIT, trust_forwarded_for=True, forwarded_hops=1)
    services = services_factory(settings, issuer=settings.issuer)
    with TestClient(create_app(settings, services=services)) as client:
        statuses = [
            client.post(
                TOKEN,
                data=CLIENT_CREDENTIALS,
                headers={
                    **basic(sf.generate("tss_")[:26].lower(), sf.generate("tss_")),
                    "X-Forwarded-For": header,
                },
            ).status_code
            for _ in range(LIMIT + 1)
        ]
        assert statuses == [401] * LIMIT + [429]  # every attempt counted against the one peer
