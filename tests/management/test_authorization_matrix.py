"""Who may do what: role × object kind × organisation × authentication method.

Exact statuses and problem codes. Scopes are a ceiling; the role still decides; another
member's personal objects and another organisation's objects answer 404.
"""

from __future__ import annotations

from typing import Any

import pytest

from tokensmith.core.records import CredentialKind
from tokensmith.core.roles import Role

from .conftest import World, problem_code

ROLES = ["owner", "admin", "member"]
AUTHS = ["pat", "access"]
# (object, where) → whose/which credential the caller targets
TARGETS = ["own_personal", "other_member_personal", "org_same", "org_other", "personal_other_org"]


def _target(world: World, caller: str, target: str) -> str:
    people = world.people
    if target == "own_personal":
        return world.credential(CredentialKind.PERSONAL, "a", people[caller]).client_id
    if target == "other_member_personal":
        return world.credential(CredentialKind.PERSONAL, "a", people["member2"]).client_id
    if target == "org_same":
        return world.credential(CredentialKind.ORGANIZATION, "a").client_id
    if target == "org_other":
        return world.credential(CredentialKind.ORGANIZATION, "b").client_id
    return world.credential(CredentialKind.PERSONAL, "b", people["b_owner"]).client_id


def _expected(role: str, target: str, write: bool) -> tuple[int, str | None]:
    if target in ("other_member_personal", "org_other", "personal_other_org"):
        return 404, "not_found"
    if target == "org_same" and write and role == "member":
        return 403, "forbidden"
    return 200, None


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_credential_matrix(client: Any, world: World, role: str, target: str, auth: str) -> None:
    headers = world.people[role].headers(auth)
    ref = _target(world, role, target)
    listed = client.get("/api/credentials?limit=200", headers=headers).json()["items"]
    visible = ref in [c["client_id"] for c in listed]
    assert visible == (target in ("own_personal", "org_same"))
    operations = [
        ("GET", f"/api/credentials/{ref}", None, False),
        ("PATCH", f"/api/credentials/{ref}", {"name": "renamed"}, True),
        ("POST", f"/api/credentials/{ref}/regenerate", {}, True),
        ("DELETE", f"/api/credentials/{ref}", None, True),
    ]
    for method, path, body, write in operations:
        response = client.request(method, path, json=body, headers=headers)
        status, code = _expected(role, target, write)
        if method == "DELETE" and status == 200:
            status = 204
        assert response.status_code == status, (method, path, response.text)
        if code is not None:
            assert problem_code(response) == code


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("kind", ["personal", "organization"])
@pytest.mark.parametrize("role", ROLES)
def test_credential_creation(client: Any, world: World, role: str, kind: str, auth: str) -> None:
    response = client.post(
        "/api/credentials", json={"name": "made", "kind": kind}, headers=world.people[role].headers(auth)
    )
    if kind == "organization" and role == "member":
        assert response.status_code == 403 and problem_code(response) == "forbidden"
        return
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == kind and body["org_id"] == world.orgs["a"].id
    assert body["user_id"] == (world.people[role].user.id if kind == "personal" else None)
    assert body["client_secret"].startswith("tss_")


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_tokens_of_others_answer_404(client: Any, world: World, role: str, auth: str) -> None:
    headers = world.people[role].headers(auth)
    for other in ("member2", "b_owner"):
        token_id = world.people[other].pat_id
        for method, body in (("GET", None), ("PATCH", {"name": "mine now"}), ("DELETE", None)):
            response = client.request(method, f"/api/tokens/{token_id}", json=body, headers=headers)
            assert response.status_code == 404 and problem_code(response) == "not_found", (other, method)
        listed = client.get("/api/tokens", headers=headers).json()["items"]
        assert token_id not in [t["id"] for t in listed]
    assert client.get("/api/me", headers=world.people["member2"].headers()).status_code == 200


def _members_expectations(role: str) -> dict[str, tuple[int, str | None]]:
    admin = role in ("owner", "admin")
    return {
        "list": (200, None),
        "add_member": (201, None) if admin else (403, "forbidden"),
        "add_owner": (201, None) if role == "owner" else (403, "forbidden"),
        "promote_member": (200, None) if admin else (403, "forbidden"),
        "demote_owner": (200, None) if role == "owner" else (403, "forbidden"),
        "remove_member": (204, None) if admin else (403, "forbidden"),
        "policy_get": (200, None),
        "policy_set": (200, None) if admin else (403, "forbidden"),
        "audit": (200, None) if admin else (403, "forbidden"),
    }


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_members_policy_and_audit_matrix(client: Any, world: World, role: str, auth: str) -> None:
    caller = world.people[role]
    headers = caller.headers(auth)
    org = world.orgs["a"].id
    # A second owner so that demoting one is allowed when the role permits it.
    second_owner = world.person("owner2", "a", Role.OWNER)
    expected = _members_expectations(role)
    calls = {
        "list": ("GET", f"/api/orgs/{org}/members", None),
        "add_member": ("POST", f"/api/orgs/{org}/members", {"email": "new@example.test", "role": "member"}),
        "add_owner": ("POST", f"/api/orgs/{org}/members", {"email": "boss@example.test", "role": "owner"}),
        "promote_member": (
            "PATCH",
            f"/api/orgs/{org}/members/{world.people['member2'].user.id}",
            {"role": "admin"},
        ),
        "demote_owner": ("PATCH", f"/api/orgs/{org}/members/{second_owner.user.email}", {"role": "member"}),
        "remove_member": ("DELETE", f"/api/orgs/{org}/members/{world.people['member2'].user.id}", None),
        "policy_get": ("GET", f"/api/orgs/{org}/policy", None),
        "policy_set": ("PATCH", f"/api/orgs/{org}/policy", {"pat_inactivity_days": 30}),
        "audit": ("GET", "/api/audit", None),
    }
    for name, (method, path, body) in calls.items():
        response = client.request(method, path, json=body, headers=headers)
        status, code = expected[name]
        assert response.status_code == status, (name, response.text)
        if code is not None:
            assert problem_code(response) == code, name


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_other_organisation_answers_404(client: Any, world: World, role: str, auth: str) -> None:
    headers = world.people[role].headers(auth)
    other = world.orgs["b"].id
    b_owner = world.people["b_owner"].user.id
    for method, path, body in (
        ("GET", f"/api/orgs/{other}", None),
        ("GET", f"/api/orgs/{other}/members", None),
        ("POST", f"/api/orgs/{other}/members", {"email": "x@example.test"}),
        ("PATCH", f"/api/orgs/{other}/members/{b_owner}", {"role": "member"}),
        ("DELETE", f"/api/orgs/{other}/members/{b_owner}", None),
        ("GET", f"/api/orgs/{other}/policy", None),
        ("PATCH", f"/api/orgs/{other}/policy", {"allow_org_credentials": False}),
    ):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 404 and problem_code(response) == "not_found", (method, path)


def test_acting_org_is_the_tokens_even_for_a_member_of_both(client: Any, world: World) -> None:
    owner = world.people["owner"]
    world.services.members.add(owner.actor, world.orgs["b"].id, owner.user.email, Role.MEMBER)
    orgs = client.get("/api/orgs", headers=owner.headers()).json()
    assert sorted(o["id"] for o in orgs) == sorted([world.orgs["a"].id, world.orgs["b"].id])
    response = client.get(f"/api/orgs/{world.orgs['b'].id}/members", headers=owner.headers())
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("scopes", "method", "path_key", "body"),
    [
        (["tokens:read"], "POST", "tokens", {"name": "x", "scopes": ["tokens:read"]}),
        (["credentials:read"], "POST", "credentials", {"name": "x", "kind": "personal"}),
        (["tokens:read"], "GET", "credentials", None),
        (["members:read"], "POST", "members", {"email": "y@example.test"}),
        (["tokens:read"], "GET", "members", None),
        (["members:read"], "PATCH", "policy", {"pat_inactivity_days": 3}),
        (["members:write"], "GET", "audit", None),
    ],
)
def test_scopes_are_a_ceiling_even_for_owners(
    client: Any, world: World, scopes: list[str], method: str, path_key: str, body: Any
) -> None:
    owner = world.people["owner"]
    plain, _ = world.token_for(owner, scopes)
    org = world.orgs["a"].id
    path = {
        "tokens": "/api/tokens",
        "credentials": "/api/credentials",
        "members": f"/api/orgs/{org}/members",
        "policy": f"/api/orgs/{org}/policy",
        "audit": "/api/audit",
    }[path_key]
    response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403 and problem_code(response) == "insufficient_scope"
