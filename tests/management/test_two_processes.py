"""Revocation is immediate in every server process (two real ``tokensmith serve`` processes on one
PostgreSQL database), and seed 002's curl works as written (host changed)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings

SYSTEM = Actor.system()
TOKENSMITH = str(Path(sys.executable).with_name("tokensmith"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Start ``tokensmith serve`` subprocesses on this test's database; each call returns a base URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> str:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENSMITH_")}
        env.update(
            TOKENSMITH_DATABASE_URL=settings.database_url,
            TOKENSMITH_SECRET_KEY=settings.secret_key,
            TOKENSMITH_KEY_PUBLISH_DELAY_SECONDS="0",
            # One issuer for the whole deployment, as behind a load balancer.
            TOKENSMITH_ISSUER="http://tokensmith.test",
        )
        log = (tmp_path / f"serve-{port}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [TOKENSMITH, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"tokensmith serve exited {process.returncode}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("tokensmith serve did not start")

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_revocation_through_one_process_is_refused_by_the_other_at_once(
    serve: Callable[[], str], services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    user = services.organizations.create_user(SYSTEM, "two@example.test", org_id=org.id, role=Role.MEMBER)
    created = services.personal_tokens.create(
        SYSTEM, name="both", scopes=["tokens:read", "tokens:write"], org_id=org.id, user_id=user.id
    )
    bearer = {"Authorization": f"Bearer {created.plain}"}
    first, second = serve(), serve()
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
