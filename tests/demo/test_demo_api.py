"""The demo resource API: scopes as a ceiling, resource-level rules on top."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tokensmith.token_format import checksum
from tokensmith.verify.testing import FakeIssuer

Auth = Callable[..., dict[str, str]]
#: A well-formed personal token (the verifier checks the checksum before introspecting).
_BODY = "0123456789abcdefghijABCDEFGHIJ"
PAT = f"tsp_{_BODY}{checksum('tsp_' + _BODY)}"


def test_whoami(api: TestClient, auth: Auth) -> None:
    response = api.get("/api/whoami", headers=auth("voice:read", kind="user", subject="usr_7"))
    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "usr_7"
    assert body["subject_kind"] == "user"
    assert body["organization_id"] == "org_1"
    assert body["scopes"] == ["voice:read"]
    assert body["expires_at"] == "2026-01-01T01:00:00+00:00"


def test_missing_token(api: TestClient) -> None:
    response = api.get("/api/projects")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="demo"'


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/projects", "project:read"),
        ("GET", "/api/voices", "voice:read"),
        ("GET", "/api/members", "members:read"),
        ("POST", "/api/projects", "project:write"),
        ("POST", "/api/members", "members:write"),
    ],
)
def test_each_route_needs_its_scope(api: TestClient, auth: Auth, method: str, path: str, scope: str) -> None:
    body = {"name": "x", "email": "a@example.test"}
    denied = api.request(method, path, headers=auth("unrelated:scope"), json=body)
    assert denied.status_code == 403
    assert f'scope="{scope}"' in denied.headers["www-authenticate"]
    allowed = api.request(method, path, headers=auth(scope), json=body)
    assert allowed.status_code in (200, 201)


def test_api_access_reads_everything_but_writes_nothing(api: TestClient, auth: Auth) -> None:
    headers = auth("api/access")
    for path in ("/api/projects", "/api/voices", "/api/members"):
        assert api.get(path, headers=headers).status_code == 200
    assert api.post("/api/projects", headers=headers, json={"name": "x"}).status_code == 403
    assert api.post("/api/members", headers=headers, json={"email": "a@example.test"}).status_code == 403


def test_projects_are_per_organisation(api: TestClient, auth: Auth) -> None:
    created = api.post("/api/projects", headers=auth("project:write"), json={"name": "Launch"})
    assert created.status_code == 201
    project = created.json()
    assert project["created_by"] == "abcdefghijklmnopqrstuvwxyz"
    mine = api.get("/api/projects", headers=auth("project:read")).json()["items"]
    theirs = api.get("/api/projects", headers=auth("project:read", org_id="org_2")).json()["items"]
    assert project["id"] in {p["id"] for p in mine}
    assert project["id"] not in {p["id"] for p in theirs}
    # another organisation's project is "not found", even with project:write
    response = api.patch(
        f"/api/projects/{project['id']}",
        headers=auth("project:write", org_id="org_2"),
        json={"name": "Stolen"},
    )
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "error_description": "No such project."}


def test_only_creator_or_client_may_archive(api: TestClient, auth: Auth) -> None:
    alice = auth("project:write project:read", kind="user", subject="usr_alice")
    bob = auth("project:write", kind="user", subject="usr_bob")
    project = api.post("/api/projects", headers=alice, json={"name": "Alice's"}).json()
    path = f"/api/projects/{project['id']}"
    assert api.patch(path, headers=bob, json={"name": "Renamed by Bob"}).status_code == 200
    refused = api.patch(path, headers=bob, json={"archived": True})
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    archived = api.patch(path, headers=alice, json={"archived": True})
    assert archived.status_code == 200
    assert archived.json() == {**project, "name": "Renamed by Bob", "archived": True}
    restored = api.patch(path, headers=auth("project:write", kind="client"), json={"archived": False})
    assert restored.json()["archived"] is False


def test_members(api: TestClient, auth: Auth) -> None:
    writer = auth("members:write members:read")
    added = api.post("/api/members", headers=writer, json={"email": "new@example.test", "role": "admin"})
    assert added.status_code == 201
    assert added.json()["role"] == "admin"
    again = api.post("/api/members", headers=writer, json={"email": "NEW@example.test"})
    assert again.status_code == 409
    listed = api.get("/api/members", headers=writer).json()["items"]
    assert [m["email"] for m in listed] == ["new@example.test"]
    assert api.post("/api/members", headers=writer, json={"email": "not-an-email"}).status_code == 422


def test_voices(api: TestClient, auth: Auth) -> None:
    items = api.get("/api/voices", headers=auth("voice:read")).json()["items"]
    assert {v["id"] for v in items} == {"voice_aria", "voice_basil", "voice_chloe"}


def test_personal_token_through_introspection(api: TestClient, issuer: FakeIssuer) -> None:
    answer = {"sub": "usr_1", "org_id": "org_1", "scope": "voice:read", "token_use": "personal"}
    issuer.introspection_answers[PAT] = answer
    headers = {"Authorization": f"Bearer {PAT}"}
    assert api.get("/api/voices", headers=headers).status_code == 200
    assert api.get("/api/projects", headers=headers).status_code == 403
    assert api.get("/api/whoami", headers=headers).json()["subject_kind"] == "user"


def test_token_without_organisation_is_refused(api: TestClient, auth: Auth, issuer: FakeIssuer) -> None:
    token = issuer.mint(scopes="project:read", claims={"org_id": None})
    response = api.get("/api/projects", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_expired_token(api: TestClient, issuer: FakeIssuer) -> None:
    token = issuer.mint(scopes="project:read", ttl=10)
    issuer.clock.advance(100)
    response = api.get("/api/projects", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": "The access token expired."}
