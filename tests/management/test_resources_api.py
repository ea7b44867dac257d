"""``/api/resources``: anyone signed in reads the registry; only a token the operator granted
``resources:write`` adds or deletes (a dashboard session, an owner's ordinary token cannot)."""

from __future__ import annotations

from typing import Any

from tests.management.conftest import World, problem_code
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.storage.repositories.audit import AuditRepository

URI = "https://billing.example.test/v1"


def _operator_granted(world: World) -> dict[str, str]:
    """An owner holding a personal token the operator (CLI, Actor.system) granted resources:write."""
    owner = world.people["owner"]
    plain, _ = world.token_for(owner, ["resources:write"])
    return {"Authorization": f"Bearer {plain}"}


def test_everyone_signed_in_lists_the_built_in_resources(client: Any, world: World) -> None:
    response = client.get("/api/resources", headers=world.people["member"].headers())
    assert response.status_code == 200, response.text
    body = response.json()
    by_id = {item["id"]: item for item in body}
    services = world.services
    assert [item["id"] for item in body] == ["management", "mcp", "platform"]
    assert by_id["mcp"]["uri"] == services.issuer.rstrip("/") + "/mcp"
    assert by_id["mcp"]["scopes"] == [
        "credentials:read",
        "credentials:write",
        "tokens:read",
        "tokens:write",
        "webhooks:read",
        "webhooks:write",
    ]
    assert by_id["platform"]["uri"] == services.minter.audience
    assert (
        "api/access" in by_id["platform"]["scopes"] and "credentials:read" not in by_id["platform"]["scopes"]
    )
    assert all(item["builtin"] is True and item["created_at"] is None for item in body)
    one = client.get("/api/resources/mcp", headers=world.people["member"].headers())
    assert one.status_code == 200 and one.json() == by_id["mcp"]
    assert (
        problem_code(client.get("/api/resources/nope", headers=world.people["member"].headers()))
        == "not_found"
    )
    assert client.get("/api/resources").status_code == 401


def test_an_operator_granted_token_creates_and_deletes_and_it_is_audited(client: Any, world: World) -> None:
    headers = _operator_granted(world)
    created = client.post(
        "/api/resources", json={"name": "Billing", "uri": URI, "scopes": ["api/access"]}, headers=headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["uri"] == URI and body["scopes"] == ["api/access"] and body["builtin"] is False
    assert body["created_at"] is not None
    again = client.post("/api/resources", json={"name": "Again", "uri": URI}, headers=headers)
    assert again.status_code == 409 and problem_code(again) == "resource_exists"
    deleted = client.delete(f"/api/resources/{body['id']}", headers=headers)
    assert deleted.status_code == 204
    gone = client.delete(f"/api/resources/{body['id']}", headers=headers)
    assert gone.status_code == 404
    builtin = client.delete("/api/resources/mcp", headers=headers)
    assert builtin.status_code == 409 and problem_code(builtin) == "resource_builtin"
    with world.services.database.transaction() as connection:
        actions = [
            (event.action, event.target_id, event.actor_label, event.details.get("uri"))
            for event in AuditRepository(connection).list(org_id=None, action_prefix="resource.")
        ]
    owner = world.people["owner"].user.email
    assert ("resource.created", body["id"], owner, URI) in actions
    assert ("resource.deleted", body["id"], owner, URI) in actions


def test_an_owner_without_the_operator_scope_cannot_change_the_registry(client: Any, world: World) -> None:
    owner = world.people["owner"]
    assert owner.role is Role.OWNER
    for headers in (owner.headers(), owner.headers("access")):
        refused = client.post("/api/resources", json={"name": "x", "uri": URI}, headers=headers)
        assert refused.status_code == 403 and problem_code(refused) == "forbidden"
    created = world.services.resources.create(Actor.system(), name="Billing", uri=URI)
    refused = client.delete(f"/api/resources/{created.id}", headers=owner.headers())
    assert refused.status_code == 403


def test_nobody_but_the_operator_can_grant_resources_write(client: Any, world: World) -> None:
    response = client.post(
        "/api/tokens",
        json={"name": "escalate", "scopes": ["resources:write"]},
        headers=world.people["owner"].headers(),
    )
    assert response.status_code == 403 and problem_code(response) == "scope_not_allowed"


def test_hostile_resource_bodies_are_400(client: Any, world: World) -> None:
    headers = _operator_granted(world)
    for body, field_hint in (
        ({"name": "x", "uri": URI + "#frag"}, "fragment"),
        ({"name": "x", "uri": "/v1/relative"}, "absolute"),
        ({"name": "x", "uri": URI + "?a=1"}, "query"),
        ({"name": "x", "uri": "https:///nohost"}, "host"),
        ({"name": "x", "uri": URI, "scopes": ["not-a-scope"]}, "unknown scope"),
        ({"name": "x", "uri": URI, "extra": 1}, ""),
        ({"name": "", "uri": URI}, ""),
        ({"name": "x", "uri": "https://" + "a" * 2100}, ""),
    ):
        response = client.post("/api/resources", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert field_hint in response.json()["detail"], (body, response.json())
