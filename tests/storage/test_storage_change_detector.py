"""The SQLite credential cache never serves a credential that changed in another process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tokensmith.core import ids
from tokensmith.core.actors import Actor
from tokensmith.core.errors import InvalidClient
from tokensmith.core.records import CredentialKind, OrgPolicy
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.storage.change_detector import change_detector
from tokensmith.storage.database import Database, create_database_engine
from tokensmith.storage.repositories.organizations import OrganizationRepository

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
def test_detector_sees_commits_from_another_engine(database_url: str) -> None:
    mine, theirs = (
        Database(create_database_engine(database_url)),
        Database(create_database_engine(database_url)),
    )
    try:
        detector = change_detector(mine)
        assert detector is not None
        assert detector.changed() is True  # the first call knows nothing yet
        assert detector.changed() is False
        with theirs.transaction() as connection:
            OrganizationRepository(connection).insert(
                ids.new_id(), "elsewhere", datetime.now(UTC), OrgPolicy()
            )
        assert detector.changed() is True
        assert detector.changed() is False
    finally:
        mine.dispose()
        theirs.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_network_databases_get_no_detector(database_url: str) -> None:
    database = Database(create_database_engine(database_url))
    try:
        assert change_detector(database) is None
    finally:
        database.dispose()


@SQLITE
def test_a_credential_changed_by_another_process_is_not_served_from_the_cache(
    settings: Any, services_factory: Any, make_org: Any
) -> None:
    """Two service containers on one SQLite file stand for two server processes."""
    first: Services = services_factory(settings, issuer=settings.issuer)
    second: Services = services_factory(settings, issuer=settings.issuer)
    org = make_org()

    created = first.credentials.create(
        Actor.system(), org_id=org.id, name="ci", kind=CredentialKind.ORGANIZATION
    )
    client_id, secret = created.credential.client_id, created.client_secret
    assert first.credentials.authenticate(client_id, secret)[0].client_id == client_id  # now cached
    assert first.credentials.authenticate(client_id, secret)[0].client_id == client_id

    rotated = second.credentials.regenerate(Actor.system(), client_id)
    with pytest.raises(InvalidClient):
        first.credentials.authenticate(client_id, secret)
    assert first.credentials.authenticate(client_id, rotated.client_secret)[0].client_id == client_id

    second.credentials.delete(Actor.system(), client_id)
    with pytest.raises(InvalidClient):
        first.credentials.authenticate(client_id, rotated.client_secret)


@SQLITE
def test_a_personal_token_revoked_by_another_process_is_refused_at_once(
    settings: Any, services_factory: Any, make_org: Any
) -> None:
    first: Services = services_factory(settings, issuer=settings.issuer)
    second: Services = services_factory(settings, issuer=settings.issuer)
    org = make_org()
    user = first.organizations.create_user(
        Actor.system(), "dev@example.test", org_id=org.id, role=Role.MEMBER
    )
    created = first.personal_tokens.create(
        Actor.system(), name="ci", scopes=["tokens:read"], org_id=org.id, user_id=user.id
    )
    assert first.personal_tokens.authenticate(created.plain) is not None  # now cached
    assert first.personal_tokens.authenticate(created.plain) is not None
    second.personal_tokens.revoke(Actor.system(), created.token.id)
    assert first.personal_tokens.authenticate(created.plain) is None
