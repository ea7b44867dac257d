"""``/api/orgs/{org}/webhooks`` through the real app: owners and admins only, another
organisation's id is 404, the secret is shown once, the SSRF guard refuses private addresses,
deliveries are listed and replayed."""

from __future__ import annotations

from typing import Any

from tests.management.conftest import World, problem_code
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind
from tokensmith.core.webhook_events import EVENT_TYPES


def base(world: World, org: str = "a") -> str:
    return f"/api/orgs/{world.orgs[org].id}/webhooks"


def create(client: Any, world: World, who: str = "admin", **body: Any) -> Any:
    payload = {"url": "https://hooks.example.com/tokensmith", "events": ["credential.created"]} | body
    return client.post(base(world), json=payload, headers=world.people[who].headers())


def test_an_admin_registers_lists_changes_and_deletes_an_endpoint(client: Any, world: World) -> None:
    created = create(client, world, events=["token.revoked", "credential.created", "token.revoked"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["credential.created", "token.revoked"]
    assert (body["enabled"], body["failure_count"], body["disabled_reason"]) == (True, 0, None)
    headers = world.people["owner"].headers()

    listed = client.get(base(world), headers=headers)
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()] == [body["id"]]
    assert "secret" not in listed.json()[0] and body["secret"] not in listed.text
    assert client.get(f"{base(world)}/{body['id']}", headers=headers).json()["url"] == body["url"]

    changed = client.patch(
        f"{base(world)}/{body['id']}",
        json={"events": ["member.role_changed"], "enabled": False},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["events"], changed.json()["enabled"]) == (["member.role_changed"], False)
    assert changed.json()["disabled_reason"] == "by_admin"

    assert client.delete(f"{base(world)}/{body['id']}", headers=headers).status_code == 204
    gone = client.get(f"{base(world)}/{body['id']}", headers=headers)
    assert (gone.status_code, problem_code(gone)) == (404, "not_found")


def test_members_may_not_and_other_organisations_do_not_see(client: Any, world: World) -> None:
    refused = create(client, world, who="member")
    assert (refused.status_code, problem_code(refused)) == (403, "forbidden")
    listed = client.get(base(world), headers=world.people["member"].headers())
    assert (listed.status_code, problem_code(listed)) == (403, "forbidden")
    body = create(client, world).json()
    foreign = client.get(f"{base(world)}/{body['id']}", headers=world.people["b_owner"].headers())
    assert (foreign.status_code, problem_code(foreign)) == (404, "not_found")
    other_org = client.get(base(world), headers=world.people["b_owner"].headers())
    assert (other_org.status_code, problem_code(other_org)) == (404, "not_found")
    wrong_org = client.get(
        f"/api/orgs/{world.orgs['b'].id}/webhooks/{body['id']}", headers=world.people["b_owner"].headers()
    )
    assert (wrong_org.status_code, problem_code(wrong_org)) == (404, "not_found")


def test_a_token_without_the_webhook_scopes_is_refused(client: Any, world: World) -> None:
    plain, _ = world.token_for(world.people["admin"], ["credentials:read"])
    refused = client.get(base(world), headers={"Authorization": f"Bearer {plain}"})
    assert (refused.status_code, problem_code(refused)) == (403, "insufficient_scope")
    assert 'scope="webhooks:read"' in refused.headers["www-authenticate"]


def test_private_addresses_and_unknown_events_are_refused(client: Any, world: World) -> None:
    for url in (
        "http://127.0.0.1:8000/x",
        "http://169.254.169.254/",
        "http://localhost/x",
        "file:///etc/passwd",
    ):
        refused = create(client, world, url=url)
        assert (refused.status_code, problem_code(refused)) == (400, "url_not_allowed"), url
    unknown = create(client, world, events=["credential.exploded"])
    assert (unknown.status_code, problem_code(unknown)) == (400, "validation_failed")
    assert "credential.exploded" in unknown.json()["detail"]
    empty = create(client, world, events=[])
    assert (empty.status_code, problem_code(empty)) == (400, "validation_failed")
    extra = create(client, world, secret="whsec_mine")
    assert (extra.status_code, problem_code(extra)) == (400, "validation_failed")
    for url in ("https://hooks.example.com/\u0000", "https://hooks.example.com/a\tb"):
        control = create(client, world, url=url)
        assert (control.status_code, problem_code(control)) == (400, "url_not_allowed"), url


def test_event_types_are_listed(client: Any, world: World) -> None:
    listed = client.get(f"{base(world)}/event-types", headers=world.people["admin"].headers())
    assert listed.status_code == 200
    assert {e["type"] for e in listed.json()} == set(EVENT_TYPES)


def test_deliveries_are_listed_and_replayed(client: Any, world: World) -> None:
    body = create(client, world).json()
    credential = world.credential(CredentialKind.ORGANIZATION, "a")
    headers = world.people["admin"].headers()
    listed = client.get(f"{base(world)}/{body['id']}/deliveries", headers=headers)
    assert listed.status_code == 200
    (delivery,) = listed.json()
    assert delivery["event_type"] == "credential.created" and delivery["status"] == "pending"
    assert delivery["payload"]["data"]["target"]["id"] == credential.client_id
    assert delivery["id"].startswith("msg_")

    replayed = client.post(f"{base(world)}/{body['id']}/deliveries/{delivery['id']}/replay", headers=headers)
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["id"] == delivery["id"]
    missing = client.post(f"{base(world)}/{body['id']}/deliveries/msg_nope/replay", headers=headers)
    assert (missing.status_code, problem_code(missing)) == (404, "not_found")
    audit = world.services.audit_query.list(Actor.system(), org_id=world.orgs["a"].id)
    assert {"webhook.created", "webhook.replayed"} <= {e.action for e in audit.items}
