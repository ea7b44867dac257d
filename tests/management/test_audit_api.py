"""``/api/audit``: every change is an event (who, what, when, where, public id or hint) and never a secret."""

from __future__ import annotations

from typing import Any

from .conftest import World, problem_code


def test_changes_are_audited_without_secrets(client: Any, world: World) -> None:
    owner = world.people["owner"]
    org = world.orgs["a"].id
    token = client.post(
        "/api/tokens", json={"name": "t", "scopes": ["api/access"]}, headers=owner.headers()
    ).json()
    client.patch(f"/api/tokens/{token['id']}", json={"name": "t2"}, headers=owner.headers())
    client.delete(f"/api/tokens/{token['id']}", headers=owner.headers())
    cred = client.post(
        "/api/credentials", json={"name": "c", "kind": "organization"}, headers=owner.headers()
    ).json()
    client.patch(f"/api/credentials/{cred['id']}", json={"name": "c2"}, headers=owner.headers())
    regenerated = client.post(f"/api/credentials/{cred['id']}/regenerate", headers=owner.headers()).json()
    client.delete(f"/api/credentials/{cred['id']}", headers=owner.headers())
    added = client.post(
        f"/api/orgs/{org}/members", json={"email": "z@example.test"}, headers=owner.headers()
    ).json()
    client.patch(
        f"/api/orgs/{org}/members/{added['user_id']}", json={"role": "admin"}, headers=owner.headers()
    )
    client.delete(f"/api/orgs/{org}/members/{added['user_id']}", headers=owner.headers())
    client.patch(f"/api/orgs/{org}/policy", json={"pat_inactivity_days": 30}, headers=owner.headers())

    response = client.get("/api/audit?limit=200", headers=owner.headers())
    assert response.status_code == 200
    for secret in (token["token"], cred["client_secret"], regenerated["client_secret"], owner.pat):
        assert secret not in response.text
    events = response.json()["items"]
    actions = [e["action"] for e in events]
    for action in (
        "personal_token.created",
        "personal_token.renamed",
        "personal_token.revoked",
        "credential.created",
        "credential.renamed",
        "credential.secret_regenerated",
        "credential.deleted",
        "member.added",
        "member.role_changed",
        "member.removed",
        "org.policy_changed",
    ):
        assert action in actions, action
    revoked = next(e for e in events if e["action"] == "personal_token.revoked")
    assert revoked["target_id"] == token["id"] and revoked["target_hint"] == token["token_hint"]
    assert revoked["actor_id"] == owner.user.id and revoked["actor_label"] == owner.user.email
    assert revoked["transport"] == "api" and revoked["ip"] and revoked["org_id"] == org
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, reverse=True)


def test_filters_and_pagination(client: Any, world: World) -> None:
    owner = world.people["owner"]
    for name in ("deploy_bot", "deployxbot", "50%off", "50xoff"):
        client.post("/api/credentials", json={"name": name, "kind": "organization"}, headers=owner.headers())

    def hints(**params: Any) -> list[str]:
        response = client.get("/api/audit", params={"limit": 200, **params}, headers=owner.headers())
        assert response.status_code == 200, response.text
        return [e["target_hint"] for e in response.json()["items"]]

    assert hints(target="deploy_") == ["deploy_bot"]
    assert hints(target="0%o") == ["50%off"]
    assert hints(action_prefix="credential.") == ["50xoff", "50%off", "deployxbot", "deploy_bot"]
    assert hints(action_prefix="credential_") == []
    assert hints(action="credential.created", actor_id=owner.user.id)[:1] == ["50xoff"]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/audit", params=params, headers=owner.headers()).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(set(seen), reverse=True) and len(seen) >= 4
    bad = client.get("/api/audit?cursor=abc", headers=owner.headers())
    assert bad.status_code == 400 and problem_code(bad) == "validation_failed"
    naive = client.get("/api/audit?since=2026-01-01T00:00:00", headers=owner.headers())
    assert naive.status_code == 400


def test_another_organisations_events_are_invisible(client: Any, world: World) -> None:
    b_owner = world.people["b_owner"]
    client.post(
        "/api/credentials",
        json={"name": "b-secret-project", "kind": "organization"},
        headers=b_owner.headers(),
    )
    owner = world.people["owner"]
    response = client.get("/api/audit?limit=200", headers=owner.headers())
    assert "b-secret-project" not in response.text
    assert all(e["org_id"] == world.orgs["a"].id for e in response.json()["items"])
