"""Personal-token expiry and inactivity policies and expiry notices, on an injected clock (no sleeping)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.errors import Forbidden
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings

SYSTEM = Actor.system()


@pytest.fixture
def member(services: Services, make_org: Callable[..., Organization]) -> tuple[Organization, str]:
    org = make_org()
    user = services.organizations.create_user(SYSTEM, "pat@example.test", org_id=org.id, role=Role.MEMBER)
    return org, user.id


def _create(services: Services, member: tuple[Organization, str], **options: object) -> tuple[str, str]:
    org, user_id = member
    created = services.personal_tokens.create(
        SYSTEM,
        name="t",
        scopes=["api/access"],
        org_id=org.id,
        user_id=user_id,
        **options,  # type: ignore[arg-type]
    )
    return created.plain, created.token.id


def test_seed_002_thirty_days_unused_or_three_months(
    services: Services, member: tuple[Organization, str], clock: FrozenClock
) -> None:
    org, _ = member
    services.policies.update(SYSTEM, org.id, {"pat_inactivity_days": 30, "pat_max_lifetime_days": 90})
    plain, token_id = _create(services, member)
    token = services.personal_tokens.get(SYSTEM, token_id)
    assert token.expires_at == clock.now() + timedelta(days=90)  # "3 months from creation"
    # Used every 29 days, it lives until its 90th day and not a second longer.
    for _ in range(3):
        clock.advance(days=29)
        assert services.personal_tokens.authenticate(plain) is not None
    clock.advance(days=3, seconds=-1)
    assert services.personal_tokens.authenticate(plain) is not None
    clock.advance(seconds=1)
    assert services.personal_tokens.authenticate(plain) is None


def test_inactivity_counts_from_the_last_use(
    services: Services, member: tuple[Organization, str], clock: FrozenClock
) -> None:
    org, _ = member
    services.policies.update(SYSTEM, org.id, {"pat_inactivity_days": 30})
    plain, _ = _create(services, member)
    clock.advance(days=20)
    assert services.personal_tokens.authenticate(plain) is not None
    services.usage.flush()  # the use reaches the database (as the periodic flush does)
    clock.advance(days=29, hours=23)
    assert services.personal_tokens.authenticate(plain, record_use=False) is not None
    clock.advance(hours=1)
    assert services.personal_tokens.authenticate(plain) is None


def test_inactivity_seen_by_another_process_after_the_flush(
    services: Services,
    services_factory: Callable[..., Services],
    settings: Settings,
    member: tuple[Organization, str],
    clock: FrozenClock,
) -> None:
    org, _ = member
    services.policies.update(SYSTEM, org.id, {"pat_inactivity_days": 30})
    plain, _ = _create(services, member)
    other = services_factory(settings, issuer=settings.issuer, clock=clock)
    clock.advance(days=25)
    assert services.personal_tokens.authenticate(plain) is not None
    services.usage.flush()
    clock.advance(days=10)
    assert other.personal_tokens.authenticate(plain) is not None  # last use 10 days ago, not 35


def test_never_used_token_expires_from_creation(
    services: Services, member: tuple[Organization, str], clock: FrozenClock
) -> None:
    org, _ = member
    services.policies.update(SYSTEM, org.id, {"pat_inactivity_days": 30})
    plain, token_id = _create(services, member)
    clock.advance(days=30)
    assert services.personal_tokens.authenticate(plain) is None
    assert services.personal_tokens.get(SYSTEM, token_id).last_used_at is None


def test_explicit_expiry(services: Services, member: tuple[Organization, str], clock: FrozenClock) -> None:
    plain, _ = _create(services, member, expires_in_days=2)
    clock.advance(days=2, seconds=-1)
    assert services.personal_tokens.authenticate(plain) is not None
    clock.advance(seconds=1)
    assert services.personal_tokens.authenticate(plain) is None


def test_max_lifetime_refuses_longer_requests(services: Services, member: tuple[Organization, str]) -> None:
    org, _ = member
    services.policies.update(SYSTEM, org.id, {"pat_max_lifetime_days": 90})
    with pytest.raises(Forbidden) as refused:
        _create(services, member, expires_in_days=91)
    assert refused.value.code == "policy_forbids"


def test_expiry_notices_seven_and_one_day_once_each(
    services: Services,
    services_factory: Callable[..., Services],
    settings: Settings,
    member: tuple[Organization, str],
    clock: FrozenClock,
) -> None:
    org, _ = member
    _, token_id = _create(services, member, expires_in_days=10)
    other = services_factory(settings, issuer=settings.issuer, clock=clock)  # a second process

    def notices() -> list[str]:
        page = services.audit_query.list(SYSTEM, org_id=org.id, limit=200)
        return [e.details["notice"] for e in page.items if e.action == "personal_token.expiring"]

    assert services.personal_tokens.emit_expiry_notices() == 0
    clock.advance(days=3, seconds=-1)
    assert services.personal_tokens.emit_expiry_notices() == 0
    clock.advance(seconds=1)  # exactly 7 days before expiry
    assert services.personal_tokens.emit_expiry_notices() + other.personal_tokens.emit_expiry_notices() == 1
    assert other.personal_tokens.emit_expiry_notices() == 0
    assert notices() == ["7d"]
    clock.advance(days=6)
    assert other.personal_tokens.emit_expiry_notices() == 1
    assert services.personal_tokens.emit_expiry_notices() == 0
    clock.advance(days=2)
    # Past expiry: the one lapse notice (``personal_token.expired``), by one process only.
    assert services.personal_tokens.emit_expiry_notices() + other.personal_tokens.emit_expiry_notices() == 1
    assert services.personal_tokens.emit_expiry_notices() == 0
    assert notices() == ["1d", "7d"]
    events = [
        e
        for e in services.audit_query.list(SYSTEM, org_id=org.id).items
        if e.action == "personal_token.expiring"
    ]
    assert {e.target_id for e in events} == {token_id}


def test_a_token_born_inside_the_window_gets_only_the_notices_it_crosses(
    services: Services, member: tuple[Organization, str], clock: FrozenClock
) -> None:
    _create(services, member, expires_in_days=3)
    _create(services, member)  # never expires: never noticed
    assert services.personal_tokens.emit_expiry_notices() == 0
    clock.advance(days=2)
    assert services.personal_tokens.emit_expiry_notices() == 1


def test_revoked_tokens_get_no_notice(
    services: Services, member: tuple[Organization, str], clock: FrozenClock
) -> None:
    _, token_id = _create(services, member, expires_in_days=10)
    services.personal_tokens.revoke(SYSTEM, token_id)
    clock.advance(days=9)
    assert services.personal_tokens.emit_expiry_notices() == 0
