"""Health endpoints, and what the token endpoint says when the database is down (503, never 401)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from http_support import CLIENT_CREDENTIALS, INTROSPECT, TOKEN, assert_oauth_error, basic
from starlette.testclient import TestClient

from tokensmith.core import ids
from tokensmith.core import secrets as sf
from tokensmith.http.app import create_app
from tokensmith.storage.engine import create_database_engine


def closed_port_url() -> str:
    """A PostgreSQL URL on a 127.0.0.1 port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/tokensmith"


def assert_unavailable(response: Any) -> None:
    assert_oauth_error(response, 503, "temporarily_unavailable")
    assert int(response.headers["retry-after"]) >= 1


def test_healthz_and_readyz(client: Any) -> None:
    health = client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "up"})


@pytest.fixture
def down_client(settings_factory: Any, services_factory: Any) -> Iterator[TestClient]:
    """An app whose database (PostgreSQL on a closed port) has never been reachable."""
    settings = settings_factory(database_url=closed_port_url())
    svc = services_factory(settings, issuer=settings.issuer, run_migrations=False)
    with TestClient(create_app(settings, services=svc), base_url="http://testserver") as test_client:
        yield test_client


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_database_never_reachable(down_client: TestClient) -> None:
    client_id, secret = ids.new_client_id(), sf.generate("tss_")
    assert_unavailable(down_client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(client_id, secret)))
    assert_unavailable(
        down_client.post(TOKEN, data={**CLIENT_CREDENTIALS, "client_id": client_id, "client_secret": secret})
    )
    assert_unavailable(down_client.post(INTROSPECT, data={"token": "x"}, headers=basic(client_id, secret)))
    ready = down_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["retry-after"]
    assert down_client.get("/healthz").status_code == 200  # alive, just not ready
    # Garbage is still refused up front, without the database.
    assert_oauth_error(
        down_client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(client_id, "nope")),
        401,
        "invalid_client",
        basic_challenge=True,
    )


def test_database_going_down_under_a_running_app(
    client: Any, make_credential: Any, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cred = make_credential()
    auth = basic(cred.client_id, cred.client_secret)
    assert client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=auth).status_code == 200
    broken = create_database_engine(closed_port_url())
    monkeypatch.setattr(services.database, "engine", broken)
    try:
        for _ in range(3):  # and again: no cached "success" and no lockout
            assert_unavailable(client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=auth))
        assert_unavailable(
            client.post(
                "/api/oauth/token",
                data={**CLIENT_CREDENTIALS, "client_id": cred.client_id, "client_secret": cred.client_secret},
            )
        )
        assert client.get("/readyz").status_code == 503
    finally:
        broken.dispose()
    monkeypatch.undo()
    assert client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=auth).status_code == 200
