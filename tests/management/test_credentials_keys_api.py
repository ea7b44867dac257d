"""``/api/credentials`` for private_key_jwt credentials (RFC 7523 §2.2): created with a JWK Set or a
JWKS URI and no secret, shown by key thumbprint (RFC 7638), keys added, removed and replaced with
an audit event each — and every refusal a problem with its stable code."""

from __future__ import annotations

from typing import Any

from tests.http.private_key_jwt_support import ClientKeyPair
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import thumbprint

from .conftest import World, problem_code

TOKEN_URL = "http://testserver/oauth2/token"


def _authenticates(client: Any, client_id: str, pair: ClientKeyPair) -> bool:
    """Whether ``pair`` signs an assertion the token endpoint's service accepts for ``client_id``."""
    services = client.app.state.services
    try:
        services.client_assertions.verify(pair.sign(client_id, TOKEN_URL), None)
    except Exception:  # noqa: BLE001 - refused
        return False
    return True


def _create(client: Any, world: World, **body: Any) -> Any:
    payload = {"name": "signer", "kind": "organization", "auth_method": "private_key_jwt"} | body
    return client.post("/api/credentials", json=payload, headers=world.people["admin"].headers())


def test_create_with_a_jwks_shows_thumbprints_and_no_secret(client: Any, world: World) -> None:
    pair = ClientKeyPair()
    created = _create(client, world, jwks={"keys": [pair.public_jwk]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["client_secret"] is None and body["secret_hint"] == ""
    assert body["auth_method"] == "private_key_jwt" and body["jwks_uri"] is None
    assert body["key_thumbprints"] == [thumbprint(pair.public_jwk)]
    shown = client.get(f"/api/credentials/{body['client_id']}", headers=world.people["admin"].headers())
    assert shown.json()["key_thumbprints"] == body["key_thumbprints"]
    assert _authenticates(client, body["client_id"], pair)
    regenerate = client.post(
        f"/api/credentials/{body['id']}/regenerate", headers=world.people["admin"].headers()
    )
    assert regenerate.status_code == 400 and problem_code(regenerate) == "validation_failed"
    assert "private_key_jwt" in regenerate.json()["detail"]


def test_create_with_a_jwks_uri(client: Any, world: World) -> None:
    created = _create(client, world, jwks_uri="https://client.example.test/jwks.json")
    assert created.status_code == 201, created.text
    assert created.json()["jwks_uri"] == "https://client.example.test/jwks.json"
    assert created.json()["key_thumbprints"] == []


def test_keys_rotate_through_add_and_remove_each_audited(client: Any, world: World) -> None:
    admin = world.people["admin"]
    old, new = ClientKeyPair(), ClientKeyPair()
    body = _create(client, world, jwks=old.public_jwk).json()
    added = client.post(
        f"/api/credentials/{body['id']}/keys", json={"jwk": new.public_jwk}, headers=admin.headers()
    )
    assert added.status_code == 200, added.text
    assert added.json()["key_thumbprints"] == [thumbprint(old.public_jwk), thumbprint(new.public_jwk)]
    assert _authenticates(client, body["client_id"], old) and _authenticates(client, body["client_id"], new)
    again = client.post(
        f"/api/credentials/{body['id']}/keys", json={"jwk": new.public_jwk}, headers=admin.headers()
    )
    assert again.status_code == 400 and problem_code(again) == "validation_failed"
    removed = client.delete(
        f"/api/credentials/{body['id']}/keys/{thumbprint(old.public_jwk)}", headers=admin.headers()
    )
    assert removed.status_code == 200 and removed.json()["key_thumbprints"] == [thumbprint(new.public_jwk)]
    assert not _authenticates(client, body["client_id"], old) and _authenticates(
        client, body["client_id"], new
    )
    last = client.delete(
        f"/api/credentials/{body['id']}/keys/{thumbprint(new.public_jwk)}", headers=admin.headers()
    )
    assert last.status_code == 400 and "at least one key" in last.json()["detail"]
    unknown = client.delete(f"/api/credentials/{body['id']}/keys/{'A' * 43}", headers=admin.headers())
    assert unknown.status_code == 404 and problem_code(unknown) == "not_found"
    replaced = client.put(
        f"/api/credentials/{body['id']}/keys",
        json={"jwks": {"keys": [old.public_jwk]}},
        headers=admin.headers(),
    )
    assert replaced.status_code == 200 and replaced.json()["key_thumbprints"] == [thumbprint(old.public_jwk)]
    assert not _authenticates(client, body["client_id"], new)
    services = client.app.state.services
    events = services.audit_query.list(Actor.system(), org_id=world.orgs["a"].id, limit=50).items
    changes = [e.details["change"] for e in events if e.action == "credential.keys_changed"]
    assert sorted(changes) == ["added", "removed", "replaced"]
    created_event = next(
        e for e in events if e.action == "credential.created" and e.target_id == body["client_id"]
    )
    assert created_event.details["key_thumbprints"] == [thumbprint(old.public_jwk)]


def test_refusals(client: Any, world: World) -> None:
    admin = world.people["admin"]
    pair = ClientKeyPair()
    leaked = _create(client, world, jwks={"keys": [pair.private_jwk]})
    assert leaked.status_code == 400 and problem_code(leaked) == "validation_failed"
    assert "private key material" in leaked.json()["detail"] and pair.private_jwk["d"] not in leaked.text
    symmetric = _create(client, world, jwks={"kty": "oct", "k": "c2VjcmV0"})
    assert symmetric.status_code == 400
    both = _create(client, world, jwks=pair.public_jwk, jwks_uri="https://a.test/jwks")
    assert both.status_code == 400
    neither = _create(client, world)
    assert neither.status_code == 400
    keys_for_a_secret = client.post(
        "/api/credentials",
        json={"name": "s", "kind": "organization", "jwks": pair.public_jwk},
        headers=admin.headers(),
    )
    assert keys_for_a_secret.status_code == 400
    secret_based = client.post(
        "/api/credentials", json={"name": "s", "kind": "organization"}, headers=admin.headers()
    )
    add = client.post(
        f"/api/credentials/{secret_based.json()['id']}/keys",
        json={"jwk": pair.public_jwk},
        headers=admin.headers(),
    )
    assert add.status_code == 400 and "secret" in add.json()["detail"]
    uri_based = _create(client, world, jwks_uri="https://a.test/jwks").json()
    add = client.post(
        f"/api/credentials/{uri_based['id']}/keys", json={"jwk": pair.public_jwk}, headers=admin.headers()
    )
    assert add.status_code == 400 and "jwks_uri" in add.json()["detail"]
    member = world.people["member"]
    org_credential = _create(client, world, jwks=pair.public_jwk).json()
    forbidden = client.post(
        f"/api/credentials/{org_credential['id']}/keys",
        json={"jwk": ClientKeyPair().public_jwk},
        headers=member.headers(),
    )
    assert forbidden.status_code == 403
