"""Stored hashes move to the current master key on their next *successful* use, in the
background (the next usage flush), with an update conditional on the hash read."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from tokensmith.core import secrets as sf
from tokensmith.core.actors import Actor
from tokensmith.core.errors import InvalidClient
from tokensmith.core.records import CredentialKind, Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings
from tokensmith.storage.repositories.credentials import CredentialRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenRepository

SYSTEM = Actor.system()
NEW_KEY = "the-new-master-key-" + "n" * 30
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def rotated(
    settings: Settings, settings_factory: Callable[..., Settings], services_factory: Callable[..., Services]
) -> Services:
    """A process started with the new key current and the test key listed as old."""
    return services_factory(settings_factory(secret_key=NEW_KEY, old_secret_keys=settings.secret_key))


@pytest.fixture
def retired(
    rotated: Services, settings_factory: Callable[..., Settings], services_factory: Callable[..., Services]
) -> Callable[[], Services]:
    """A process started with only the new key (``TOKENSMITH_OLD_SECRET_KEYS`` emptied), after
    ``keys rewrap``."""

    def start() -> Services:
        rotated.keyring.rewrap(rotated.audit, SYSTEM)
        return services_factory(settings_factory(secret_key=NEW_KEY, old_secret_keys=""))

    return start


def _hashes(services: Services, credential_id: str) -> tuple[str, str | None]:
    with services.database.transaction() as c:
        credential = CredentialRepository(c).get(credential_id)
    assert credential is not None
    return credential.secret_hash, credential.previous_secret_hash


def _token_hash(services: Services, token_id: str) -> str:
    with services.database.transaction() as c:
        token = PersonalTokenRepository(c).get(token_id)
    assert token is not None
    return token.token_hash


def _personal_token(services: Services, org: Organization) -> tuple[str, str]:
    user = services.organizations.create_user(
        SYSTEM, "pat-owner@example.test", org_id=org.id, role=Role.MEMBER
    )
    created = services.personal_tokens.create(
        SYSTEM, name="t", scopes=["api/access"], org_id=org.id, user_id=user.id
    )
    return created.plain, created.token.id


def test_a_client_secret_moves_on_success_and_never_on_failure(
    services: Services,
    rotated: Services,
    retired: Callable[[], Services],
    make_credential: Callable[..., Any],
) -> None:
    made = make_credential()
    old_hash, _ = _hashes(services, made.credential.id)
    assert sf.hash_key_id(old_hash) == services.hasher.key_ids[0]

    wrong = sf.generate(services.settings.client_secret_prefix)
    with pytest.raises(InvalidClient):
        rotated.credentials.authenticate(made.client_id, wrong)
    rotated.usage.flush()
    assert _hashes(rotated, made.credential.id)[0] == old_hash  # a failure writes nothing

    rotated.credentials.authenticate(made.client_id, made.client_secret)
    assert _hashes(rotated, made.credential.id)[0] == old_hash  # not in the request…
    rotated.usage.flush()  # …but with the next flush
    new_hash, _ = _hashes(rotated, made.credential.id)
    assert new_hash == rotated.hasher.hash(made.client_secret)
    assert sf.hash_key_id(new_hash) == rotated.hasher.key_ids[0]

    # Still works under the rotated process, and once the old key is gone.
    rotated.credentials.authenticate(made.client_id, made.client_secret)
    retired().credentials.authenticate(made.client_id, made.client_secret)


def test_a_secret_in_its_grace_period_moves_when_it_is_the_one_used(
    services: Services,
    rotated: Services,
    retired: Callable[[], Services],
    make_credential: Callable[..., Any],
) -> None:
    made = make_credential()
    fresh = services.credentials.regenerate(SYSTEM, made.client_id, grace_seconds=3600)
    current_hash, previous_hash = _hashes(services, made.credential.id)
    assert previous_hash is not None

    rotated.credentials.authenticate(made.client_id, made.client_secret)  # the previous secret
    rotated.usage.flush()
    assert _hashes(rotated, made.credential.id) == (current_hash, rotated.hasher.hash(made.client_secret))

    rotated.credentials.authenticate(made.client_id, fresh.client_secret)  # the current one
    rotated.usage.flush()
    assert _hashes(rotated, made.credential.id) == (
        rotated.hasher.hash(fresh.client_secret),
        rotated.hasher.hash(made.client_secret),
    )
    later = retired()
    later.credentials.authenticate(made.client_id, made.client_secret)
    later.credentials.authenticate(made.client_id, fresh.client_secret)


def test_a_regeneration_between_use_and_flush_is_not_undone(
    services: Services, rotated: Services, make_credential: Callable[..., Any]
) -> None:
    made = make_credential()
    rotated.credentials.authenticate(made.client_id, made.client_secret)  # notes the move
    fresh = rotated.credentials.regenerate(SYSTEM, made.client_id)  # kills the old secret now
    regenerated_hash, _ = _hashes(rotated, made.credential.id)
    rotated.usage.flush()  # the conditional update finds another hash: no-op
    assert _hashes(rotated, made.credential.id)[0] == regenerated_hash
    with pytest.raises(InvalidClient):
        rotated.credentials.authenticate(made.client_id, made.client_secret)
    rotated.credentials.authenticate(made.client_id, fresh.client_secret)


def test_a_personal_token_moves_on_success_and_a_revoked_one_never(
    services: Services,
    rotated: Services,
    retired: Callable[[], Services],
    make_org: Callable[..., Organization],
) -> None:
    org = make_org()
    plain, token_id = _personal_token(services, org)
    old_hash = _token_hash(services, token_id)

    assert rotated.personal_tokens.authenticate(plain) is not None
    rotated.usage.flush()
    assert _token_hash(rotated, token_id) == rotated.hasher.hash(plain) != old_hash
    assert retired().personal_tokens.authenticate(plain) is not None

    other = services.organizations.create_user(
        SYSTEM, "revoked@example.test", org_id=org.id, role=Role.MEMBER
    )
    revoked = services.personal_tokens.create(
        SYSTEM, name="r", scopes=["api/access"], org_id=org.id, user_id=other.id
    )
    services.personal_tokens.revoke(SYSTEM, revoked.token.id)
    assert rotated.personal_tokens.authenticate(revoked.plain) is None
    rotated.usage.flush()
    assert _token_hash(rotated, revoked.token.id) == revoked.token.token_hash  # untouched


def test_introspection_of_a_personal_token_also_moves_it(
    services: Services, rotated: Services, make_org: Callable[..., Organization]
) -> None:
    plain, token_id = _personal_token(services, make_org())
    assert rotated.personal_tokens.introspect(plain, None) is not None
    rotated.usage.flush()
    assert _token_hash(rotated, token_id) == rotated.hasher.hash(plain)


@SQLITE
def test_the_answer_never_waits_for_the_write(
    database_url: str, services: Services, rotated: Services, make_credential: Callable[..., Any]
) -> None:
    """Another process holds SQLite's write lock: authentication still answers (a write in
    the request would wait for the lock, then fail); the move lands once the lock is gone."""
    made = make_credential()
    old_hash, _ = _hashes(services, made.credential.id)
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        credential, _org = rotated.credentials.authenticate(made.client_id, made.client_secret)
        assert credential.id == made.credential.id
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _hashes(rotated, made.credential.id)[0] == old_hash
    rotated.usage.flush()
    assert _hashes(rotated, made.credential.id)[0] == rotated.hasher.hash(made.client_secret)


def test_nothing_is_noted_when_every_hash_is_current(
    services: Services, make_credential: Callable[..., Any], make_org: Callable[..., Organization]
) -> None:
    made = make_credential(kind=CredentialKind.ORGANIZATION)
    plain, _ = _personal_token(services, make_org())
    services.credentials.authenticate(made.client_id, made.client_secret)
    assert services.personal_tokens.authenticate(plain) is not None
    assert services.usage._pending.get("secret_rehash") is None  # noqa: SLF001 - the hot path stays write-free
