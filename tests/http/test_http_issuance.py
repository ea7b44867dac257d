"""One guarded way to issue a token, seen over HTTP.

The token endpoint and the dashboard's Generate Token refuse alike what the organisation's
policy refuses; a personal credential's tokens name its owner (``owner_sub``, JWT and
introspection alike) and follow the owner's current role.
"""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest

from tests.http.http_support import CLIENT_CREDENTIALS, INTROSPECT, TOKEN, assert_oauth_error, basic
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind, Organization, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

SYSTEM = Actor.system()
PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
JWT_LIKE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def _csrf(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def _sign_in(client: Any, email: str) -> str:
    form = client.get("/sign-in")
    signed = client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return _csrf(client.get("/credentials").text)


def _world(services: Services) -> tuple[Organization, str, str]:
    org = services.organizations.create(SYSTEM, "Acme")
    owner = services.organizations.create_user(
        SYSTEM, "owner@acme.test", org_id=org.id, role=Role.OWNER, password=PASSWORD
    )
    admin = services.organizations.create_user(
        SYSTEM, "admin@acme.test", org_id=org.id, role=Role.ADMIN, password=PASSWORD
    )
    return org, owner.id, admin.id


def _token(client: Any, client_id: str, secret: str, **data: str) -> Any:
    return client.post(TOKEN, data={**CLIENT_CREDENTIALS, **data}, headers=basic(client_id, secret))


def test_personal_credentials_disallowed_are_refused_at_every_door(
    client: Any, services: Services, log_guard: Any
) -> None:
    org, _owner_id, admin_id = _world(services)
    created = services.credentials.create(
        SYSTEM, org_id=org.id, name="mine", kind=CredentialKind.PERSONAL, user_id=admin_id
    )
    log_guard.remember_basic(created.credential.client_id, created.client_secret)
    csrf = _sign_in(client, "admin@acme.test")
    allowed = client.post(f"/credentials/{created.credential.id}/token", data={"csrf_token": csrf})
    assert allowed.status_code == 200 and JWT_LIKE.search(allowed.text)

    services.policies.update(SYSTEM, org.id, {"allow_personal_credentials": False})
    assert_oauth_error(
        _token(client, created.credential.client_id, created.client_secret), 400, "unauthorized_client"
    )
    refused = client.post(f"/credentials/{created.credential.id}/token", data={"csrf_token": csrf})
    assert refused.status_code == 403, refused.text
    assert "does not allow personal credentials" in refused.text
    assert not JWT_LIKE.search(refused.text)  # no token on the page


@pytest.mark.parametrize("token_format", [TokenFormat.JWT, TokenFormat.OPAQUE])
def test_a_personal_credentials_token_names_its_owner_and_follows_the_owners_role(
    client: Any, services: Services, log_guard: Any, token_format: TokenFormat
) -> None:
    org, owner_id, admin_id = _world(services)
    created = services.credentials.create(
        SYSTEM,
        org_id=org.id,
        name="admin's",
        kind=CredentialKind.PERSONAL,
        user_id=admin_id,
        scopes=["api/access", "members:write"],
        token_format=token_format,
    )
    cid, secret = created.credential.client_id, created.client_secret
    log_guard.remember_basic(cid, secret)
    resource_server = services.credentials.create(
        SYSTEM, org_id=org.id, name="api", kind=CredentialKind.ORGANIZATION
    )
    log_guard.remember_basic(resource_server.credential.client_id, resource_server.client_secret)

    first = _token(client, cid, secret)
    assert first.status_code == 200, first.text
    assert first.json()["scope"] == "api/access members:write"
    access = first.json()["access_token"]
    if token_format is TokenFormat.JWT:
        claims = jwt.decode(access, options={"verify_signature": False})
        assert (claims["sub"], claims["sub_kind"], claims["owner_sub"]) == (cid, "client", admin_id)
    seen = client.post(
        INTROSPECT,
        data={"token": access},
        headers=basic(resource_server.credential.client_id, resource_server.client_secret),
    ).json()
    assert seen["active"] is True
    assert (seen["sub"], seen["sub_kind"], seen["owner_sub"]) == (cid, "client", admin_id)

    # The owner is downgraded through the API: the credential's next token is narrower.
    pat = services.personal_tokens.create(
        SYSTEM, name="ops", scopes=["members:write"], org_id=org.id, user_id=owner_id
    )
    changed = client.patch(
        f"/api/orgs/{org.id}/members/{admin_id}",
        json={"role": "member"},
        headers={"Authorization": f"Bearer {pat.plain}"},
    )
    assert changed.status_code == 200, changed.text
    narrower = _token(client, cid, secret)
    assert narrower.status_code == 200 and narrower.json()["scope"] == "api/access"
    assert_oauth_error(_token(client, cid, secret, scope="members:write"), 400, "invalid_scope")

    # The owner is removed: the credential goes with them.
    removed = client.delete(
        f"/api/orgs/{org.id}/members/{admin_id}", headers={"Authorization": f"Bearer {pat.plain}"}
    )
    assert removed.status_code == 204, removed.text
    assert_oauth_error(_token(client, cid, secret), 401, "invalid_client", basic_challenge=True)


def test_a_member_cannot_create_a_personal_credential_beyond_their_role(
    client: Any, services: Services
) -> None:
    org = services.organizations.create(SYSTEM, "Acme")
    member = services.organizations.create_user(SYSTEM, "m@acme.test", org_id=org.id, role=Role.MEMBER)
    pat = services.personal_tokens.create(
        SYSTEM,
        name="all",
        scopes=["api/access", "credentials:write", "credentials:read", "members:write"],
        org_id=org.id,
        user_id=member.id,
    )
    response = client.post(
        "/api/credentials",
        json={"name": "wide", "kind": "personal", "scopes": ["api/access", "members:write"]},
        headers={"Authorization": f"Bearer {pat.plain}"},
    )
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "scope_not_allowed"
    assert "members:write" in response.json()["detail"]
