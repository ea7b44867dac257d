"""The resource registry and each opaque token's audience, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from tests.storage.test_storage_repositories import access_token
from tokensmith.core import ids
from tokensmith.core.records import OrgPolicy
from tokensmith.core.resources import Resource
from tokensmith.storage.database import Database
from tokensmith.storage.engine import create_database_engine
from tokensmith.storage.repositories.access_tokens import AccessTokenRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.resources import ResourceRepository

T0 = datetime(2026, 5, 17, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Any:
    database = Database(create_database_engine(database_url))
    yield database
    database.dispose()


def _resource(uri: str, scopes: frozenset[str] = frozenset({"b", "a"})) -> Resource:
    return Resource(id=ids.new_id(), name="Billing", uri=uri, scopes=scopes, created_at=T0)


def test_resources_round_trip_and_list_by_uri(db: Database) -> None:
    long_uri = "https://billing.example.test/" + "p" * 1900
    first, second = _resource("https://z.example.test"), _resource(long_uri, frozenset())
    with db.transaction() as c:
        repo = ResourceRepository(c)
        repo.insert(first)
        repo.insert(second)
    with db.transaction() as c:
        repo = ResourceRepository(c)
        assert repo.get(first.id) == first
        assert repo.by_uri(long_uri) == second
        assert repo.by_uri("https://Z.example.test") is None  # the service canonicalises, storage matches
        assert [r.id for r in repo.all()] == [second.id, first.id]
        assert repo.delete(first.id) is True
        assert repo.delete(first.id) is False
        assert repo.get(first.id) is None


def test_a_uri_is_registered_once(db: Database) -> None:
    with db.transaction() as c:
        ResourceRepository(c).insert(_resource("https://billing.example.test"))
    with pytest.raises(IntegrityError), db.transaction() as c:
        ResourceRepository(c).insert(_resource("https://billing.example.test"))


def test_an_opaque_tokens_audience_is_stored(db: Database) -> None:
    org_id = ids.new_id()
    with db.transaction() as c:
        OrganizationRepository(c).insert(org_id, "acme", T0, OrgPolicy())
    for_billing = replace(access_token(org_id, None), audience="https://billing.example.test")
    default = access_token(org_id, None, expires_at=T0 + timedelta(hours=2))
    with db.transaction() as c:
        AccessTokenRepository(c).insert(for_billing)
        AccessTokenRepository(c).insert(default)
    with db.transaction() as c:
        repo = AccessTokenRepository(c)
        assert repo.by_hashes([for_billing.token_hash]) == for_billing
        found = repo.by_hashes([default.token_hash])
        assert found is not None and found.audience is None
