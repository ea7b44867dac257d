"""Webhook deliveries on SQLite and PostgreSQL: Standard Webhooks signatures checked by the
``standardwebhooks`` library in a real receiver, the transactional outbox, retries with backoff
and a stable id, disabling a failing endpoint, give-up and replay, a process stopped mid-attempt,
two processes sending at once, and the SSRF guard at connect time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.webhook_receiver import WebhookReceiver
from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.errors import BadRequest
from tokensmith.core.records import CredentialKind, Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.services.webhook_delivery import WebhookDeliverer
from tokensmith.services.webhooks import CreatedWebhook, WebhookService
from tokensmith.settings import Settings
from tokensmith.storage.repositories.webhooks import WebhookRepository
from tokensmith.storage.tables import audit_events

SYSTEM = Actor.system()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def hook_settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory(
        webhook_allow_private_addresses=True,
        webhook_retry_base_seconds=10,
        webhook_retry_max_seconds=40,
        webhook_max_attempts=4,
        webhook_disable_after_failures=3,
        webhook_timeout_seconds=5,
    )


@pytest.fixture
def svc(hook_settings: Settings, services_factory: Callable[..., Services]) -> Services:
    return services_factory(hook_settings, issuer=hook_settings.issuer)


def hooks(services: Services) -> WebhookService:
    return services.webhooks


def deliverer(services: Services) -> WebhookDeliverer:
    return services.webhook_deliverer


def subscribe(
    services: Services, org: Organization, receiver: WebhookReceiver, events: str
) -> CreatedWebhook:
    created = hooks(services).create(SYSTEM, org.id, url=receiver.url, events=events)
    receiver.set_secret(created.secret)
    return created


def new_credential(services: Services, org: Organization) -> Any:
    return services.credentials.create(SYSTEM, org_id=org.id, name="ci", kind=CredentialKind.ORGANIZATION)


def actions(services: Services, org: Organization) -> list[tuple[str, dict[str, Any]]]:
    with services.database.transaction() as connection:
        rows = connection.execute(
            select(audit_events.c.action, audit_events.c.details)
            .where(audit_events.c.org_id == org.id)
            .order_by(audit_events.c.id)
        ).all()
    return [(str(a), dict(d)) for a, d in rows]


# -- signing and the outbox -------------------------------------------------------------------


def test_each_event_arrives_signed_once_and_carries_no_secret(
    svc: Services, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    created = subscribe(svc, org, receiver, "credential.created credential.regenerated credential.deleted")
    credential = new_credential(svc, org)
    regenerated = svc.credentials.regenerate(SYSTEM, credential.credential.id)
    svc.credentials.delete(SYSTEM, credential.credential.id)

    done = deliverer(svc).deliver_due()

    assert (done.delivered, done.failed) == (3, 0)
    got = receiver.delivered()
    assert receiver.rejected == []
    assert [r.type for r in got] == ["credential.created", "credential.regenerated", "credential.deleted"]
    assert len({r.id for r in got}) == 3 and all(r.id.startswith("msg_") for r in got)
    assert {r.payload["data"]["target"]["id"] for r in got} == {credential.credential.client_id}
    assert all(r.payload["data"]["org_id"] == org.id for r in got)
    for secret in (credential.client_secret, regenerated.client_secret, created.secret):
        assert all(secret not in str(r.payload) for r in got)
    listed = hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id)
    assert {d.id for d in listed} == {r.id for r in got}
    assert {d.status for d in listed} == {"delivered"}
    assert deliverer(svc).deliver_due().attempted == 0  # nothing left, nothing sent twice


def test_only_subscribed_events_of_the_endpoints_organisation_are_queued(
    svc: Services, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org, other = make_org(), make_org()
    subscribe(svc, org, receiver, "credential.deleted")
    new_credential(svc, org)  # credential.created: not chosen
    new_credential(svc, other)  # another organisation
    assert deliverer(svc).deliver_due().attempted == 0
    assert receiver.requests == 0


def test_a_rolled_back_change_queues_no_delivery(
    svc: Services, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    created = subscribe(svc, org, receiver, "credential.created")
    with pytest.raises(RuntimeError), svc.database.transaction() as connection:
        svc.audit.record(connection, SYSTEM, "credential.created", org_id=org.id, target_kind="credential")
        raise RuntimeError("the change fails after its audit event")
    assert hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id) == []


def test_member_role_change_and_token_revocation_are_events(
    svc: Services, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    subscribe(svc, org, receiver, "member.role_changed token.revoked")
    user = svc.organizations.create_user(SYSTEM, "role-change@example.test", org_id=org.id, role=Role.MEMBER)
    svc.members.set_role(SYSTEM, org.id, user.id, Role.ADMIN)
    token = svc.personal_tokens.create(
        SYSTEM, name="t", scopes=["api/access"], org_id=org.id, user_id=user.id
    )
    svc.personal_tokens.revoke(SYSTEM, token.token.id)
    deliverer(svc).deliver_due()
    got = {r.type: r.payload["data"] for r in receiver.delivered()}
    assert got["member.role_changed"]["details"] == {"old_role": "member", "role": "admin"}
    assert got["token.revoked"]["target"]["id"] == token.token.id
    assert token.plain not in str(got)


def test_personal_token_expiry_notices_are_events(
    svc: Services, clock: FrozenClock, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    created = subscribe(
        svc, org, receiver, "personal_token.expiring_7d personal_token.expiring_1d personal_token.expired"
    )
    user = svc.organizations.create_user(SYSTEM, "expiry@example.test", org_id=org.id, role=Role.MEMBER)
    token = svc.personal_tokens.create(
        SYSTEM, name="t", scopes=["api/access"], org_id=org.id, user_id=user.id, expires_in_days=10
    )
    queued: list[str] = []
    for days, expected in (
        (4, "personal_token.expiring_7d"),
        (5, "personal_token.expiring_1d"),
        (2, "personal_token.expired"),
    ):
        clock.advance(days=days)
        assert svc.personal_tokens.emit_expiry_notices() == 1
        assert svc.personal_tokens.emit_expiry_notices() == 0  # each notice once, whoever runs it
        deliveries = hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id)
        queued = [d.event_type for d in deliveries]
        assert queued[0] == expected
        assert deliveries[0].payload["data"]["target"]["id"] == token.token.id
    assert sorted(queued) == sorted(
        ["personal_token.expiring_7d", "personal_token.expiring_1d", "personal_token.expired"]
    )


def test_inactivity_expiry_is_an_event(
    svc: Services, clock: FrozenClock, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    created = subscribe(svc, org, receiver, "personal_token.inactivity_expired")
    svc.policies.update(SYSTEM, org.id, {"pat_inactivity_days": 30})
    user = svc.organizations.create_user(SYSTEM, "idle@example.test", org_id=org.id, role=Role.MEMBER)
    token = svc.personal_tokens.create(
        SYSTEM, name="idle", scopes=["api/access"], org_id=org.id, user_id=user.id
    )
    clock.advance(days=29)
    svc.personal_tokens.emit_expiry_notices()
    assert hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id) == []
    clock.advance(days=2)
    assert svc.personal_tokens.emit_expiry_notices() == 1
    assert svc.personal_tokens.emit_expiry_notices() == 0
    (delivery,) = hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id)
    assert delivery.event_type == "personal_token.inactivity_expired"
    assert delivery.payload["data"]["target"]["id"] == token.token.id


# -- retries, disabling, giving up, replay ---------------------------------------------------


def test_failed_attempts_back_off_exponentially_and_keep_their_id(
    svc: Services, clock: FrozenClock, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    created = subscribe(svc, org, receiver, "credential.created")
    new_credential(svc, org)
    receiver.fail_next(2, status=503)

    assert deliverer(svc).deliver_due().failed == 1
    (first,) = hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id)
    assert first.next_attempt_at is not None
    wait = (first.next_attempt_at - clock.now()).total_seconds()
    assert 5 <= wait <= 10  # base 10 s, equal jitter: in [5, 10]
    assert (first.status, first.attempts, first.last_status_code, first.last_error) == (
        "pending",
        1,
        503,
        "answered 503",
    )
    assert deliverer(svc).deliver_due().attempted == 0  # not due yet

    clock.advance(seconds=wait)
    assert deliverer(svc).deliver_due().failed == 1
    (second,) = hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id)
    assert second.next_attempt_at is not None
    assert 10 <= (second.next_attempt_at - clock.now()).total_seconds() <= 20  # doubled

    clock.set(second.next_attempt_at)
    assert deliverer(svc).deliver_due().delivered == 1
    assert len({r.id for r in receiver.received}) == 1 and len(receiver.received) == 3
    (done,) = hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id)
    assert (done.status, done.attempts, done.last_error) == ("delivered", 3, None)
    assert hooks(svc).get(SYSTEM, org.id, created.endpoint.id).failure_count == 0  # reset by the success


def test_an_endpoint_failing_in_a_row_is_disabled_and_its_admins_told(
    svc: Services, clock: FrozenClock, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    created = subscribe(svc, org, receiver, "credential.created")
    for _ in range(3):
        new_credential(svc, org)
    receiver.fail_next(3, status=500)

    assert deliverer(svc).deliver_due().failed == 3  # disable_after_failures = 3
    endpoint = hooks(svc).get(SYSTEM, org.id, created.endpoint.id)
    assert (endpoint.enabled, endpoint.disabled_reason, endpoint.failure_count) == (False, "failing", 3)
    disabled = [d for a, d in actions(svc, org) if a == "webhook.disabled"]
    assert len(disabled) == 1 and disabled[0]["failure_count"] == 3
    clock.advance(seconds=60)
    assert deliverer(svc).deliver_due().attempted == 0  # a disabled endpoint's queue waits

    hooks(svc).update(SYSTEM, org.id, created.endpoint.id, enabled=True)
    assert deliverer(svc).deliver_due().delivered == 3  # nothing was lost meanwhile
    assert len({r.id for r in receiver.delivered()}) == 3


def test_a_delivery_is_given_up_after_max_attempts_and_can_be_replayed(
    svc: Services, clock: FrozenClock, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org = make_org()
    created = subscribe(svc, org, receiver, "credential.created")
    new_credential(svc, org)
    svc_hooks = hooks(svc)
    receiver.fail_next(4, status=500)
    for _ in range(4):  # webhook_max_attempts = 4; success resets nothing here
        deliverer(svc).deliver_due()
        clock.advance(seconds=41)
        hooks(svc).update(SYSTEM, org.id, created.endpoint.id, enabled=True)  # keep it from being disabled
    (given_up,) = svc_hooks.deliveries(SYSTEM, org.id, created.endpoint.id)
    assert (given_up.status, given_up.attempts, given_up.next_attempt_at) == ("failed", 4, None)
    assert deliverer(svc).deliver_due().attempted == 0

    replayed = svc_hooks.replay(SYSTEM, org.id, created.endpoint.id, given_up.id)
    assert (replayed.id, replayed.status) == (given_up.id, "pending")
    assert deliverer(svc).deliver_due().delivered == 1
    assert [r.id for r in receiver.delivered()] == [given_up.id]  # the same webhook-id
    assert "webhook.replayed" in [a for a, _ in actions(svc, org)]


def test_replay_of_another_endpoints_delivery_is_not_found(
    svc: Services, make_org: Callable[..., Organization], receiver: WebhookReceiver
) -> None:
    org, other = make_org(), make_org()
    mine = subscribe(svc, org, receiver, "credential.created")
    theirs = subscribe(svc, other, receiver, "credential.created")
    new_credential(svc, other)
    (delivery,) = hooks(svc).deliveries(SYSTEM, other.id, theirs.endpoint.id)
    with pytest.raises(Exception) as refused:
        hooks(svc).replay(SYSTEM, org.id, mine.endpoint.id, delivery.id)
    assert getattr(refused.value, "code", None) == "not_found"


# -- a process stopped mid-attempt, and two processes at once --------------------------------


def test_a_process_stopped_mid_attempt_loses_nothing_and_the_retry_keeps_the_id(
    hook_settings: Settings,
    services_factory: Callable[..., Services],
    clock: FrozenClock,
    make_org: Callable[..., Organization],
    receiver: WebhookReceiver,
) -> None:
    first = services_factory(hook_settings, issuer=hook_settings.issuer)
    org = first.organizations.create(SYSTEM, "stopped-mid-attempt")
    created = subscribe(first, org, receiver, "credential.created")
    new_credential(first, org)
    # The first process claims the delivery and dies before sending it (nothing recorded after).
    with first.database.transaction() as connection:
        (claimed,) = WebhookRepository(connection).claim_due(
            clock.now(), clock.now() + deliverer(first).lease, limit=10
        )
    first.close()

    restarted = services_factory(hook_settings, issuer=hook_settings.issuer)
    assert deliverer(restarted).deliver_due().attempted == 0  # still claimed: no double send
    clock.advance(seconds=deliverer(restarted).lease.total_seconds())
    assert deliverer(restarted).deliver_due().delivered == 1
    assert [r.id for r in receiver.delivered()] == [claimed.id]
    (done,) = hooks(restarted).deliveries(SYSTEM, org.id, created.endpoint.id)
    assert (done.status, done.attempts) == ("delivered", 2)


def test_two_processes_deliver_every_event_exactly_once(
    hook_settings: Settings,
    services_factory: Callable[..., Services],
    make_org: Callable[..., Organization],
    receiver: WebhookReceiver,
) -> None:
    first = services_factory(hook_settings, issuer=hook_settings.issuer)
    second = services_factory(hook_settings, issuer=hook_settings.issuer)
    org = first.organizations.create(SYSTEM, "two-senders")
    subscribe(first, org, receiver, "credential.created")
    events = 30
    for _ in range(events):
        new_credential(first, org)
    errors: list[BaseException] = []

    def drain(services: Services) -> None:
        try:
            while deliverer(services).deliver_due(limit=3).attempted:
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(s,)) for s in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    ids = [r.id for r in receiver.received]
    assert len(ids) == events and len(set(ids)) == events
    assert receiver.rejected == []


# -- the SSRF guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hooks",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://user:password@example.com/hooks",
        "ftp://example.com/hooks",
        "example.com/hooks",
    ],
)
def test_private_and_malformed_urls_are_refused_when_not_allowed(
    settings_factory: Callable[..., Settings],
    services_factory: Callable[..., Services],
    make_org: Callable[..., Organization],
    url: str,
) -> None:
    strict = services_factory(settings_factory())
    org = strict.organizations.create(SYSTEM, "ssrf")
    with pytest.raises(BadRequest) as refused:
        hooks(strict).create(SYSTEM, org.id, url=url, events="credential.created")
    assert refused.value.code == "url_not_allowed"


def test_a_host_that_resolves_to_a_private_address_is_refused_when_connecting(
    svc: Services,
    settings_factory: Callable[..., Settings],
    services_factory: Callable[..., Services],
    clock: FrozenClock,
    make_org: Callable[..., Organization],
    receiver: WebhookReceiver,
) -> None:
    """Saved while private addresses were allowed (or a name that resolved elsewhere then): the
    check at connect time still refuses it, and the receiver is never reached."""
    org = make_org()
    created = hooks(svc).create(
        SYSTEM, org.id, url=receiver.url.replace("127.0.0.1", "localhost"), events="credential.created"
    )
    receiver.set_secret(created.secret)
    new_credential(svc, org)
    strict = services_factory(settings_factory(), issuer=svc.issuer)
    assert deliverer(strict).deliver_due().failed == 1
    assert receiver.requests == 0
    (delivery,) = hooks(svc).deliveries(SYSTEM, org.id, created.endpoint.id)
    assert delivery.last_error is not None and "private" in delivery.last_error
    clock.advance(seconds=60)
    assert deliverer(svc).deliver_due().delivered == 1  # allowed here: the same delivery arrives
    assert receiver.rejected == []


def test_the_secret_is_sealed_at_rest(svc: Services, make_org: Callable[..., Organization]) -> None:
    org = make_org()
    created = hooks(svc).create(SYSTEM, org.id, url="https://hooks.example.com/x", events="token.revoked")
    assert created.secret.startswith("whsec_")
    with svc.database.transaction() as connection:
        row = WebhookRepository(connection).endpoint(created.endpoint.id)
    assert row is not None and created.secret not in row.secret_sealed
    assert hooks(svc).signing_secret(row) == created.secret
