"""End-to-end fixtures: the real Tokensmith server (``live_server``) and the demo resource API, each
served by uvicorn on its own 127.0.0.1 port, talking to each other over real HTTP.

``demo_api(**verifier_options) -> DemoApi`` starts a demo API whose :class:`~tokensmith.verify.Verifier`
trusts the live server (issuer and audience: the server's URL) and introspects with a credential of
``org`` created through the services. Its clock is a :class:`~tokensmith.verify.testing.ManualClock`
started at the real time: a test steps it past a cache bound instead of sleeping.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
import pytest
import uvicorn

from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.demo import create_demo_app
from tokensmith.verify import Verifier
from tokensmith.verify.testing import ManualClock

if TYPE_CHECKING:  # the root conftest is imported by pytest as ``conftest``; only its types are needed
    from tests.conftest import LiveServer, MadeCredential


class Served(NamedTuple):
    url: str
    server: uvicorn.Server
    thread: threading.Thread


def serve_in_thread(app: Any, name: str) -> Served:
    """uvicorn serving ``app`` on a free 127.0.0.1 port in a daemon thread (lifespan run)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", loop="asyncio", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=name)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:  # readiness poll (not a timed assertion): uvicorn sets it once bound
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.005)
    return Served(url, server, thread)


class DemoApi(NamedTuple):
    url: str
    verifier: Verifier
    clock: ManualClock


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    """The Tokensmith server under test (``live_server``)."""
    return live_server


@pytest.fixture
def org(make_org: Callable[..., Organization]) -> Organization:
    """The organisation every object of an e2e test belongs to."""
    return make_org()


@pytest.fixture
def introspection_credential(
    make_credential: Callable[..., MadeCredential], org: Organization
) -> MadeCredential:
    """The demo API's own credential (RFC 7662 §2.1: the resource server authenticates to introspect)."""
    return make_credential(org=org, name="demo-api introspection")


@pytest.fixture
def demo_api(
    server: LiveServer, introspection_credential: MadeCredential
) -> Iterator[Callable[..., DemoApi]]:
    """``demo_api(strict=False, introspect=True, **verifier_options) -> DemoApi`` (stopped at teardown)."""
    running: list[Served] = []

    def start(*, introspect: bool = True, **options: Any) -> DemoApi:
        clock = ManualClock(time.time())
        if introspect:
            options.setdefault("introspection_client_id", introspection_credential.client_id)
            options.setdefault("introspection_client_secret", introspection_credential.client_secret)
        verifier = Verifier(server.url, server.url, clock=clock, **options)
        served = serve_in_thread(create_demo_app(verifier), "demo-api")
        running.append(served)
        return DemoApi(served.url, verifier, clock)

    yield start
    for served in reversed(running):
        served.server.should_exit = True
        served.thread.join(timeout=15)


@pytest.fixture
def make_member(server: LiveServer, org: Organization) -> Callable[[], str]:
    """``make_member() -> user id``: a new member of ``org``."""
    counter = iter(range(1_000_000))

    def make() -> str:
        email = f"member-{next(counter)}-{time.monotonic_ns()}@example.test"
        return server.services.organizations.create_user(
            Actor.system(), email, org_id=org.id, role=Role.MEMBER
        ).id

    return make


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain client for the calls a test makes by hand."""
    with httpx.Client(timeout=10) as client:
        yield client
