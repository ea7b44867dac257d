"""Stored hashes by master key id (what ``keys status`` counts: live ones only) and the
conditional update that moves one hash, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tokensmith.core.actors import Actor
from tokensmith.core.clock import FrozenClock
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.services.key_retirement import retirement_status
from tokensmith.settings import Settings
from tokensmith.storage.repositories.secret_hashes import SecretHashRepository

SYSTEM = Actor.system()
NEW_KEY = "the-new-master-key-" + "n" * 30


def test_only_live_hashes_are_counted_per_key_id(
    services: Services,
    clock: FrozenClock,
    make_credential: Callable[..., Any],
    make_org: Callable[..., Organization],
) -> None:
    key_id = services.hasher.key_ids[0]
    graced = make_credential()
    services.credentials.regenerate(SYSTEM, graced.client_id, grace_seconds=60)
    make_credential()
    org = make_org()
    user = services.organizations.create_user(SYSTEM, "owner@example.test", org_id=org.id, role=Role.MEMBER)
    live = services.personal_tokens.create(
        SYSTEM, name="a", scopes=["api/access"], org_id=org.id, user_id=user.id
    )
    gone = services.personal_tokens.create(
        SYSTEM, name="b", scopes=["api/access"], org_id=org.id, user_id=user.id
    )
    services.personal_tokens.revoke(SYSTEM, gone.token.id)
    with services.database.transaction() as c:
        counts = SecretHashRepository(c).counts_by_key_id(clock.now())
    assert counts["client_secret"] == {key_id: 2}
    assert counts["previous_client_secret"] == {key_id: 1}
    assert counts["personal_token"] == {key_id: 1}  # the revoked one cannot authenticate
    assert live.token.id != gone.token.id
    with services.database.transaction() as c:
        later = SecretHashRepository(c).counts_by_key_id(clock.now() + timedelta(seconds=61))
    assert later["previous_client_secret"] == {}  # the grace period is over


def test_status_names_what_stays_under_the_old_key(
    services: Services,
    settings_factory: Callable[..., Settings],
    services_factory: Callable[..., Services],
    make_credential: Callable[..., Any],
) -> None:
    used, idle = make_credential(), make_credential()
    rotated = services_factory(
        settings_factory(secret_key=NEW_KEY, old_secret_keys=services.settings.secret_key)
    )
    before = retirement_status(rotated.database, rotated.clock, rotated.hasher, rotated.keyring)
    assert not before.ready_to_retire
    assert (before.current.role, [k.role for k in before.old]) == ("current", ["old"])
    assert before.old[0].hash_key_id == services.hasher.key_ids[0]
    assert before.old[0].hashes["client_secret"] == 2 and before.signing_keys_to_rewrap == 1

    rotated.credentials.authenticate(used.client_id, used.client_secret)
    rotated.usage.flush()
    rotated.keyring.rewrap(rotated.audit, SYSTEM)
    after = retirement_status(rotated.database, rotated.clock, rotated.hasher, rotated.keyring)
    assert after.signing_keys_to_rewrap == 0
    assert after.current.hashes["client_secret"] == 1 and after.old[0].hashes["client_secret"] == 1
    assert [(h.kind, h.label) for h in after.holders] == [("client_secret", idle.client_id)]
    assert not after.ready_to_retire

    # Had the old key been dropped now, the idle secret would be reported as unusable.
    early = services_factory(settings_factory(secret_key=NEW_KEY, old_secret_keys=""))
    dropped = retirement_status(early.database, early.clock, early.hasher, early.keyring)
    assert dropped.unusable_hashes == {"client_secret": {services.hasher.key_ids[0]: 1}}

    rotated.credentials.regenerate(SYSTEM, idle.client_id)
    done = retirement_status(rotated.database, rotated.clock, rotated.hasher, rotated.keyring)
    assert done.ready_to_retire and done.holders == [] and done.hashes_under_old_keys == 0

    retired = services_factory(settings_factory(secret_key=NEW_KEY, old_secret_keys=""))
    assert (
        retirement_status(retired.database, retired.clock, retired.hasher, retired.keyring).unusable_hashes
        == {}
    )


def test_a_hash_moves_only_if_it_is_still_the_one_read(
    services: Services, make_credential: Callable[..., Any]
) -> None:
    made = make_credential()
    stored = made.credential.secret_hash
    with services.database.transaction() as c:
        repo = SecretHashRepository(c)
        assert not repo.replace_credential_hash(made.credential.id, "secret_hash", "k:other", "k:new")
        assert repo.replace_credential_hash(made.credential.id, "secret_hash", stored, "k:new")
        assert not repo.replace_credential_hash(made.credential.id, "secret_hash", stored, "k:newer")
        assert not repo.replace_personal_token_hash("no-such-token", "a", "b")
