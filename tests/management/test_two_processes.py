"""Revocation is immediate in every server process (two real ``tokensmith serve`` processes on one
PostgreSQL database), and seed 002's curl works as written (host changed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.live_serve import ServeProcesses
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

SYSTEM = Actor.system()
#: One issuer for the whole deployment, as behind a load balancer.
ISSUER = "http://tokensmith.test"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_revocation_through_one_process_is_refused_by_the_other_at_once(
    serve_processes: ServeProcesses, services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    user = services.organizations.create_user(SYSTEM, "two@example.test", org_id=org.id, role=Role.MEMBER)
    created = services.personal_tokens.create(
        SYSTEM, name="both", scopes=["tokens:read", "tokens:write"], org_id=org.id, user_id=user.id
    )
    bearer = {"Authorization": f"Bearer {created.plain}"}
    first = serve_processes.start(issuer=ISSUER).url
    second = serve_processes.start(issuer=ISSUER).url
    with httpx.Client(timeout=10) as http:
        exchanged = http.post(
            first + "/api/v0/login", headers=bearer, json={"grant_type": "refresh_token"}
        ).json()["access_token"]
        access = {"Authorization": f"Bearer {exchanged}"}
        for url in (first, second):
            assert http.get(url + "/api/tokens", headers=bearer).status_code == 200
            assert http.get(url + "/api/me", headers=access).status_code == 200
        assert http.delete(f"{first}/api/tokens/{created.token.id}", headers=bearer).status_code == 204
        for url in (second, first):
            refused = http.get(url + "/api/tokens", headers=bearer)
            assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
            assert http.get(url + "/api/me", headers=access).status_code == 401
            login = http.post(url + "/api/v0/login", headers=bearer, json={"grant_type": "refresh_token"})
            assert login.status_code == 400 and login.json()["error"] == "invalid_grant"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_002_login_curl_as_written(live_server: Any) -> None:
    services = live_server.services
    org = services.organizations.create(SYSTEM, "coactive-like")
    user = services.organizations.create_user(SYSTEM, "analyst@example.test", org_id=org.id, role=Role.MEMBER)
    services.policies.update(SYSTEM, org.id, {"pat_inactivity_days": 30, "pat_max_lifetime_days": 90})
    personal_token = services.personal_tokens.create(
        SYSTEM, name="PERSONAL_TOKEN", scopes=["api/access"], org_id=org.id, user_id=user.id
    ).plain
    # Seed 002, "Using a Personal Token (Recommended)", with only the host changed.
    command = f"""curl --request POST '{live_server.url}/api/v0/login' \\
 --header 'Authorization: Bearer {personal_token}' \\
 --header 'Content-Type: application/json' \\
 --data '{{"grant_type": "refresh_token"}}'"""
    # The seed's command, verbatim, through a shell.
    result = subprocess.run(["bash", "-c", command], capture_output=True, timeout=30, check=True)  # noqa: S603, S607
    body: dict[str, Any] = json.loads(result.stdout)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    access = body["access_token"]
    me = httpx.get(live_server.url + "/api/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200 and me.json()["user"]["email"] == "analyst@example.test"
