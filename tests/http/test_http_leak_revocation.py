"""``POST /api/credentials/revoke-leaked`` over real HTTP, on SQLite and PostgreSQL: real secrets
mixed into 1,000 strings stop working at once (client secret, personal access token, opaque
access token), the credential itself stays, each revocation is audited with its source and
announced to the organisation's webhook, and the answer never differs with what matched."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import LiveServer
from tests.webhook_receiver import WebhookReceiver
from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind, Organization, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.storage.tables import audit_events

SYSTEM = Actor.system()
REVOKE = "/api/credentials/revoke-leaked"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    return live_server_factory(webhook_allow_private_addresses=True, webhook_poll_seconds=0.1)


class Secrets:
    """Live secrets of one organisation: a client secret, a personal token, an opaque access token."""

    def __init__(self, services: Services, org: Organization, url: str) -> None:
        self.owner = services.organizations.create_user(
            SYSTEM, f"owner-{uuid.uuid4().hex[:10]}@example.test", org_id=org.id, role=Role.MEMBER
        )
        self.credential = services.credentials.create(
            SYSTEM, org_id=org.id, name="leaky", kind=CredentialKind.ORGANIZATION
        )
        opaque = services.credentials.create(
            SYSTEM,
            org_id=org.id,
            name="opaque",
            kind=CredentialKind.ORGANIZATION,
            token_format=TokenFormat.OPAQUE,
        )
        self.opaque_client = opaque
        self.pat = services.personal_tokens.create(
            SYSTEM, name="leaked pat", scopes=["tokens:read"], org_id=org.id, user_id=self.owner.id
        )
        answer = httpx.post(
            url + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(opaque.credential.client_id, opaque.client_secret),
        )
        assert answer.status_code == 200, answer.text
        self.access_token: str = answer.json()["access_token"]
        self.url = url

    @property
    def values(self) -> list[str]:
        return [self.credential.client_secret, self.pat.plain, self.access_token]

    def client_works(self) -> bool:
        answer = httpx.post(
            self.url + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(self.credential.credential.client_id, self.credential.client_secret),
        )
        assert answer.status_code in (200, 401), answer.text
        return answer.status_code == 200

    def pat_works(self) -> bool:
        answer = httpx.get(self.url + "/api/tokens", headers={"Authorization": f"Bearer {self.pat.plain}"})
        assert answer.status_code in (200, 401), answer.text
        return answer.status_code == 200

    def access_token_works(self) -> bool:
        answer = httpx.post(
            self.url + "/oauth2/introspect",
            data={"token": self.access_token},
            auth=(self.opaque_client.credential.client_id, self.opaque_client.client_secret),
        )
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["active"])


def look_alikes(services: Services, count: int) -> list[str]:
    """Well-formed strings of every prefix (checksums valid) that match nothing, and garbage."""
    settings = services.settings
    prefixes = [settings.client_secret_prefix, settings.personal_token_prefix, settings.opaque_token_prefix]
    fakes = [secret_format.generate(prefixes[i % 3]) for i in range(count - count // 4)]
    return fakes + [f"not-a-secret-{i}" for i in range(count // 4)]


def report(server: LiveServer, strings: list[str], source: str = "scanner-test") -> httpx.Response:
    return httpx.post(server.url + REVOKE, params={"source": source}, json=strings, timeout=60)


def leak_events(services: Services, org: Organization) -> list[dict[str, Any]]:
    with services.database.transaction() as connection:
        rows = connection.execute(
            select(audit_events.c.target_kind, audit_events.c.details).where(
                audit_events.c.org_id == org.id, audit_events.c.action == "secret.leak_revoked"
            )
        ).all()
    return [{"target_kind": kind, **details} for kind, details in rows]


def test_real_secrets_among_a_thousand_strings_stop_working_at_once(
    server: LiveServer, receiver: WebhookReceiver
) -> None:
    services = server.services
    org = services.organizations.create(SYSTEM, "leaky-org")
    hook = services.webhooks.create(SYSTEM, org.id, url=receiver.url, events="secret.leak_revoked")
    receiver.set_secret(hook.secret)
    found = Secrets(services, org, server.url)
    assert found.client_works() and found.pat_works() and found.access_token_works()
    strings = look_alikes(services, 997)
    for position, value in zip((3, 500, 996), found.values, strict=True):
        strings.insert(position, value)
    assert len(strings) == 1000

    answer = report(server, strings, source="https://github.com/acme/app/blob/main/.env")

    assert (answer.status_code, answer.json()) == (202, {"received": 1000})
    assert not found.client_works()
    assert not found.pat_works()
    assert not found.access_token_works()
    # The credential stays (its secret is disabled), and a regenerated secret works again.
    credential = services.credentials.get(SYSTEM, found.credential.credential.id)
    assert credential.secret_hint == "(disabled: leaked)"
    events = leak_events(services, org)
    assert sorted(e["kind"] for e in events) == ["access_token", "client_secret", "personal_token"]
    assert {e["source"] for e in events} == {"https://github.com/acme/app/blob/main/.env"}
    assert [e["owner_user_id"] for e in events if e["kind"] == "personal_token"] == [found.owner.id]
    for value in found.values:
        assert all(value not in str(e) for e in events)
    # The organisation's webhook hears of each, signed (the receiver verifies every request).
    delivered = receiver.wait_for(3)
    assert {r.type for r in delivered} == {"secret.leak_revoked"}
    assert sorted(r.payload["data"]["details"]["kind"] for r in delivered) == sorted(
        e["kind"] for e in events
    )
    assert receiver.rejected == []
    again = services.credentials.regenerate(SYSTEM, found.credential.credential.id)
    assert (
        httpx.post(
            server.url + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(found.credential.credential.client_id, again.client_secret),
        ).status_code
        == 200
    )


def test_the_answer_is_the_same_whatever_matched(server: LiveServer) -> None:
    services = server.services
    org = services.organizations.create(SYSTEM, "same-answer")
    found = Secrets(services, org, server.url)
    with_matches = report(server, look_alikes(services, 997) + found.values)
    without = report(server, look_alikes(services, 1000))
    replayed = report(server, look_alikes(services, 997) + found.values)  # already revoked now

    answers = [with_matches, without, replayed]
    assert {a.status_code for a in answers} == {202}
    assert {a.content for a in answers} == {b'{"received":1000}'}
    shown = [
        {k: v for k, v in a.headers.items() if k.lower() not in ("date", "content-length")} for a in answers
    ]
    assert shown[0] == shown[1] == shown[2]
    assert not found.client_works()


def test_matches_do_not_show_in_the_time_taken(server: LiveServer) -> None:
    """Every string is hashed and looked up in the same few queries, matched or not: a report with
    three live secrets takes about as long as one with none (medians of several runs)."""
    services = server.services
    org = services.organizations.create(SYSTEM, "timing")
    matched: list[float] = []
    unmatched: list[float] = []
    for _ in range(4):
        found = Secrets(services, org, server.url)
        for strings, times in (
            (look_alikes(services, 997) + found.values, matched),
            (look_alikes(services, 1000), unmatched),
        ):
            started = time.perf_counter()
            assert report(server, strings).status_code == 202
            times.append(time.perf_counter() - started)
    assert statistics.median(matched) < 2 * statistics.median(unmatched) + 0.05


def test_a_leaked_grace_secret_dies_alone_and_a_leaked_current_one_takes_the_grace_one_with_it(
    server: LiveServer,
) -> None:
    services = server.services
    org = services.organizations.create(SYSTEM, "grace")

    def works(client_id: str, secret: str) -> bool:
        answer = httpx.post(
            server.url + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        return answer.status_code == 200

    first = services.credentials.create(SYSTEM, org_id=org.id, name="g", kind=CredentialKind.ORGANIZATION)
    client_id = first.credential.client_id
    second = services.credentials.regenerate(SYSTEM, client_id, grace_seconds=3600)
    assert works(client_id, first.client_secret) and works(client_id, second.client_secret)
    assert report(server, [first.client_secret]).status_code == 202
    assert not works(client_id, first.client_secret)
    assert works(client_id, second.client_secret)

    third = services.credentials.regenerate(SYSTEM, client_id, grace_seconds=3600)
    assert report(server, [third.client_secret]).status_code == 202
    assert not works(client_id, third.client_secret)
    assert not works(client_id, second.client_secret)


def test_more_than_a_thousand_strings_or_not_a_list_of_strings_is_a_problem(server: LiveServer) -> None:
    too_many = report(server, [f"x{i}" for i in range(1001)])
    assert too_many.status_code == 413
    assert too_many.headers["content-type"].startswith("application/problem+json")
    assert too_many.json()["code"] == "payload_too_large"
    bodies: list[object] = [{"secrets": []}, [1, 2], "tss_abc"]
    for body in bodies:
        refused = httpx.post(server.url + REVOKE, json=body)
        assert refused.status_code == 400, body
        assert refused.json()["code"] == "validation_failed"


def test_a_deployment_can_turn_it_off(live_server_factory: Callable[..., LiveServer]) -> None:
    off = live_server_factory(leak_revocation_enabled=False)
    answer = httpx.post(off.url + REVOKE, json=["tss_x"])
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_reports_are_rate_limited_per_address(live_server_factory: Callable[..., LiveServer]) -> None:
    limited = live_server_factory(leak_revocation_per_minute=2)
    statuses = [httpx.post(limited.url + REVOKE, json=["x"]).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    refused = httpx.post(limited.url + REVOKE, json=["x"])
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
