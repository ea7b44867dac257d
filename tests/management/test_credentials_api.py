"""``/api/credentials``: create, list, show, rename, regenerate (at once or with grace), delete."""

from __future__ import annotations

from typing import Any

from tokensmith.core.clock import FrozenClock
from tokensmith.core.errors import InvalidClient
from tokensmith.core.records import CredentialKind

from .conftest import World, problem_code


def _token(client: Any, client_id: str, secret: str) -> int:
    """200 when the pair authenticates at the token endpoint's service, 401 when not."""
    services = client.app.state.services
    try:
        services.credentials.authenticate(client_id, secret)
    except InvalidClient:
        return 401
    return 200


def test_create_show_rename_delete(client: Any, world: World) -> None:
    admin = world.people["admin"]
    created = client.post(
        "/api/credentials",
        json={
            "name": "backend",
            "kind": "organization",
            "scopes": ["api/access"],
            "token_format": "opaque",
            "token_ttl": 600,
            "description": "prod",
        },
        headers=admin.headers(),
    )
    assert created.status_code == 201
    body = created.json()
    secret = body.pop("client_secret")
    assert _token(client, body["client_id"], secret) == 200
    for ref in (body["id"], body["client_id"]):
        shown = client.get(f"/api/credentials/{ref}", headers=admin.headers())
        assert shown.status_code == 200 and secret not in shown.text
        assert {k: v for k, v in shown.json().items() if k != "last_used_at"} == {
            k: v for k, v in body.items() if k != "last_used_at"
        }
    assert (body["token_format"], body["token_ttl"], body["description"]) == ("opaque", 600, "prod")
    renamed = client.patch(f"/api/credentials/{body['id']}", json={"name": "api"}, headers=admin.headers())
    assert renamed.status_code == 200 and renamed.json()["name"] == "api"
    assert client.delete(f"/api/credentials/{body['client_id']}", headers=admin.headers()).status_code == 204
    assert client.get(f"/api/credentials/{body['id']}", headers=admin.headers()).status_code == 404
    assert _token(client, body["client_id"], secret) == 401


def test_regenerate_kills_the_old_secret_at_once(client: Any, world: World) -> None:
    member = world.people["member"]
    created = client.post(
        "/api/credentials", json={"name": "mine", "kind": "personal"}, headers=member.headers()
    ).json()
    old = created["client_secret"]
    again = client.post(f"/api/credentials/{created['id']}/regenerate", headers=member.headers())
    assert again.status_code == 200
    new = again.json()["client_secret"]
    assert new != old and again.json()["previous_secret_expires_at"] is None
    assert _token(client, created["client_id"], old) == 401
    assert _token(client, created["client_id"], new) == 200


def test_regenerate_with_grace_keeps_the_old_secret_a_while(
    client: Any, world: World, clock: FrozenClock
) -> None:
    admin = world.people["admin"]
    created = client.post(
        "/api/credentials", json={"name": "g", "kind": "organization"}, headers=admin.headers()
    ).json()
    old = created["client_secret"]
    again = client.post(
        f"/api/credentials/{created['client_id']}/regenerate",
        json={"grace_seconds": 300},
        headers=admin.headers(),
    ).json()
    assert again["previous_secret_expires_at"] is not None
    assert _token(client, created["client_id"], old) == 200
    assert _token(client, created["client_id"], again["client_secret"]) == 200
    clock.advance(seconds=301)
    assert _token(client, created["client_id"], old) == 401
    assert _token(client, created["client_id"], again["client_secret"]) == 200


def test_list_filters_by_kind_and_paginates(client: Any, world: World) -> None:
    admin = world.people["admin"]
    for i in range(3):
        client.post(
            "/api/credentials", json={"name": f"o{i}", "kind": "organization"}, headers=admin.headers()
        )
        client.post("/api/credentials", json={"name": f"p{i}", "kind": "personal"}, headers=admin.headers())
    world.credential(CredentialKind.PERSONAL, "a", world.people["member"])
    kinds = {
        kind: [
            c["name"]
            for c in client.get(f"/api/credentials?kind={kind}", headers=admin.headers()).json()["items"]
        ]
        for kind in ("personal", "organization")
    }
    assert sorted(kinds["personal"]) == ["p0", "p1", "p2"]
    assert sorted(kinds["organization"]) == ["o0", "o1", "o2"]
    seen: list[str] = []
    cursor = None
    while True:
        page = client.get(
            "/api/credentials",
            params={"limit": 4, **({"cursor": cursor} if cursor else {})},
            headers=admin.headers(),
        ).json()
        seen += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["o0", "o1", "o2", "p0", "p1", "p2"]


def test_policy_gates_credential_kinds(client: Any, world: World) -> None:
    owner = world.people["owner"]
    org = world.orgs["a"].id
    assert (
        client.patch(
            f"/api/orgs/{org}/policy", json={"allow_org_credentials": False}, headers=owner.headers()
        ).status_code
        == 200
    )
    refused = client.post(
        "/api/credentials", json={"name": "x", "kind": "organization"}, headers=owner.headers()
    )
    assert refused.status_code == 403 and problem_code(refused) == "policy_forbids"
    allowed = client.post("/api/credentials", json={"name": "x", "kind": "personal"}, headers=owner.headers())
    assert allowed.status_code == 201


def test_invalid_bodies(client: Any, world: World) -> None:
    admin = world.people["admin"]
    for body in (
        {"name": "x"},
        {"name": "", "kind": "personal"},
        {"name": "x", "kind": "team"},
        {"name": "x", "kind": "personal", "token_ttl": 5},
        {"name": "x", "kind": "personal", "extra": 1},
    ):
        response = client.post("/api/credentials", json=body, headers=admin.headers())
        assert response.status_code == 400 and problem_code(response) == "validation_failed", body
    bad_grace = client.post(
        f"/api/credentials/{world.credential(CredentialKind.ORGANIZATION, 'a').id}/regenerate",
        json={"grace_seconds": -1},
        headers=admin.headers(),
    )
    assert bad_grace.status_code == 400
