"""Regenerations of one secret that race. Of 8 that read the same secret,
exactly one answers 200 with a secret that works; the other 7 are 409 ``conflict`` and write
nothing — on SQLite and PostgreSQL, against a live uvicorn server over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import httpx
import pytest

from tests.conftest import LiveServer
from tokensmith.core.actors import Actor
from tokensmith.core.records import Credential, CredentialKind
from tokensmith.core.roles import Role
from tokensmith.services.credentials import CredentialService
from tokensmith.storage.repositories.audit import AuditRepository

RACERS = 8


class Raced(NamedTuple):
    """An organisation credential, and ``regenerate(_)``: one regeneration of its secret over HTTP
    by the organisation's owner."""

    org_id: str
    credential: Credential
    regenerate: Callable[[int], httpx.Response]


@pytest.fixture
def raced(live_server: LiveServer, make_org: Any) -> Raced:
    svc = live_server.services
    org = make_org()
    owner = svc.organizations.create_user(
        Actor.system(), "racer@example.test", org_id=org.id, role=Role.OWNER
    )
    pat = svc.personal_tokens.create(
        Actor.system(), name="racer", scopes=["credentials:write"], org_id=org.id, user_id=owner.id
    ).plain
    cred = svc.credentials.create(
        Actor.system(), org_id=org.id, name="raced", kind=CredentialKind.ORGANIZATION
    ).credential

    def regenerate(_: int) -> httpx.Response:
        return httpx.post(
            f"{live_server.url}/api/credentials/{cred.id}/regenerate",
            headers={"Authorization": f"Bearer {pat}"},
            timeout=90,
        )

    return Raced(org.id, cred, regenerate)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_racing_regenerations_have_exactly_one_winner(
    live_server: LiveServer, raced: Raced, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: eight transactions read the same secret at once; the compare-and-set lets one
    of them write. (SQLite takes its write lock when a transaction begins, so there the same
    requests queue instead of racing: the next test.)"""
    svc, cred = live_server.services, raced.credential

    # Make the race certain instead of likely: every request reads the credential, then waits until
    # all eight have read it, and only then writes.
    all_read = threading.Barrier(RACERS, timeout=60)
    original = CredentialService._changeable

    def read_then_wait(self: CredentialService, *args: Any, **kwargs: Any) -> Any:
        found = original(self, *args, **kwargs)
        all_read.wait()
        return found

    monkeypatch.setattr(CredentialService, "_changeable", read_then_wait)

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(raced.regenerate, range(RACERS)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (RACERS - 1), [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "conflict"
        assert "tss_" not in refused.text
    winner = next(r for r in responses if r.status_code == 200).json()

    # The one secret shown is the one that works; the original died with it (no grace).
    token = httpx.post(
        f"{live_server.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(cred.client_id, winner["client_secret"]),
        timeout=30,
    )
    assert token.status_code == 200, token.text
    with svc.database.transaction() as connection:
        events = AuditRepository(connection).list(
            org_id=raced.org_id, action_prefix="credential.secret_regenerated"
        )
    assert len(events) == 1  # the losers wrote nothing, not even an audit event


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_concurrent_regenerations_on_sqlite_queue_and_one_secret_survives(
    live_server: LiveServer, raced: Raced
) -> None:
    """SQLite: the regenerations queue behind the write lock (none fails with 503), each one
    rotates from the secret the previous one left, and exactly one of the secrets shown works."""
    svc, cred = live_server.services, raced.credential

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(raced.regenerate, range(RACERS)))
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    shown = [r.json()["client_secret"] for r in responses if r.status_code == 200]
    working = [
        secret
        for secret in shown
        if httpx.post(
            f"{live_server.url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(cred.client_id, secret),
            timeout=30,
        ).status_code
        == 200
    ]
    assert len(working) == 1
    with svc.database.transaction() as connection:
        events = AuditRepository(connection).list(
            org_id=raced.org_id, action_prefix="credential.secret_regenerated"
        )
    assert len(events) == len(shown)
