"""Graceful shutdown of ``tokensmith serve``: SIGTERM stops accepting, lets the
request in flight finish, flushes last-used times and exits 0 — with ``--workers N`` too — and
``TOKENSMITH_SHUTDOWN_GRACE_SECONDS`` bounds how long a request that never finishes is waited for."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.live_serve import Served, ServeProcesses, headers_of, read_response, read_until_closed, status_of
from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings
from tokensmith.storage import tables
from tokensmith.storage.engine import create_database_engine

SYSTEM = Actor.system()


def _personal_token(services: Services, org: Organization) -> tuple[str, str]:
    user = services.organizations.create_user(
        SYSTEM, f"shutdown-{time.monotonic_ns()}@example.test", org_id=org.id, role=Role.MEMBER
    )
    created = services.personal_tokens.create(
        SYSTEM, name="shutdown", scopes=["tokens:read", "tokens:write"], org_id=org.id, user_id=user.id
    )
    return created.token.id, created.plain


def _last_used(database_url: str, token_id: str) -> object:
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(tables.personal_tokens.c.last_used_at).where(
                    tables.personal_tokens.c.id == token_id
                )
            ).scalar_one()
    finally:
        engine.dispose()


def _refuses_connections(served: Served) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", served.port), timeout=2):
            return False
    except OSError:
        return True


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_finishes_the_request_in_flight_flushes_and_exits_0(
    serve_processes: ServeProcesses,
    services: Services,
    settings: Settings,
    make_org: Callable[..., Organization],
    workers: int,
) -> None:
    token_id, plain = _personal_token(services, make_org())
    served = serve_processes.start(workers=workers, shutdown_grace_seconds="30")
    body = json.dumps({"name": "made during shutdown", "scopes": ["tokens:read"]}).encode()
    head = (
        "POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {plain}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with served.connect() as in_flight:
        in_flight.sendall(head + body[:10])  # the request has begun; its body is not all there
        time.sleep(1)
        served.process.send_signal(signal.SIGTERM)
        assert _wait_until(lambda: _refuses_connections(served), 20), "still accepting after SIGTERM"
        assert served.process.poll() is None  # waiting for the request in flight
        in_flight.sendall(body[10:])
        response = read_response(in_flight, 20)
        assert status_of(response) == 201, response
        assert headers_of(response)["connection"] == "close"  # no next request on this one
        assert read_until_closed(in_flight, 20) == b""
    assert served.process.wait(timeout=60) == 0, served.output()
    assert _last_used(settings.database_url, token_id) is not None, "last-used time lost at shutdown"
    assert "Traceback" not in served.output()


def test_a_request_that_never_finishes_is_bounded_by_the_grace_period(
    serve_processes: ServeProcesses,
) -> None:
    grace = 2
    served = serve_processes.start(shutdown_grace_seconds=str(grace), body_timeout_seconds="600")
    with served.connect() as stuck:
        stuck.sendall(
            b"POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        time.sleep(1)
        started = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=10 * grace + 20) == 0, served.output()
        assert time.monotonic() - started < 10 * grace + 20
        read_until_closed(stuck, 10)  # the connection is gone with the process
    assert "timeout graceful shutdown exceeded" in served.output()


def test_an_idle_server_stops_at_once_on_sigterm(serve_processes: ServeProcesses) -> None:
    served = serve_processes.start(keep_alive_timeout_seconds="60", header_timeout_seconds="60")
    with served.connect() as idle:  # an idle keep-alive connection does not hold the shutdown up
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert status_of(read_response(idle, 10)) == 200
        served.process.send_signal(signal.SIGTERM)
        assert read_until_closed(idle, 20) == b""
    assert served.process.wait(timeout=30) == 0, served.output()
