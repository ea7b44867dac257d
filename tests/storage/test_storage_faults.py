"""Every database wait is bounded: faults injected by a TCP proxy of the test's own
(``tests/faultproxy.py``) between a live Tokensmith and PostgreSQL, and a SQLite lock held by
another connection.

Each request below needs the database: a credential or personal token created just before the
fault and first used after it (an in-memory lookup cache may legitimately answer a credential it
already holds until it notices its invalidation channel is lost), a management list, and
``/readyz``. The time bounds are liveness bounds (the default timeout is 5 s; "< 10 s" means "did
not hang"), not performance assertions.
"""

from __future__ import annotations

import base64
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.faultproxy import FaultProxy
from tokensmith.core.actors import Actor
from tokensmith.core.errors import StorageUnavailable
from tokensmith.core.records import CredentialKind
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

SYSTEM = Actor.system()
#: "Answered, did not hang" (the database timeout is 5 s).
LIVENESS_BOUND_SECONDS = 10.0


@pytest.fixture
def proxy(database_url: str) -> Iterator[FaultProxy]:
    url = make_url(database_url)
    with FaultProxy((url.host or "127.0.0.1", url.port or 5432)) as running:
        yield running


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


class Probes:
    """Four requests that each need the database, made against ``url``."""

    def __init__(self, url: str, services: Any, log_guard: Any) -> None:
        self.url = url
        org = services.organizations.create(SYSTEM, f"faults-{uuid.uuid4().hex[:8]}")
        user = services.organizations.create_user(
            SYSTEM, f"faults-{uuid.uuid4().hex[:8]}@example.test", org_id=org.id, role=Role.ADMIN
        )
        org_kind = CredentialKind.ORGANIZATION
        token = services.credentials.create(SYSTEM, org_id=org.id, name="token", kind=org_kind)
        introspector = services.credentials.create(SYSTEM, org_id=org.id, name="introspector", kind=org_kind)
        personal = services.personal_tokens.create(
            SYSTEM, name="lister", scopes=["tokens:read", "tokens:write"], org_id=org.id, user_id=user.id
        )
        for created in (token, introspector):
            log_guard.remember_basic(created.credential.client_id, created.client_secret)
        self.token_auth = _basic(token.credential.client_id, token.client_secret)
        self.introspect_auth = _basic(introspector.credential.client_id, introspector.client_secret)
        self.bearer = {"Authorization": f"Bearer {personal.plain}"}

    def requests(self) -> dict[str, Callable[[httpx.Client], httpx.Response]]:
        return {
            "token": lambda http: http.post(
                self.url + "/oauth2/token", data={"grant_type": "client_credentials"}, headers=self.token_auth
            ),
            "introspect": lambda http: http.post(
                self.url + "/oauth2/introspect", data={"token": "tsa_unknown"}, headers=self.introspect_auth
            ),
            "list tokens": lambda http: http.get(self.url + "/api/tokens", headers=self.bearer),
            "readyz": lambda http: http.get(self.url + "/readyz"),
        }

    def all_at_once(self) -> dict[str, tuple[httpx.Response, float]]:
        """Every probe concurrently: ``{name: (response, seconds)}``."""

        def timed(call: Callable[[httpx.Client], httpx.Response]) -> tuple[httpx.Response, float]:
            with httpx.Client(timeout=60) as http:
                started = time.monotonic()
                response = call(http)
                return response, time.monotonic() - started

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {name: pool.submit(timed, call) for name, call in self.requests().items()}
            return {name: future.result() for name, future in futures.items()}


def assert_unavailable(name: str, response: httpx.Response, seconds: float) -> None:
    assert seconds < LIVENESS_BOUND_SECONDS, f"{name} took {seconds:.1f} s"
    assert response.status_code == 503, (name, response.status_code, response.text)
    assert int(response.headers["Retry-After"]) > 0, name
    body = response.json()
    if name in ("token", "introspect"):
        assert body["error"] == "temporarily_unavailable", name  # RFC 6749 §5.2 / §4.1.2.1
        assert response.headers["Cache-Control"] == "no-store"
    elif name == "list tokens":
        assert response.headers["Content-Type"] == "application/problem+json"
        assert (body["status"], body["code"]) == (503, "unavailable")
    else:
        assert body["database"] == "down"


def assert_all_answer(probes: Probes) -> None:
    with httpx.Client(timeout=60) as http:
        for name, call in probes.requests().items():
            response = call(http)
            assert response.status_code == 200, (name, response.status_code, response.text)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.log_guard_ignore("tokensmith.http")
def test_a_cut_database_answers_503_at_once_and_service_resumes_after_restore(
    proxy: FaultProxy, database_url: str, live_server_factory: Any, log_guard: Any
) -> None:
    server = live_server_factory(database_url=proxy.url_for(database_url))
    with httpx.Client(timeout=30) as http:  # a pooled connection exists before the fault
        assert http.get(server.url + "/readyz").status_code == 200
    probes = Probes(server.url, server.services, log_guard)
    proxy.cut()
    for name, (response, seconds) in probes.all_at_once().items():
        assert_unavailable(name, response, seconds)
    proxy.restore()
    assert_all_answer(probes)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.log_guard_ignore("tokensmith.http")
def test_a_silent_database_answers_503_within_the_timeout_and_service_resumes_after_restore(
    proxy: FaultProxy, database_url: str, live_server_factory: Any, log_guard: Any
) -> None:
    server = live_server_factory(database_url=proxy.url_for(database_url))
    probes = Probes(server.url, server.services, log_guard)
    with httpx.Client(timeout=30) as http:  # pooled connections exist before the fault
        assert http.get(server.url + "/readyz").status_code == 200
    pooled = proxy.connections
    assert pooled >= 1
    proxy.blackhole()
    for name, (response, seconds) in probes.all_at_once().items():
        assert_unavailable(name, response, seconds)
    # Again, while still silent: stalled calls did not use up the pool or the threads.
    for name, (response, seconds) in probes.all_at_once().items():
        assert_unavailable(name, response, seconds)
    proxy.restore()
    assert_all_answer(probes)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.log_guard_ignore("tokensmith.http")
def test_after_a_database_restart_the_stale_pool_costs_at_most_one_503(
    proxy: FaultProxy, database_url: str, live_server_factory: Any, log_guard: Any
) -> None:
    """No pre-ping on checkout: the first statement on a stale connection fails as a
    disconnect, SQLAlchemy drops the whole pool, and the next request reconnects."""
    server = live_server_factory(database_url=proxy.url_for(database_url))
    probes = Probes(server.url, server.services, log_guard)
    with httpx.Client(timeout=30) as http:
        for _ in range(3):
            assert http.get(server.url + "/readyz").status_code == 200
        proxy.cut()  # every pooled connection is reset while idle, as by a restart
        proxy.restore()
        first = http.get(server.url + "/api/tokens", headers=probes.bearer)
        assert first.status_code in (200, 503), first.text
        if first.status_code == 503:
            assert int(first.headers["Retry-After"]) > 0
    assert_all_answer(probes)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.log_guard_ignore("tokensmith.http")
def test_a_sqlite_write_waiting_for_another_process_lock_is_a_short_wait_then_503(
    database_url: str, live_server_factory: Any, log_guard: Any
) -> None:
    server = live_server_factory(database_timeout_seconds=0.5)
    probes = Probes(server.url, server.services, log_guard)
    create = {"name": "blocked", "scopes": ["tokens:read"]}
    other_process = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    try:
        other_process.execute("BEGIN IMMEDIATE")  # holds the write lock
        with httpx.Client(timeout=60) as http:
            started = time.monotonic()
            response = http.post(server.url + "/api/tokens", json=create, headers=probes.bearer)
            seconds = time.monotonic() - started
            assert seconds < LIVENESS_BOUND_SECONDS
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "unavailable"
            assert int(response.headers["Retry-After"]) > 0
            other_process.execute("ROLLBACK")
            created = http.post(server.url + "/api/tokens", json=create, headers=probes.bearer)
            assert created.status_code == 201, created.text
    finally:
        other_process.close()


def test_a_connection_lost_mid_transaction_is_storage_unavailable_not_a_pending_rollback(
    services: Services,
) -> None:
    """When the driver loses the connection inside a transaction, SQLAlchemy invalidates it and any
    further use raises ``PendingRollbackError``; the unit of work must still report the disconnect
    (503), not that follow-on error (a 500, seen on ``/readyz`` while the proxy cut the link)."""
    with pytest.raises(StorageUnavailable), services.database.transaction() as connection:
        connection.invalidate()
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))
    services.database.ping()  # the pool hands out a sound connection afterwards
