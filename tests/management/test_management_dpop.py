"""DPoP-bound tokens on Tokensmith's own protected resources (RFC 9449 §7): the management API
refuses them as Bearer and accepts them only as ``Authorization: DPoP`` with a valid proof of the
token's key; ``/mcp`` likewise. Real app over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.dpop_proofs import ProofKey
from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, basic
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
CREDENTIALS_URL = "http://testserver/api/credentials"


def _user_token(client: Any, services: Services, key: ProofKey | None) -> str:
    """A member's personal token exchanged for an access token, DPoP-bound to ``key`` if given."""
    org = services.organizations.create(Actor.system(), f"org-{uuid.uuid4().hex[:8]}")
    user = services.organizations.create_user(
        Actor.system(), f"dpop-{uuid.uuid4().hex[:8]}@example.test", org_id=org.id, role=Role.ADMIN
    )
    pat = services.personal_tokens.create(
        Actor.system(), name="cli", scopes=["credentials:read"], org_id=org.id, user_id=user.id
    )
    headers = {"DPoP": key.proof("POST", "http://testserver/oauth2/token")} if key else {}
    response = client.post(
        TOKEN,
        data={"grant_type": EXCHANGE, "subject_token": pat.plain, "subject_token_type": ACCESS_TOKEN_TYPE},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == ("DPoP" if key else "Bearer")
    return str(response.json()["access_token"])


def _dpop_get(client: Any, url: str, token: str, proof: str | None) -> Any:
    headers = {"Authorization": f"DPoP {token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return client.get(url, headers=headers)


def _assert_dpop_refusal(response: Any, code: str = "invalid_dpop_proof") -> None:
    assert response.status_code == 401, response.text
    assert response.json()["code"] == code
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'DPoP realm="tokensmith", error="{code}"'), challenge
    assert 'algs="ES256 EdDSA RS256 PS256"' in challenge


def test_a_bound_token_presented_as_bearer_is_refused(client: Any, services: Services) -> None:
    token = _user_token(client, services, ProofKey())
    response = client.get("/api/credentials", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert "DPoP-bound" in response.json()["detail"]


def test_a_bound_token_with_its_proof_is_accepted(client: Any, services: Services) -> None:
    key = ProofKey()
    token = _user_token(client, services, key)
    response = _dpop_get(
        client, "/api/credentials", token, key.proof("GET", CREDENTIALS_URL, access_token=token)
    )
    assert response.status_code == 200, response.text


def test_a_bound_token_without_proof_or_with_a_bad_one_is_refused(client: Any, services: Services) -> None:
    key = ProofKey()
    token = _user_token(client, services, key)
    _assert_dpop_refusal(_dpop_get(client, "/api/credentials", token, None))
    # §4.3 point 12: no ath, or the ath of another token.
    _assert_dpop_refusal(_dpop_get(client, "/api/credentials", token, key.proof("GET", CREDENTIALS_URL)))
    other_ath = key.proof("GET", CREDENTIALS_URL, access_token=token + "x")
    _assert_dpop_refusal(_dpop_get(client, "/api/credentials", token, other_ath))
    # Another URL, another method.
    wrong_url = key.proof("GET", "http://testserver/api/me", access_token=token)
    _assert_dpop_refusal(_dpop_get(client, "/api/credentials", token, wrong_url))
    wrong_method = key.proof("POST", CREDENTIALS_URL, access_token=token)
    _assert_dpop_refusal(_dpop_get(client, "/api/credentials", token, wrong_method))


def test_a_proof_by_another_key_than_cnf_jkt_is_refused(client: Any, services: Services) -> None:
    token = _user_token(client, services, ProofKey())
    thief = ProofKey()
    response = _dpop_get(
        client, "/api/credentials", token, thief.proof("GET", CREDENTIALS_URL, access_token=token)
    )
    _assert_dpop_refusal(response)
    assert "another key" in response.json()["detail"]


def test_a_replayed_resource_proof_is_refused(client: Any, services: Services) -> None:
    key = ProofKey()
    token = _user_token(client, services, key)
    proof = key.proof("GET", CREDENTIALS_URL, access_token=token)
    assert _dpop_get(client, "/api/credentials", token, proof).status_code == 200
    _assert_dpop_refusal(_dpop_get(client, "/api/credentials", token, proof))


def test_an_unbound_token_or_a_personal_token_as_dpop_is_refused(client: Any, services: Services) -> None:
    key = ProofKey()
    token = _user_token(client, services, None)
    response = _dpop_get(
        client, "/api/credentials", token, key.proof("GET", CREDENTIALS_URL, access_token=token)
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    assert client.get("/api/credentials", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_a_bound_client_token_on_api_me(client: Any, make_credential: Any, token_format: str) -> None:
    key = ProofKey()
    cred = make_credential(token_format=token_format)
    issued = client.post(
        TOKEN,
        data=CLIENT_CREDENTIALS,
        headers={
            **basic(cred.client_id, cred.client_secret),
            "DPoP": key.proof("POST", "http://testserver/oauth2/token"),
        },
    ).json()
    token = issued["access_token"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    me = _dpop_get(client, "/api/me", token, key.proof("GET", "http://testserver/api/me", access_token=token))
    assert me.status_code == 200, me.text
    stolen = _dpop_get(
        client, "/api/me", token, ProofKey().proof("GET", "http://testserver/api/me", access_token=token)
    )
    _assert_dpop_refusal(stolen)


# -- /mcp ------------------------------------------------------------------------------------------


def _mcp(server: LiveServer, authorization: str, proof: str | None) -> httpx.Response:
    headers = {"Accept": "application/json, text/event-stream", "Authorization": authorization}
    if proof is not None:
        headers["DPoP"] = proof
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_credentials", "arguments": {}},
    }
    return httpx.post(f"{server.url}/mcp", json=body, headers=headers, timeout=30)


def test_mcp_refuses_a_bound_token_as_bearer_and_accepts_it_with_a_proof(live_server: LiveServer) -> None:
    key = ProofKey()
    services = live_server.services
    org = services.organizations.create(Actor.system(), f"org-{uuid.uuid4().hex[:8]}")
    user = services.organizations.create_user(
        Actor.system(), f"mcp-{uuid.uuid4().hex[:8]}@example.test", org_id=org.id, role=Role.ADMIN
    )
    pat = services.personal_tokens.create(
        Actor.system(), name="mcp", scopes=["credentials:read"], org_id=org.id, user_id=user.id
    )
    token_url = f"{live_server.url}/oauth2/token"
    mcp_url = f"{live_server.url}/mcp"
    # /mcp accepts only tokens whose aud is its own resource URI (RFC 8707), bound or not.
    form = {"grant_type": EXCHANGE, "subject_token": pat.plain, "subject_token_type": ACCESS_TOKEN_TYPE}
    issued = httpx.post(
        token_url, data={**form, "resource": mcp_url}, headers={"DPoP": key.proof("POST", token_url)}
    ).json()
    assert issued["token_type"] == "DPoP", issued
    token = issued["access_token"]
    as_bearer = _mcp(live_server, f"Bearer {token}", None)
    assert as_bearer.status_code == 401 and as_bearer.json()["error"] == "invalid_token"
    stolen = _mcp(live_server, f"DPoP {token}", ProofKey().proof("POST", mcp_url, access_token=token))
    assert stolen.status_code == 401 and stolen.json()["error"] == "invalid_dpop_proof"
    assert stolen.headers["www-authenticate"].startswith('DPoP error="invalid_dpop_proof"')
    accepted = _mcp(live_server, f"DPoP {token}", key.proof("POST", mcp_url, access_token=token))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["result"]["isError"] is False


def test_rest_and_mcp_create_and_change_require_dpop(
    client: Any, live_server: LiveServer, services: Services
) -> None:
    """The flag on the management API (create, PATCH) and the MCP create tool; each change audited."""
    org = services.organizations.create(Actor.system(), f"org-{uuid.uuid4().hex[:8]}")
    user = services.organizations.create_user(
        Actor.system(), f"rest-{uuid.uuid4().hex[:8]}@example.test", org_id=org.id, role=Role.ADMIN
    )
    pat = services.personal_tokens.create(
        Actor.system(),
        name="api",
        scopes=["credentials:read", "credentials:write", "api/access"],
        org_id=org.id,
        user_id=user.id,
    ).plain
    auth = {"Authorization": f"Bearer {pat}"}
    created = client.post(
        "/api/credentials", json={"name": "bound", "kind": "organization", "require_dpop": True}, headers=auth
    )
    assert created.status_code == 201, created.text
    assert created.json()["require_dpop"] is True
    ref = created.json()["client_id"]
    assert client.get(f"/api/credentials/{ref}", headers=auth).json()["require_dpop"] is True
    patched = client.patch(f"/api/credentials/{ref}", json={"require_dpop": False}, headers=auth)
    assert patched.status_code == 200 and patched.json()["require_dpop"] is False
    assert patched.json()["name"] == "bound"
    refused = client.patch(f"/api/credentials/{ref}", json={"require_dpop": "yes"}, headers=auth)
    assert refused.status_code == 400
    from tokensmith.storage.repositories.audit import AuditRepository

    with services.database.transaction() as connection:
        events = AuditRepository(connection).list(org_id=org.id, action_prefix="credential.dpop_changed")
    assert [e.details for e in events] == [{"require_dpop": False}]

    # MCP, on a live server of its own.
    live = live_server.services
    mcp_org = live.organizations.create(Actor.system(), f"org-{uuid.uuid4().hex[:8]}")
    admin = live.organizations.create_user(
        Actor.system(), f"mcp-{uuid.uuid4().hex[:8]}@example.test", org_id=mcp_org.id, role=Role.ADMIN
    )
    mcp_pat = live.personal_tokens.create(
        Actor.system(),
        name="mcp",
        scopes=["credentials:write", "api/access"],
        org_id=mcp_org.id,
        user_id=admin.id,
    ).plain
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "create_credential",
            "arguments": {"name": "bound", "kind": "organization", "require_dpop": True},
        },
    }
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {mcp_pat}"}
    answer = httpx.post(f"{live_server.url}/mcp", json=body, headers=headers, timeout=30).json()
    assert answer["result"]["isError"] is False, answer
    assert answer["result"]["structuredContent"]["require_dpop"] is True
