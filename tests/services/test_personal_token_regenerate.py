"""Regenerating a personal access token (seed 002: the token "can be regenerated"): a new value,
the same record and policy; the old value dies at once, in this process and in another one;
audited without the secret; the owner's and the caller's limits still hold. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import FrozenClock
from tokensmith.core.errors import Conflict, Forbidden, NotFound
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings
from tokensmith.storage.repositories.personal_tokens import PersonalTokenRepository

SYSTEM = Actor.system()


@pytest.fixture
def owner(services: Services, make_org: Callable[..., Organization]) -> Actor:
    org = make_org()
    user = services.organizations.create_user(SYSTEM, "regen@example.test", org_id=org.id, role=Role.MEMBER)
    return Actor(
        method=AuthMethod.SESSION,
        transport=Transport.DASHBOARD,
        user_id=user.id,
        email=user.email,
        org_id=org.id,
        role=Role.MEMBER,
    )


def _create(services: Services, owner: Actor, **options: object) -> tuple[str, str]:
    created = services.personal_tokens.create(
        owner,
        name="deploy",
        description="CI deploys",
        scopes=["api/access", "tokens:read"],
        **options,  # type: ignore[arg-type]
    )
    return created.plain, created.token.id


def test_new_value_same_record_and_the_old_value_dies_at_once(
    services: Services,
    services_factory: Callable[..., Services],
    settings: Settings,
    owner: Actor,
    clock: FrozenClock,
) -> None:
    old, token_id = _create(services, owner, expires_in_days=30)
    other = services_factory(settings, issuer=settings.issuer, clock=clock)  # a second process
    # Both processes have the old value in their lookup cache.
    assert services.personal_tokens.authenticate(old) is not None
    assert other.personal_tokens.authenticate(old) is not None
    before = services.personal_tokens.get(owner, token_id)
    clock.advance(days=1)

    regenerated = services.personal_tokens.regenerate(owner, token_id)

    assert regenerated.plain != old
    assert regenerated.plain.startswith(services.personal_tokens.prefix)
    token = regenerated.token
    assert (token.id, token.name, token.description, token.scopes, token.expires_at, token.created_at) == (
        before.id,
        before.name,
        before.description,
        before.scopes,
        before.expires_at,  # the same instant: the remaining policy, not a fresh 30 days
        before.created_at,
    )
    assert token.token_hint != before.token_hint
    assert services.personal_tokens.get(owner, token_id).token_hint == token.token_hint
    for process in (services, other):
        assert process.personal_tokens.authenticate(old) is None
        found = process.personal_tokens.authenticate(regenerated.plain)
        assert found is not None and found.token.id == token_id
    assert services.personal_tokens.introspect(old, None) is None


def test_audited_without_the_secret(services: Services, owner: Actor) -> None:
    old, token_id = _create(services, owner)
    regenerated = services.personal_tokens.regenerate(owner, token_id)
    page = services.audit_query.list(SYSTEM, org_id=owner.org_id, limit=50)
    events = [e for e in page.items if e.action == "personal_token.regenerated"]
    assert len(events) == 1
    event = events[0]
    assert (event.target_kind, event.target_id, event.actor_id) == ("personal_token", token_id, owner.user_id)
    assert event.target_hint == regenerated.token.token_hint
    text = repr(event)
    assert old not in text and regenerated.plain not in text


def test_stale_compare_and_set_writes_nothing(services: Services, owner: Actor) -> None:
    plain, token_id = _create(services, owner)
    with services.database.transaction() as connection:
        assert not PersonalTokenRepository(connection).replace_hash(
            token_id, token_hash="x" * 64, token_hint="tsp_…xxxx", expected_hash="not-the-stored-hash"
        )
    assert services.personal_tokens.authenticate(plain) is not None


def test_only_the_owner_or_the_operator(services: Services, owner: Actor) -> None:
    _, token_id = _create(services, owner)
    assert owner.org_id is not None
    stranger = services.organizations.create_user(
        SYSTEM, "other@example.test", org_id=owner.org_id, role=Role.ADMIN
    )
    admin = replace(owner, user_id=stranger.id, email=stranger.email, role=Role.ADMIN)
    with pytest.raises(NotFound):
        services.personal_tokens.regenerate(admin, token_id)  # nobody else sees another's token
    with pytest.raises(NotFound):
        services.personal_tokens.regenerate(owner, "no-such-token")
    assert services.personal_tokens.regenerate(SYSTEM, token_id).token.id == token_id


def test_a_narrow_caller_cannot_mint_itself_a_wider_or_longer_secret(
    services: Services, owner: Actor, clock: FrozenClock
) -> None:
    _, token_id = _create(services, owner)  # never expires
    needs_write = replace(owner, method=AuthMethod.PERSONAL_TOKEN, scopes=frozenset({"tokens:read"}))
    with pytest.raises(Forbidden) as refused:
        services.personal_tokens.regenerate(needs_write, token_id)
    assert refused.value.code == "insufficient_scope"
    narrow = replace(
        owner, method=AuthMethod.PERSONAL_TOKEN, scopes=frozenset({"tokens:write", "api/access"})
    )
    with pytest.raises(Forbidden) as refused:
        services.personal_tokens.regenerate(narrow, token_id)
    assert refused.value.code == "scope_not_allowed"
    wide = frozenset({"tokens:write", "tokens:read", "api/access"})
    short = replace(
        owner, method=AuthMethod.PERSONAL_TOKEN, scopes=wide, expires_at=clock.now() + timedelta(hours=1)
    )
    with pytest.raises(Forbidden) as refused:
        services.personal_tokens.regenerate(short, token_id)
    assert refused.value.code == "lifetime_not_allowed"
    assert services.personal_tokens.regenerate(replace(short, expires_at=None), token_id).token.id == token_id


def test_revoked_expired_or_disallowed_tokens_are_not_regenerated(
    services: Services, owner: Actor, clock: FrozenClock
) -> None:
    _, revoked = _create(services, owner)
    services.personal_tokens.revoke(owner, revoked)
    with pytest.raises(NotFound):
        services.personal_tokens.regenerate(owner, revoked)

    _, expiring = _create(services, owner, expires_in_days=1)
    clock.advance(days=1)
    with pytest.raises(Conflict):
        services.personal_tokens.regenerate(owner, expiring)

    _, live = _create(services, owner)
    assert owner.org_id is not None
    services.policies.update(SYSTEM, owner.org_id, {"allow_personal_tokens": False})
    with pytest.raises(Forbidden) as refused:
        services.personal_tokens.regenerate(owner, live)
    assert refused.value.code == "policy_forbids"
    page = services.audit_query.list(SYSTEM, org_id=owner.org_id, limit=50)
    assert not [e for e in page.items if e.action == "personal_token.regenerated"]
