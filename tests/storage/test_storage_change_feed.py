"""The change feed and the lookup cache behind it (``storage/change_feed.py``), on SQLite and
PostgreSQL alike: a row changed by another process is never served once this process has
learnt of the commit, and a store that raced a commit is never served at all."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TwoProcesses
from tests.faultproxy import FaultProxy
from tokensmith.core import ids
from tokensmith.core.actors import Actor
from tokensmith.core.errors import InvalidClient, StorageUnavailable
from tokensmith.core.records import CredentialKind, OrgPolicy
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import Settings
from tokensmith.storage.change_feed import LookupCache, PostgresChangeFeed, SQLiteChangeFeed, change_feed
from tokensmith.storage.database import Database
from tokensmith.storage.engine import create_database_engine
from tokensmith.storage.repositories.organizations import OrganizationRepository

#: Generous liveness bound for PostgreSQL's notification delivery (usually well under 1 ms).
SYNC_SECONDS = 10.0


def _insert_org(database: Database) -> None:
    with database.transaction() as connection:
        OrganizationRepository(connection).insert(
            ids.new_id(), f"o-{ids.new_id()[:8]}", datetime.now(UTC), OrgPolicy()
        )


def test_the_feed_moves_on_a_commit_by_another_engine(database_url: str) -> None:
    mine, theirs = (
        Database(create_database_engine(database_url)),
        Database(create_database_engine(database_url)),
    )
    try:
        feed = change_feed(mine)
        assert change_feed(mine) is feed  # one feed per database
        assert feed.sync(SYNC_SECONDS)
        before = feed.version()
        assert before is not None
        assert feed.version() == before  # nothing committed meanwhile
        _insert_org(theirs)
        assert feed.sync(SYNC_SECONDS)
        after = feed.version()
        assert after is not None and after != before
    finally:
        mine.dispose()
        theirs.dispose()


def test_own_commits_move_the_version_at_once(database_url: str) -> None:
    database = Database(create_database_engine(database_url))
    try:
        feed = change_feed(database)
        assert feed.sync(SYNC_SECONDS)
        before = feed.version()
        _insert_org(database)
        assert feed.version() != before  # no waiting: the commit itself moved it
        assert feed.sync(SYNC_SECONDS)  # (and its notification, on PostgreSQL, moves it again)
        moved = feed.version()
        with database.transaction() as connection:  # a read-only transaction moves nothing
            OrganizationRepository(connection).get(ids.new_id())
        assert feed.version() == moved
    finally:
        database.dispose()


def test_each_database_gets_its_kind_of_feed(database_url: str, database_kind: str) -> None:
    database = Database(create_database_engine(database_url))
    try:
        expected = SQLiteChangeFeed if database_kind == "sqlite" else PostgresChangeFeed
        assert isinstance(change_feed(database), expected)
    finally:
        database.dispose()


class _Feed:
    """A feed whose version the test moves by hand."""

    def __init__(self) -> None:
        self.value: int | None = 1

    def version(self) -> int | None:
        return self.value

    def sync(self, timeout: float) -> bool:
        return True

    def close(self) -> None:
        pass


def test_a_store_that_raced_a_commit_is_never_served() -> None:
    """The lookup race: a lookup reads a row, a commit lands (and another lookup empties
    the cache), then the first lookup stores its stale row."""
    feed = _Feed()
    cache: LookupCache[str, str] = LookupCache(feed)
    stamp = cache.stamp()
    assert cache.get("k", stamp) is None  # miss: the caller reads the row now…
    feed.value = 2  # …a revocation commits meanwhile…
    assert cache.get("k", cache.stamp()) is None  # …another lookup sees the new version…
    cache.put("k", "stale row", stamp)  # …and the first lookup stores what it read before.
    assert cache.get("k", cache.stamp()) is None
    fresh = cache.stamp()
    cache.put("k", "fresh row", fresh)
    assert cache.get("k", cache.stamp()) == "fresh row"


def test_a_store_whose_commit_is_learnt_later_is_dropped_then() -> None:
    """PostgreSQL: the notification of a commit may arrive after the stale row was stored."""
    feed = _Feed()
    cache: LookupCache[str, str] = LookupCache(feed)
    stamp = cache.stamp()
    cache.put("k", "row read before a commit we have not heard of", stamp)
    assert cache.get("k", cache.stamp()) is not None  # nothing learnt yet
    feed.value = 2  # the notification arrives
    assert cache.get("k", cache.stamp()) is None


def test_nothing_is_kept_or_served_while_changes_cannot_be_known() -> None:
    feed = _Feed()
    cache: LookupCache[str, str] = LookupCache(feed)
    cache.put("k", "row", cache.stamp())
    feed.value = None  # the notification channel is lost
    assert cache.get("k", cache.stamp()) is None
    cache.put("k", "row", cache.stamp())
    feed.value = 2  # back: a feed that listens again always moves the version
    assert cache.get("k", cache.stamp()) is None


def test_the_cache_is_bounded() -> None:
    cache: LookupCache[int, int] = LookupCache(_Feed(), max_entries=3)
    for key in range(10):
        cache.put(key, key, cache.stamp())
    assert sum(cache.get(key, cache.stamp()) is not None for key in range(10)) <= 3


def test_a_credential_changed_by_another_process_is_not_served_from_the_cache(
    two_processes: TwoProcesses, make_org: Any
) -> None:
    """Two service containers on one database stand for two server processes."""
    first, second, feed = two_processes
    org = make_org()

    created = first.credentials.create(
        Actor.system(), org_id=org.id, name="ci", kind=CredentialKind.ORGANIZATION
    )
    client_id, secret = created.credential.client_id, created.client_secret
    assert feed.sync(SYNC_SECONDS)
    assert first.credentials.authenticate(client_id, secret)[0].client_id == client_id  # now cached
    assert first.credentials.authenticate(client_id, secret)[0].client_id == client_id

    rotated = second.credentials.regenerate(Actor.system(), client_id)
    assert feed.sync(SYNC_SECONDS)
    with pytest.raises(InvalidClient):
        first.credentials.authenticate(client_id, secret)
    assert first.credentials.authenticate(client_id, rotated.client_secret)[0].client_id == client_id

    second.credentials.delete(Actor.system(), client_id)
    assert feed.sync(SYNC_SECONDS)
    with pytest.raises(InvalidClient):
        first.credentials.authenticate(client_id, rotated.client_secret)


def test_a_personal_token_revoked_by_another_process_is_refused(
    two_processes: TwoProcesses, make_org: Any
) -> None:
    first, second, feed = two_processes
    org = make_org()
    user = first.organizations.create_user(
        Actor.system(), "dev@example.test", org_id=org.id, role=Role.MEMBER
    )
    created = first.personal_tokens.create(
        Actor.system(), name="ci", scopes=["tokens:read"], org_id=org.id, user_id=user.id
    )
    assert feed.sync(SYNC_SECONDS)
    assert first.personal_tokens.authenticate(created.plain) is not None  # now cached
    assert first.personal_tokens.authenticate(created.plain) is not None
    second.personal_tokens.revoke(Actor.system(), created.token.id)
    assert feed.sync(SYNC_SECONDS)
    assert first.personal_tokens.authenticate(created.plain) is None


# -- a lost channel (PostgreSQL, through a fault proxy of the test's own) -----------------------

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _wait_for(predicate: Any, seconds: float = SYNC_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@POSTGRES
@pytest.mark.parametrize("fault", ["cut", "blackhole"])
def test_a_lost_channel_stops_the_cache_and_what_was_missed_is_never_served(
    fault: str, settings: Settings, settings_factory: Any, services_factory: Any, make_org: Any
) -> None:
    """While the notification channel is down or silent the cache answers nothing; once it is
    back, a change committed meanwhile by another process is not served from what was cached
    before — whether its notification was lost with the connection (cut: only the version moved
    on listening again protects the cache) or held and delivered late (black hole)."""
    url = make_url(settings.database_url)
    direct: Services = services_factory(settings, issuer=settings.issuer)
    org = make_org()
    created = direct.credentials.create(
        Actor.system(), org_id=org.id, name="ci", kind=CredentialKind.ORGANIZATION
    )
    client_id, secret = created.credential.client_id, created.client_secret
    with FaultProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        behind = settings_factory(database_url=proxy.url_for(settings.database_url))
        proxied: Services = services_factory(behind, issuer=settings.issuer, run_migrations=False)
        feed = change_feed(proxied.database)
        assert feed.sync(SYNC_SECONDS)
        assert proxied.credentials.authenticate(client_id, secret)[0].client_id == client_id  # cached

        proxy.cut() if fault == "cut" else proxy.blackhole()
        assert _wait_for(lambda: feed.version() is None), "the cache kept answering without its channel"
        rotated = direct.credentials.regenerate(
            Actor.system(), client_id
        )  # notified to nobody behind the proxy
        if fault == "cut":  # nothing is answered from memory: the lookup needs the (unreachable) database
            with pytest.raises(StorageUnavailable):
                proxied.credentials.authenticate(client_id, secret)

        proxy.restore()
        assert _wait_for(lambda: feed.version() is not None), "the channel did not come back"
        with pytest.raises(InvalidClient):
            proxied.credentials.authenticate(client_id, secret)
        assert proxied.credentials.authenticate(client_id, rotated.client_secret)[0].client_id == client_id
