"""``/api/orgs``: memberships, members (add, change role, remove), policy; literal filters."""

from __future__ import annotations

import base64
from typing import Any

from tokensmith.core.records import CredentialKind
from tokensmith.core.roles import Role

from .conftest import World, problem_code


def test_members_lifecycle(client: Any, world: World) -> None:
    owner = world.people["owner"]
    org = world.orgs["a"].id
    added = client.post(
        f"/api/orgs/{org}/members", json={"email": "New.Person@Example.test"}, headers=owner.headers()
    )
    assert added.status_code == 201
    new = added.json()
    assert (new["email"], new["role"]) == ("new.person@example.test", "member")
    dup = client.post(
        f"/api/orgs/{org}/members", json={"email": "new.person@example.test"}, headers=owner.headers()
    )
    assert dup.status_code == 409 and problem_code(dup) == "conflict"
    promoted = client.patch(
        f"/api/orgs/{org}/members/{new['user_id']}", json={"role": "admin"}, headers=owner.headers()
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    listed = client.get(f"/api/orgs/{org}/members?role=admin", headers=owner.headers()).json()["items"]
    assert new["email"] in [m["email"] for m in listed]
    assert (
        client.delete(f"/api/orgs/{org}/members/{new['email']}", headers=owner.headers()).status_code == 204
    )
    gone = client.delete(f"/api/orgs/{org}/members/{new['email']}", headers=owner.headers())
    assert gone.status_code == 404


def test_last_owner_cannot_be_demoted_or_removed(client: Any, world: World) -> None:
    owner = world.people["owner"]
    org = world.orgs["a"].id
    demote = client.patch(
        f"/api/orgs/{org}/members/{owner.user.id}", json={"role": "admin"}, headers=owner.headers()
    )
    assert demote.status_code == 409 and problem_code(demote) == "last_owner"
    remove = client.delete(f"/api/orgs/{org}/members/{owner.user.id}", headers=owner.headers())
    assert remove.status_code == 409 and problem_code(remove) == "last_owner"


def test_admin_cannot_touch_owners(client: Any, world: World) -> None:
    admin = world.people["admin"]
    org = world.orgs["a"].id
    owner_id = world.people["owner"].user.id
    for method, body in (("PATCH", {"role": "member"}), ("DELETE", None)):
        response = client.request(
            method, f"/api/orgs/{org}/members/{owner_id}", json=body, headers=admin.headers()
        )
        assert response.status_code == 403 and problem_code(response) == "forbidden"


def test_removing_a_member_revokes_their_tokens_and_personal_credentials(client: Any, world: World) -> None:
    owner, member = world.people["owner"], world.people["member"]
    credential = world.services.credentials.create(
        owner.actor, org_id=world.orgs["a"].id, name="p", kind=CredentialKind.PERSONAL, user_id=member.user.id
    )
    basic = base64.b64encode(
        f"{credential.credential.client_id}:{credential.client_secret}".encode()
    ).decode()
    assert client.get("/api/me", headers=member.headers()).status_code == 200
    org = world.orgs["a"].id
    assert (
        client.delete(f"/api/orgs/{org}/members/{member.user.id}", headers=owner.headers()).status_code == 204
    )
    assert client.get("/api/me", headers=member.headers()).status_code == 401
    token = client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert token.status_code == 401
    # Re-adding the user does not bring the revoked token back.
    world.services.members.add(owner.actor, org, member.user.email, Role.MEMBER)
    assert client.get("/api/me", headers=member.headers()).status_code == 401


def test_member_email_filter_treats_percent_and_underscore_literally(client: Any, world: World) -> None:
    owner = world.people["owner"]
    org = world.orgs["a"].id
    for email in ("a_b@example.test", "axb@example.test", "c%d@example.test", "cxd@example.test"):
        world.services.members.add(owner.actor, org, email, Role.MEMBER)

    def emails(query: str) -> list[str]:
        response = client.get(f"/api/orgs/{org}/members", params={"email": query}, headers=owner.headers())
        assert response.status_code == 200
        return [m["email"] for m in response.json()["items"]]

    assert emails("a_b") == ["a_b@example.test"]
    assert emails("c%d") == ["c%d@example.test"]
    assert emails("_") == ["a_b@example.test"]
    assert emails("%") == ["c%d@example.test"]


def test_members_paginate(client: Any, world: World) -> None:
    owner = world.people["owner"]
    org = world.orgs["a"].id
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/orgs/{org}/members", params=params, headers=owner.headers()).json()
        seen += [m["email"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 4 and seen == sorted(seen)


def test_policy_read_and_partial_update(client: Any, world: World) -> None:
    owner = world.people["owner"]
    org = world.orgs["a"].id
    seed_002 = {"pat_inactivity_days": 30, "pat_max_lifetime_days": 90}
    updated = client.patch(f"/api/orgs/{org}/policy", json=seed_002, headers=owner.headers())
    assert updated.status_code == 200
    assert client.get(f"/api/orgs/{org}/policy", headers=owner.headers()).json() == {
        "allow_personal_credentials": True,
        "allow_org_credentials": True,
        "allow_personal_tokens": True,
        "pat_max_lifetime_days": 90,
        "pat_inactivity_days": 30,
        "pat_expiry_required": False,
        "credential_tokens_per_hour": None,
        "refresh_token_lifetime_seconds": None,
        "refresh_token_idle_seconds": None,
        "allow_registered_clients": True,
        "allow_metadata_document_clients": True,
    }
    cleared = client.patch(
        f"/api/orgs/{org}/policy", json={"pat_inactivity_days": None}, headers=owner.headers()
    )
    assert cleared.json()["pat_inactivity_days"] is None and cleared.json()["pat_max_lifetime_days"] == 90
    lifetimes = {"refresh_token_lifetime_seconds": 86400, "refresh_token_idle_seconds": 3600}
    changed = client.patch(f"/api/orgs/{org}/policy", json=lifetimes, headers=owner.headers())
    assert changed.status_code == 200 and changed.json() | lifetimes == changed.json()
    for bad in (
        {"pat_inactivity_days": 0},
        {"allow_org_credentials": None},
        {"unknown": True},
        {"refresh_token_idle_seconds": 299},
        {"refresh_token_lifetime_seconds": "a week"},
        {"refresh_token_lifetime_seconds": 3650 * 86400 + 1},
        {"allow_registered_clients": None},
        {"allow_metadata_document_clients": "maybe"},
    ):
        response = client.patch(f"/api/orgs/{org}/policy", json=bad, headers=owner.headers())
        assert response.status_code == 400 and problem_code(response) == "validation_failed", bad


def test_policy_switches_client_kinds_and_audits_it(client: Any, world: World) -> None:
    """Issue 12 item 4: the two flags change by PATCH and the change is audited like any policy field."""
    owner = world.people["owner"]
    org = world.orgs["a"].id
    off = {"allow_registered_clients": False, "allow_metadata_document_clients": False}
    changed = client.patch(f"/api/orgs/{org}/policy", json=off, headers=owner.headers())
    assert changed.status_code == 200 and changed.json() | off == changed.json()
    assert world.services.policies.get(owner.actor, org).allow_registered_clients is False
    events = client.get(
        "/api/audit", params={"action": "org.policy_changed"}, headers=owner.headers()
    ).json()["items"]
    assert events[0]["details"] == {"changes": {name: [True, False] for name in off}}
    again = {"allow_metadata_document_clients": True}
    back = client.patch(f"/api/orgs/{org}/policy", json=again, headers=owner.headers())
    assert back.json()["allow_metadata_document_clients"] is True
    assert back.json()["allow_registered_clients"] is False


def test_expiry_required_policy(client: Any, world: World) -> None:
    owner = world.people["owner"]
    world.services.policies.update(owner.actor, world.orgs["a"].id, {"pat_expiry_required": True})
    never = client.post("/api/tokens", json={"name": "n", "scopes": ["api/access"]}, headers=owner.headers())
    assert never.status_code == 403 and problem_code(never) == "policy_forbids"
    dated = client.post(
        "/api/tokens",
        json={"name": "n", "scopes": ["api/access"], "expires_in_days": 10},
        headers=owner.headers(),
    )
    assert dated.status_code == 201


def test_me(client: Any, world: World) -> None:
    admin = world.people["admin"]
    me = client.get("/api/me", headers=admin.headers()).json()
    assert me["user"] == {"id": admin.user.id, "email": admin.user.email}
    assert me["org"] == {"id": admin.org.id, "name": admin.org.name}
    assert (me["role"], me["auth"]) == ("admin", "personal_token")
    assert client.get("/api/me", headers=admin.headers("access")).json()["auth"] == "access_token"
