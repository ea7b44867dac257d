"""``/api/authorized-apps`` and ``/api/oauth-clients`` over the real app, and the dashboard's Authorized
apps page: a person sees and revokes their own consents (scopes ``tokens:read`` / ``tokens:write``),
admins list and remove registered public clients; nobody else's are visible."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.authorization_support import (
    LOOPBACK_REDIRECT,
    REDIRECT_URI,
    Browser,
    Person,
    authorize_params,
    csrf_of,
    exchange,
    get_code,
    make_person,
    pkce_pair,
    refresh,
    register,
)
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.container import Services


@pytest.fixture
def person(services: Services) -> Person:
    return make_person(services, Role.MEMBER)


def _authorize(
    client: Any, person: Person, app: dict[str, Any], scope: str = "tokens:read tokens:write"
) -> dict[str, Any]:
    browser = Browser(client)
    browser.sign_in(person.email)
    verifier, challenge = pkce_pair()
    code = get_code(browser, person.org.id, authorize_params(app["client_id"], challenge, scope=scope))
    tokens: dict[str, Any] = exchange(client, app["client_id"], code, verifier).json()
    return tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_person_lists_and_revokes_their_authorized_app(
    client: Any, services: Services, person: Person
) -> None:
    app = register(client, [REDIRECT_URI, LOOPBACK_REDIRECT])
    tokens = _authorize(client, person, app)
    listed = client.get("/api/authorized-apps", headers=_bearer(tokens["access_token"]))
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["client_id"] == app["client_id"] and item["client_name"] == "Test App"
    assert item["scopes"] == ["tokens:read", "tokens:write"] and item["org_id"] == person.org.id
    assert listed.json()["next_cursor"] is None
    # Another person of the same organisation sees nothing of it and cannot revoke it.
    other = make_person(services, Role.ADMIN, org=person.org)
    other_token = services.personal_tokens.create(
        Actor.system(),
        name="t",
        scopes=["tokens:read", "tokens:write"],
        org_id=person.org.id,
        user_id=other.user_id,
    ).plain
    assert client.get("/api/authorized-apps", headers=_bearer(other_token)).json()["items"] == []
    assert (
        client.delete(f"/api/authorized-apps/{item['id']}", headers=_bearer(other_token)).status_code == 404
    )
    # The person revokes it with the app's own token: everything of it stops working.
    gone = client.delete(f"/api/authorized-apps/{item['id']}", headers=_bearer(tokens["access_token"]))
    assert gone.status_code == 204
    assert client.get("/api/me", headers=_bearer(tokens["access_token"])).status_code == 401
    assert refresh(client, app["client_id"], tokens["refresh_token"]).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_scopes_guard_the_list_and_the_revocation(client: Any, person: Person) -> None:
    app = register(client, [REDIRECT_URI])
    tokens = _authorize(client, person, app, scope="credentials:read")
    listed = client.get("/api/authorized-apps", headers=_bearer(tokens["access_token"]))
    assert listed.status_code == 403 and listed.json()["code"] == "insufficient_scope"
    revoked = client.delete("/api/authorized-apps/some-id", headers=_bearer(tokens["access_token"]))
    assert revoked.status_code == 403 and revoked.json()["code"] == "insufficient_scope"


def test_admins_list_and_remove_registered_clients(client: Any, services: Services, person: Person) -> None:
    app = register(client, [REDIRECT_URI])
    admin = make_person(services, Role.ADMIN, org=person.org)
    admin_token = services.personal_tokens.create(
        Actor.system(),
        name="t",
        scopes=["credentials:read", "credentials:write"],
        org_id=person.org.id,
        user_id=admin.user_id,
    ).plain
    member_token = services.personal_tokens.create(
        Actor.system(),
        name="t",
        scopes=["credentials:read", "credentials:write"],
        org_id=person.org.id,
        user_id=person.user_id,
    ).plain
    assert client.get("/api/oauth-clients", headers=_bearer(member_token)).status_code == 403
    listed = client.get("/api/oauth-clients", headers=_bearer(admin_token)).json()["items"]
    assert [c["client_id"] for c in listed] == [app["client_id"]]
    assert listed[0]["redirect_uris"] == [REDIRECT_URI]
    assert (
        client.delete(f"/api/oauth-clients/{app['client_id']}", headers=_bearer(member_token)).status_code
        == 403
    )
    assert (
        client.delete(f"/api/oauth-clients/{app['client_id']}", headers=_bearer(admin_token)).status_code
        == 204
    )
    assert (
        client.delete(f"/api/oauth-clients/{app['client_id']}", headers=_bearer(admin_token)).status_code
        == 404
    )
    assert client.get("/api/oauth-clients", headers=_bearer(admin_token)).json()["items"] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_authorized_apps_page(client: Any, person: Person) -> None:
    app = register(client, [REDIRECT_URI])
    tokens = _authorize(client, person, app)
    page = client.get("/apps")
    assert page.status_code == 200 and "Test App" in page.text
    app_id = client.get("/api/authorized-apps", headers=_bearer(tokens["access_token"])).json()["items"][0][
        "id"
    ]
    forged = client.post(f"/apps/{app_id}/revoke", data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    done = client.post(
        f"/apps/{app_id}/revoke", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/apps?done=app-revoked"
    assert client.get("/api/me", headers=_bearer(tokens["access_token"])).status_code == 401
    assert "No app is authorized" in client.get("/apps").text
