"""``/api/tokens``: every statement of seed 001 is a test, plus the caller's ceilings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tokensmith.core.clock import FrozenClock
from tokensmith.core.records import CredentialKind

from .conftest import World, problem_code


def test_created_token_is_shown_once_and_never_again(client: Any, world: World) -> None:
    owner = world.people["owner"]
    created = client.post(
        "/api/tokens", json={"name": "CI deploy", "scopes": ["api/access"]}, headers=owner.headers()
    )
    assert created.status_code == 201
    body = created.json()
    plain = body["token"]
    assert plain.startswith("tsp_")
    assert body["token_hint"].startswith("tsp_") and plain not in body["token_hint"]
    for path in ("/api/tokens", f"/api/tokens/{body['id']}", "/api/audit?limit=200"):
        response = client.get(path, headers=owner.headers())
        assert response.status_code == 200
        assert plain not in response.text
        assert plain[4:] not in response.text  # not even without its prefix
    patched = client.patch(f"/api/tokens/{body['id']}", json={"name": "CI"}, headers=owner.headers())
    assert plain not in patched.text and "token" not in patched.json()


def test_never_used_until_first_use(client: Any, world: World, clock: FrozenClock) -> None:
    owner = world.people["owner"]
    plain, token_id = world.token_for(owner, ["tokens:read"])
    shown = client.get(f"/api/tokens/{token_id}", headers=owner.headers()).json()
    assert shown["last_used_at"] is None
    clock.advance(minutes=5)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    used = client.get(f"/api/tokens/{token_id}", headers=owner.headers()).json()
    assert used["last_used_at"] is not None
    world.services.usage.flush()
    stored = world.services.personal_tokens.get(owner.actor, token_id)
    assert stored.last_used_at == clock.now()


def test_name_and_description_are_editable(client: Any, world: World) -> None:
    owner = world.people["owner"]
    response = client.patch(
        f"/api/tokens/{owner.pat_id}",
        json={"name": "renamed", "description": "for CI"},
        headers=owner.headers(),
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("renamed", "for CI")
    assert client.get(f"/api/tokens/{owner.pat_id}", headers=owner.headers()).json()["name"] == "renamed"


@pytest.mark.parametrize(
    "change",
    [
        {"scopes": ["api/access"]},
        {"expires_at": "2030-01-01T00:00:00Z"},
        {"expires_in_days": 3},
        {"name": "x", "scopes": []},
    ],
)
def test_scopes_and_expiry_are_immutable(client: Any, world: World, change: dict[str, Any]) -> None:
    owner = world.people["owner"]
    before = client.get(f"/api/tokens/{owner.pat_id}", headers=owner.headers()).json()
    response = client.patch(f"/api/tokens/{owner.pat_id}", json=change, headers=owner.headers())
    assert response.status_code == 400
    assert problem_code(response) == "immutable_field"
    assert client.get(f"/api/tokens/{owner.pat_id}", headers=owner.headers()).json() == before


def test_revocation_is_immediate_and_irreversible(client: Any, world: World) -> None:
    owner = world.people["owner"]
    plain, token_id = world.token_for(owner, ["tokens:read", "tokens:write"])
    own = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/tokens", headers=own).status_code == 200
    assert client.delete(f"/api/tokens/{token_id}", headers=owner.headers()).status_code == 204
    refused = client.get("/api/tokens", headers=own)
    assert refused.status_code == 401 and problem_code(refused) == "invalid_token"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    again = client.delete(f"/api/tokens/{token_id}", headers=owner.headers())
    assert again.status_code == 404 and problem_code(again) == "not_found"
    renamed = client.patch(f"/api/tokens/{token_id}", json={"name": "back"}, headers=owner.headers())
    assert renamed.status_code == 404
    assert client.get(f"/api/tokens/{token_id}", headers=owner.headers()).json()["revoked_at"] is not None
    listed = client.get("/api/tokens", headers=owner.headers()).json()["items"]
    assert token_id not in [t["id"] for t in listed]


def test_a_token_can_revoke_itself(client: Any, world: World) -> None:
    member = world.people["member"]
    assert client.delete(f"/api/tokens/{member.pat_id}", headers=member.headers()).status_code == 204
    assert client.get("/api/me", headers=member.headers()).status_code == 401


def test_an_access_token_exchanged_from_a_revoked_token_dies_with_it(client: Any, world: World) -> None:
    member = world.people["member"]
    access = member.headers("access")
    assert client.get("/api/me", headers=access).json()["auth"] == "access_token"
    world.services.personal_tokens.revoke(member.actor, member.pat_id)
    response = client.get("/api/me", headers=access)
    assert response.status_code == 401 and problem_code(response) == "invalid_token"


def test_no_token_creates_wider_scopes(client: Any, world: World) -> None:
    owner = world.people["owner"]
    plain, _ = world.token_for(owner, ["tokens:write"])
    response = client.post(
        "/api/tokens",
        json={"name": "wider", "scopes": ["tokens:write", "audit:read"]},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 403 and problem_code(response) == "scope_not_allowed"
    narrower = client.post(
        "/api/tokens",
        json={"name": "same", "scopes": ["tokens:write"]},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert narrower.status_code == 201


def test_unknown_scope_is_refused(client: Any, world: World) -> None:
    owner = world.people["owner"]
    response = client.post(
        "/api/tokens", json={"name": "x", "scopes": ["nope:nothing"]}, headers=owner.headers()
    )
    assert response.status_code == 400 and problem_code(response) == "scope_not_allowed"


def test_no_token_creates_a_longer_life(client: Any, world: World, clock: FrozenClock) -> None:
    owner = world.people["owner"]
    plain, _ = world.token_for(owner, ["tokens:write"], expires_in_days=5)
    headers = {"Authorization": f"Bearer {plain}"}
    never = client.post("/api/tokens", json={"name": "n", "scopes": ["tokens:write"]}, headers=headers)
    assert never.status_code == 403 and problem_code(never) == "lifetime_not_allowed"
    longer = client.post(
        "/api/tokens", json={"name": "n", "scopes": ["tokens:write"], "expires_in_days": 6}, headers=headers
    )
    assert longer.status_code == 403 and problem_code(longer) == "lifetime_not_allowed"
    shorter = client.post(
        "/api/tokens", json={"name": "n", "scopes": ["tokens:write"], "expires_in_days": 4}, headers=headers
    )
    assert shorter.status_code == 201


def test_an_access_token_cannot_create_a_token_outliving_its_hour(
    client: Any, world: World, clock: FrozenClock
) -> None:
    owner = world.people["owner"]
    headers = owner.headers("access")
    day = client.post(
        "/api/tokens", json={"name": "d", "scopes": ["api/access"], "expires_in_days": 1}, headers=headers
    )
    assert day.status_code == 403 and problem_code(day) == "lifetime_not_allowed"
    soon = (clock.now() + timedelta(minutes=30)).isoformat()
    ok = client.post(
        "/api/tokens", json={"name": "d", "scopes": ["api/access"], "expires_at": soon}, headers=headers
    )
    assert ok.status_code == 201


def test_scope_ceiling_on_reads(client: Any, world: World) -> None:
    owner = world.people["owner"]
    plain, _ = world.token_for(owner, ["api/access"])
    response = client.get("/api/tokens", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403 and problem_code(response) == "insufficient_scope"
    me = client.get("/api/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 200 and me.json()["scopes"] == ["api/access"]


def test_expiring_within_lists_only_tokens_about_to_expire(
    client: Any, world: World, clock: FrozenClock
) -> None:
    member = world.people["member"]
    _, soon = world.token_for(member, ["api/access"], expires_in_days=3)
    _, later = world.token_for(member, ["api/access"], expires_in_days=30)
    week = 7 * 86400
    ids = [
        t["id"]
        for t in client.get(f"/api/tokens?expiring_within={week}", headers=member.headers()).json()["items"]
    ]
    assert ids == [soon]
    clock.advance(days=24)
    ids = [
        t["id"]
        for t in client.get(f"/api/tokens?expiring_within={week}", headers=member.headers()).json()["items"]
    ]
    assert ids == [later]  # the 3-day token has expired: no longer "about to"


def test_list_paginates(client: Any, world: World) -> None:
    member = world.people["member"]
    made = {world.token_for(member, ["api/access"])[1] for _ in range(4)} | {member.pat_id}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/tokens", params=params, headers=member.headers()).json()
        assert len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))


def test_policy_can_forbid_personal_tokens(client: Any, world: World) -> None:
    owner = world.people["owner"]
    world.services.policies.update(owner.actor, owner.org.id, {"allow_personal_tokens": False})
    response = client.get("/api/me", headers=owner.headers())
    assert response.status_code == 401 and problem_code(response) == "invalid_token"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthenticated"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthenticated"),
        ({"Authorization": "Bearer "}, "unauthenticated"),
        ({"Authorization": "Bearer tsp_garbage"}, "invalid_token"),
        ({"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}, "invalid_token"),
    ],
)
def test_unauthenticated(client: Any, world: World, headers: dict[str, str], code: str) -> None:
    response = client.get("/api/tokens", headers=headers)
    assert response.status_code == 401 and problem_code(response) == code


def test_a_client_access_token_is_not_a_user(client: Any, world: World) -> None:
    credential = world.services.credentials.create(
        world.people["owner"].actor,
        org_id=world.orgs["a"].id,
        name="svc",
        kind=CredentialKind.ORGANIZATION,
        scopes=["api/access"],
    )
    issued = world.services.client_credentials.issue(
        credential.credential.client_id, credential.client_secret, None, None
    )
    # GET /api/me describes a client's token (test_me_api.py); the other operations refuse it.
    response = client.get("/api/tokens", headers={"Authorization": f"Bearer {issued.access_token}"})
    assert response.status_code == 401 and problem_code(response) == "invalid_token"
