"""``GET /api/me`` answers who is calling for every kind of token the dashboard's "Test API Call"
generates — a personal credential's, an organisation credential's (client credentials grant,
RFC 6749 §4.4) and one exchanged from a personal token (RFC 8693) — obtained over HTTP from the
token endpoint, as a user would. A client's token is described (``subject_type: client``);
every other management operation still refuses it exactly as before."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.management.conftest import ACCESS_TOKEN_TYPE, Person, World, problem_code
from tests.management.test_openapi_fuzz import OPERATIONS
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import FrozenClock
from tokensmith.core.records import Credential, CredentialKind, TokenFormat
from tokensmith.core.roles import Role

TOKEN = "/oauth2/token"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
CLIENT_REFUSAL = "this access token was issued to a client, not a user; use a personal token or exchange it"


def _client_token(client: Any, world: World, credential: Credential, scopes: list[str]) -> str:
    secret = world.services.credentials.regenerate(world.people["owner"].actor, credential.id).client_secret
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
        auth=(credential.client_id, secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_organisation_credentials_token(client: Any, world: World) -> None:
    credential = world.credential(CredentialKind.ORGANIZATION, "a")
    token = _client_token(client, world, credential, ["api/access"])
    response = client.get("/api/me", headers=_bearer(token))
    assert response.status_code == 200, response.text
    org = world.orgs["a"]
    assert response.json() == {
        "credential": {
            "id": credential.id,
            "client_id": credential.client_id,
            "name": credential.name,
            "kind": "organization",
        },
        "org": {"id": org.id, "name": org.name},
        "owner": None,
        "scopes": ["api/access"],
        "auth": "access_token",
        "subject_type": "client",
    }


def test_a_personal_credentials_token_names_its_owner(client: Any, world: World) -> None:
    member = world.people["member"]
    credential = world.credential(CredentialKind.PERSONAL, "a", owner=member)
    token = _client_token(client, world, credential, [])
    body = client.get("/api/me", headers=_bearer(token)).json()
    assert body["subject_type"] == "client"
    assert (
        body["credential"]["kind"] == "personal" and body["credential"]["client_id"] == credential.client_id
    )
    assert body["owner"] == {"id": member.user.id, "email": member.user.email}
    assert body["scopes"] == sorted(credential.scopes)


def test_an_exchanged_personal_tokens_token_is_the_user(client: Any, world: World) -> None:
    member = world.people["member"]
    response = client.post(
        TOKEN,
        data={"grant_type": EXCHANGE, "subject_token": member.pat, "subject_token_type": ACCESS_TOKEN_TYPE},
    )
    assert response.status_code == 200, response.text
    me = client.get("/api/me", headers=_bearer(response.json()["access_token"]))
    assert me.status_code == 200, me.text
    body = me.json()
    assert (body["subject_type"], body["auth"], body["user"]["id"]) == (
        "user",
        "access_token",
        member.user.id,
    )


def test_a_users_answer_keeps_its_fields(client: Any, world: World) -> None:
    admin: Person = world.people["admin"]
    response = client.get("/api/me", headers=admin.headers())
    assert response.json() == {
        "user": {"id": admin.user.id, "email": admin.user.email},
        "org": {"id": admin.org.id, "name": admin.org.name},
        "role": "admin",
        "scopes": sorted(world.services.personal_tokens.get(admin.actor, admin.pat_id).scopes),
        "auth": "personal_token",
        "subject_type": "user",
    }


def test_an_opaque_client_token_is_described_alike(client: Any, world: World, clock: FrozenClock) -> None:
    created = world.services.credentials.create(
        world.people["owner"].actor,
        org_id=world.orgs["a"].id,
        name="opaque",
        kind=CredentialKind.ORGANIZATION,
        token_format=TokenFormat.OPAQUE,
    )
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(created.credential.client_id, created.client_secret),
    )
    opaque = response.json()["access_token"]
    assert opaque.startswith(world.services.settings.opaque_token_prefix)
    me = client.get("/api/me", headers=_bearer(opaque))
    assert me.status_code == 200, me.text
    body = me.json()
    assert (body["subject_type"], body["credential"]["id"], body["owner"]) == (
        "client",
        created.credential.id,
        None,
    )
    # Still no management operation for it, and a made-up opaque token is nobody.
    refused = client.get("/api/tokens", headers=_bearer(opaque))
    assert refused.status_code == 401 and refused.json()["detail"] == "the access token is invalid or expired"
    forged = opaque[:-6] + ("AAAAAA" if not opaque.endswith("AAAAAA") else "BBBBBB")
    assert client.get("/api/me", headers=_bearer(forged)).status_code == 401
    clock.advance(seconds=created.credential.token_ttl)
    expired = client.get("/api/me", headers=_bearer(opaque))
    assert expired.status_code == 401 and expired.json()["detail"] == "the access token is invalid or expired"


def test_a_revoked_or_orphaned_client_token_is_refused(client: Any, world: World) -> None:
    credential = world.credential(CredentialKind.ORGANIZATION, "a")
    secret = world.services.credentials.regenerate(world.people["owner"].actor, credential.id).client_secret
    token = client.post(TOKEN, data={"grant_type": "client_credentials"}, auth=(credential.client_id, secret))
    access = token.json()["access_token"]
    assert client.get("/api/me", headers=_bearer(access)).status_code == 200
    revoked = client.post("/oauth2/revoke", data={"token": access}, auth=(credential.client_id, secret))
    assert revoked.status_code == 200
    response = client.get("/api/me", headers=_bearer(access))
    assert response.status_code == 401 and problem_code(response) == "invalid_token"
    assert response.json()["detail"] == "the access token was revoked"

    other = world.credential(CredentialKind.ORGANIZATION, "a")
    access = _client_token(client, world, other, [])
    world.services.credentials.delete(world.people["owner"].actor, other.id)
    response = client.get("/api/me", headers=_bearer(access))
    assert response.status_code == 401 and problem_code(response) == "invalid_token"
    assert response.json()["detail"] == "the access token's credential was deleted"


#: Every management operation but ``GET /api/me`` (the contract test's list of them all).
OTHER_OPERATIONS = [operation for operation in OPERATIONS if operation != ("GET", "/api/me")]
#: The one operation that takes no authentication at all (scanners report leaked secrets to it).
UNAUTHENTICATED = {("POST", "/api/credentials/revoke-leaked")}


def test_every_other_operation_is_listed(app: Any) -> None:
    documented = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/") and path != "/api/me"
        for method in item
    }
    assert documented == set(OTHER_OPERATIONS)


@pytest.mark.parametrize(("method", "path"), [op for op in OTHER_OPERATIONS if op not in UNAUTHENTICATED])
def test_every_other_operation_still_refuses_a_client_token(
    client: Any, world: World, method: str, path: str
) -> None:
    owner = world.people["owner"]
    credential = world.credential(CredentialKind.ORGANIZATION, "a")
    token = _client_token(client, world, credential, ["api/access"])
    url = path.format(
        token_id=owner.pat_id,
        credential_id=credential.id,
        org_id=owner.org.id,
        user=owner.user.email,
        resource_id="mcp",
        endpoint_id="wh_unknown",
        delivery_id="dl_unknown",
        app_id="app_unknown",
        client_id="client_unknown",
        thumbprint="unknown",
    )
    body = {"name": "x", "scopes": ["api/access"]} if method in ("POST", "PATCH") else None
    response = client.request(method, url, headers=_bearer(token), json=body)
    assert response.status_code == 401 and problem_code(response) == "invalid_token"
    assert response.json()["detail"] == CLIENT_REFUSAL
    assert client.get(f"/api/tokens/{owner.pat_id}", headers=owner.headers()).json()["revoked_at"] is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_test_api_calls_default_url_answers_every_token_the_dashboard_generates(
    live_server: LiveServer, make_org: Any
) -> None:
    """The dashboard's own path, against a live server: Generate Token for a personal and an
    organisation credential (JWT and opaque), and a token exchanged from a personal token, each
    sent by Test API Call to its default URL, ``{issuer}/api/me``."""
    svc = live_server.services
    org = make_org()
    owner = svc.organizations.create_user(
        Actor.system(), "console@example.test", org_id=org.id, role=Role.OWNER
    )
    session = Actor(
        method=AuthMethod.SESSION,
        transport=Transport.DASHBOARD,
        user_id=owner.id,
        email=owner.email,
        org_id=org.id,
        role=Role.OWNER,
    )
    default_url = live_server.url + "/api/me"
    tokens: dict[str, str] = {}
    for kind in CredentialKind:
        for token_format in TokenFormat:
            created = svc.credentials.create(
                session, org_id=org.id, name=f"{kind}-{token_format}", kind=kind, token_format=token_format
            )
            tokens[f"{kind}-{token_format}"] = svc.studio.generate(
                session, created.credential.id
            ).issued.access_token
    pat = svc.personal_tokens.create(session, name="console", scopes=["api/access"]).plain
    exchanged = httpx.post(
        live_server.url + TOKEN,
        data={"grant_type": EXCHANGE, "subject_token": pat, "subject_token_type": ACCESS_TOKEN_TYPE},
        timeout=30,
    )
    tokens["exchanged"] = exchanged.json()["access_token"]

    for label, token in tokens.items():
        answer = svc.api_console.call("GET", default_url, token)
        assert answer.status == 200, (label, answer.body)
        body = json.loads(answer.body)
        assert body["org"] == {"id": org.id, "name": org.name}
        if label == "exchanged":
            assert (body["subject_type"], body["user"]["id"]) == ("user", owner.id)
        else:
            assert body["subject_type"] == "client" and body["credential"]["kind"] == label.split("-")[0]
            assert body["owner"] == (
                {"id": owner.id, "email": owner.email} if label.startswith("personal") else None
            )
