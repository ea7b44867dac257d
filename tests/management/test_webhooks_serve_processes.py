"""Webhooks with real ``tokensmith serve`` processes on one database (SQLite and PostgreSQL): the
background sender of two processes delivers each event once, and stopping every process in the
middle of retries loses nothing — a new process finishes them, with the same ``webhook-id``s."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TypedDict

import pytest

from tests.live_serve import ServeProcesses
from tests.webhook_receiver import WebhookReceiver
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind, Organization
from tokensmith.services.container import Services
from tokensmith.settings import Settings

SYSTEM = Actor.system()
ISSUER = "http://tokensmith.test"


class SenderEnv(TypedDict, total=False):
    """The settings of the sending processes (``TOKENSMITH_`` + upper case)."""

    issuer: str
    webhook_allow_private_addresses: str
    webhook_poll_seconds: str
    webhook_retry_base_seconds: str
    webhook_retry_max_seconds: str


SENDER = SenderEnv(issuer=ISSUER, webhook_allow_private_addresses="true", webhook_poll_seconds="0.2")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def services(settings: Settings, services_factory: Callable[..., Services]) -> Services:
    """The test's own services on the processes' database, allowed to register a local receiver."""
    return services_factory(settings.model_copy(update={"webhook_allow_private_addresses": True}))


def queue_events(services: Services, org: Organization, count: int) -> None:
    for number in range(count):
        services.credentials.create(
            SYSTEM, org_id=org.id, name=f"c{number}", kind=CredentialKind.ORGANIZATION
        )


def queued_ids(services: Services, org: Organization, endpoint_id: str) -> set[str]:
    return {d.id for d in services.webhooks.deliveries(SYSTEM, org.id, endpoint_id, limit=200)}


def test_two_processes_deliver_each_event_once(
    serve_processes: ServeProcesses,
    services: Services,
    make_org: Callable[..., Organization],
    receiver: WebhookReceiver,
) -> None:
    org = make_org()
    created = services.webhooks.create(SYSTEM, org.id, url=receiver.url, events="credential.created")
    receiver.set_secret(created.secret)
    first = serve_processes.launch(**SENDER)
    second = serve_processes.launch(**SENDER)
    serve_processes.wait_ready(first)
    serve_processes.wait_ready(second)
    queue_events(services, org, 20)

    delivered = receiver.wait_for(20, seconds=60)
    time.sleep(1.0)  # a duplicate would arrive meanwhile
    ids = [r.id for r in receiver.received]
    assert len(ids) == 20 and len(set(ids)) == 20, Counter(ids).most_common(3)
    assert set(ids) == queued_ids(services, org, created.endpoint.id)
    assert {r.type for r in delivered} == {"credential.created"}
    assert receiver.rejected == []


def test_stopping_every_process_mid_retries_loses_and_duplicates_nothing(
    serve_processes: ServeProcesses,
    services: Services,
    make_org: Callable[..., Organization],
    receiver: WebhookReceiver,
) -> None:
    org = make_org()
    created = services.webhooks.create(SYSTEM, org.id, url=receiver.url, events="credential.created")
    receiver.set_secret(created.secret)
    retrying = SenderEnv(**SENDER, webhook_retry_base_seconds="1", webhook_retry_max_seconds="2")
    receiver.fail_next(1000, status=503)  # every attempt fails until the restart
    first = serve_processes.start(**retrying)
    second = serve_processes.start(**retrying)
    queue_events(services, org, 6)
    deadline = time.monotonic() + 60
    while receiver.requests < 12 and time.monotonic() < deadline:  # each retried at least once, on average
        time.sleep(0.1)
    assert serve_processes.stop(first) == 0 and serve_processes.stop(second) == 0
    pending = services.webhooks.deliveries(SYSTEM, org.id, created.endpoint.id)
    assert len(pending) == 6 and {d.status for d in pending} == {"pending"}
    assert any(d.attempts >= 2 for d in pending)
    tried = {r.id for r in receiver.received}

    receiver.clear_failures()
    serve_processes.start(**retrying)
    delivered = receiver.wait_for(6, seconds=60)
    time.sleep(1.0)
    ok = Counter(r.id for r in delivered)
    assert set(ok) == {d.id for d in pending} and set(ok.values()) == {1}  # each once, none lost
    assert tried <= set(ok)  # retries before and after the restart carry the same ids
    assert receiver.rejected == []
