"""``POST /api/tokens/{token_id}/regenerate``: the new value once, the same token otherwise, the
old value dead at once (for this server and a second one on the same database), problem details
for every refusal, and racing regenerations with exactly one winner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.management.conftest import World, problem_code
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.personal_tokens import PersonalTokenService
from tokensmith.storage.repositories.audit import AuditRepository

RACERS = 6


def test_regenerate_shows_the_new_value_once_and_the_old_one_dies(client: Any, world: World) -> None:
    member = world.people["member"]
    old, token_id = world.token_for(member, ["api/access", "tokens:read"], expires_in_days=30)
    before = client.get(f"/api/tokens/{token_id}", headers=member.headers()).json()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200

    response = client.post(f"/api/tokens/{token_id}/regenerate", headers=member.headers())

    assert response.status_code == 200, response.text
    body = response.json()
    new = body.pop("token")
    assert new.startswith("tsp_") and new != old
    assert body["token_hint"] != before["token_hint"]
    changing = {"token_hint", "last_used_at"}  # the old value was just used, above
    assert {k: v for k, v in body.items() if k not in changing} == {
        k: v for k, v in before.items() if k not in changing
    }
    shown = client.get(f"/api/tokens/{token_id}", headers=member.headers()).json()
    assert "token" not in shown and shown["token_hint"] == body["token_hint"]
    refused = client.get("/api/me", headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401 and problem_code(refused) == "invalid_token"
    me = client.get("/api/me", headers={"Authorization": f"Bearer {new}"})
    assert me.status_code == 200 and me.json()["user"]["id"] == member.user.id


def test_refusals_are_problem_details(client: Any, world: World) -> None:
    member, other = world.people["member"], world.people["member2"]
    _, token_id = world.token_for(member, ["api/access"])
    stranger = client.post(f"/api/tokens/{token_id}/regenerate", headers=other.headers())
    assert stranger.status_code == 404 and problem_code(stranger) == "not_found"
    narrow, _ = world.token_for(member, ["tokens:read"])
    scope = client.post(f"/api/tokens/{token_id}/regenerate", headers={"Authorization": f"Bearer {narrow}"})
    assert scope.status_code == 403 and problem_code(scope) == "insufficient_scope"
    assert client.delete(f"/api/tokens/{token_id}", headers=member.headers()).status_code == 204
    revoked = client.post(f"/api/tokens/{token_id}/regenerate", headers=member.headers())
    assert revoked.status_code == 404 and problem_code(revoked) == "not_found"
    nobody = client.post(f"/api/tokens/{token_id}/regenerate")
    assert nobody.status_code == 401 and problem_code(nobody) == "unauthenticated"


def test_a_token_can_regenerate_itself(client: Any, world: World) -> None:
    member = world.people["member"]
    response = client.post(f"/api/tokens/{member.pat_id}/regenerate", headers=member.headers())
    assert response.status_code == 200
    assert client.get("/api/me", headers=member.headers()).status_code == 401
    new = {"Authorization": f"Bearer {response.json()['token']}"}
    assert client.get("/api/me", headers=new).status_code == 200


def test_an_access_token_exchanged_before_lives_out_its_short_life(client: Any, world: World) -> None:
    """Regenerating keeps the token's id, and an access token exchanged from it is bound to the
    id, not the value: it keeps working until it expires (revoking ends it at once)."""
    member = world.people["member"]
    access = member.headers("access")
    response = client.post(f"/api/tokens/{member.pat_id}/regenerate", headers=member.headers())
    assert response.status_code == 200
    assert client.get("/api/me", headers=access).status_code == 200


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_racing_regenerations_have_exactly_one_winner(
    live_server: LiveServer, make_org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: every request reads the token, waits until all have read it, then writes; the
    compare-and-set lets one of them through. (SQLite serialises the transactions instead.)"""
    svc = live_server.services
    org = make_org()
    owner = svc.organizations.create_user(
        Actor.system(), "regen@example.test", org_id=org.id, role=Role.MEMBER
    )
    created = svc.personal_tokens.create(
        Actor.system(), name="raced", scopes=["tokens:write", "api/access"], org_id=org.id, user_id=owner.id
    )
    all_read = threading.Barrier(RACERS, timeout=60)
    original = PersonalTokenService._own

    def read_then_wait(self: PersonalTokenService, *args: Any, **kwargs: Any) -> Any:
        found = original(self, *args, **kwargs)
        all_read.wait()
        return found

    # The caller authenticates with another token, so the racers do not invalidate their own.
    caller = svc.personal_tokens.create(
        Actor.system(), name="caller", scopes=["tokens:write", "api/access"], org_id=org.id, user_id=owner.id
    ).plain
    monkeypatch.setattr(PersonalTokenService, "_own", read_then_wait)

    def regenerate(_: int) -> httpx.Response:
        return httpx.post(
            f"{live_server.url}/api/tokens/{created.token.id}/regenerate",
            headers={"Authorization": f"Bearer {caller}"},
            timeout=90,
        )

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(regenerate, range(RACERS)))

    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1), [
        r.text for r in responses
    ]
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "conflict" and "tsp_" not in refused.text
    winner = next(r for r in responses if r.status_code == 200).json()["token"]
    assert svc.personal_tokens.authenticate(winner) is not None
    assert svc.personal_tokens.authenticate(created.plain) is None
    with svc.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, action="personal_token.regenerated")
    assert len(events) == 1
