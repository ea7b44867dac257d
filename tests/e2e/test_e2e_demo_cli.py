"""``tokensmith demo-api``: the command serves the demo API against a live server; bad flag sets fail."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from typer.testing import CliRunner

from tests.live_serve import free_port
from tokensmith.cli.main import app
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization

if TYPE_CHECKING:
    from tests.conftest import LiveServer, MadeCredential

#: The command is what is under test here; one database backend is enough.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def start_demo_cli(
    server: LiveServer, introspection_credential: MadeCredential
) -> Iterator[Callable[..., str]]:
    """``start_demo_cli(*flags) -> base URL``: ``tokensmith demo-api`` as a subprocess, stopped after."""
    processes: list[subprocess.Popen[str]] = []

    def start(*flags: str) -> str:
        port = free_port()
        env = {**os.environ, "TOKENSMITH_INTROSPECTION_CLIENT_SECRET": introspection_credential.client_secret}
        process = subprocess.Popen(  # noqa: S603
            [
                _tokensmith(),
                "demo-api",
                "--issuer",
                server.url,
                "--audience",
                server.url,
                "--port",
                str(port),
                "--introspection-client-id",
                introspection_credential.client_id,
                *flags,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:  # readiness poll: the port answers once uvicorn is up
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                return url
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"demo-api did not start: {process.communicate()[1][-2000:]}"
                    ) from None
                time.sleep(0.05)

    yield start
    for process in processes:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _tokensmith() -> str:
    return os.path.join(os.path.dirname(sys.executable), "tokensmith")


@sqlite_only
@pytest.mark.parametrize("strict", [False, True])
def test_demo_api_command_serves_against_the_live_server(
    strict: bool,
    server: LiveServer,
    start_demo_cli: Callable[..., str],
    make_credential: Callable[..., MadeCredential],
    org: Organization,
) -> None:
    url = start_demo_cli(*(["--strict"] if strict else []))
    credential = make_credential(org=org, scopes=["project:read"])
    token_response = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "project:read"},
        auth=(credential.client_id, credential.client_secret),
        timeout=10,
    )
    token = token_response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        httpx.get(f"{url}/api/whoami", headers=headers, timeout=10).json()["subject"] == credential.client_id
    )
    # Revoked: only the strict command sees it (this process has never cached the answer of a new token).
    revoked = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "project:read"},
        auth=(credential.client_id, credential.client_secret),
        timeout=10,
    ).json()["access_token"]
    response = httpx.post(
        f"{server.url}/oauth2/revoke",
        data={"token": revoked},
        auth=(credential.client_id, credential.client_secret),
        timeout=10,
    )
    assert response.status_code == 200
    answer = httpx.get(f"{url}/api/projects", headers={"Authorization": f"Bearer {revoked}"}, timeout=10)
    assert answer.status_code == (401 if strict else 200)


@sqlite_only
def test_demo_api_command_takes_personal_tokens_through_introspection(
    server: LiveServer, start_demo_cli: Callable[..., str], make_member: Callable[[], str], org: Organization
) -> None:
    url = start_demo_cli()
    user_id = make_member()
    created = server.services.personal_tokens.create(
        Actor.system(), name="cli", scopes=["voice:read"], org_id=org.id, user_id=user_id
    )
    answer = httpx.get(f"{url}/api/voices", headers={"Authorization": f"Bearer {created.plain}"}, timeout=10)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--introspection-client-id", "abc"], "give both --introspection-client-id"),
        (["--introspection-client-secret", "tss_x"], "give both --introspection-client-id"),
        (["--strict"], "--strict introspects every JWT"),
    ],
)
def test_demo_api_command_refuses_incomplete_introspection_settings(
    flags: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("must not serve")

    monkeypatch.setattr(uvicorn, "run", never)
    result = CliRunner().invoke(
        app, ["demo-api", "--issuer", "http://127.0.0.1:1", "--audience", "http://127.0.0.1:1", *flags]
    )
    assert result.exit_code == 1
    assert message in result.output
