"""Discovery (RFC 8414) and the JWKS (RFC 7517): exact issuer, endpoints, public keys only."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    PRIVATE_JWK_MEMBERS,
    SQLITE_ONLY,
    TOKEN,
    basic,
    verify_jwt,
)
from tokensmith.core.actors import Actor
from tokensmith.core.records import CredentialKind
from tokensmith.http.app import create_app

PUBLIC_MEMBERS = {
    "ES256": {"kty", "crv", "x", "y", "kid", "alg", "use"},
    "EdDSA": {"kty", "crv", "x", "kid", "alg", "use"},
    "RS256": {"kty", "n", "e", "kid", "alg", "use"},
}


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
)
def test_discovery_document(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == "http://testserver"
    assert doc["token_endpoint"] == "http://testserver/oauth2/token"
    assert doc["jwks_uri"] == "http://testserver/.well-known/jwks.json"
    assert doc["introspection_endpoint"] == "http://testserver/oauth2/introspect"
    assert doc["revocation_endpoint"] == "http://testserver/oauth2/revoke"
    assert "client_credentials" in doc["grant_types_supported"]
    assert doc["response_types_supported"] == ["code"]
    keyed = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
    # Public clients of the authorization code flow authenticate with "none" (OAuth 2.1 draft §2.4).
    assert doc["token_endpoint_auth_methods_supported"] == [*keyed, "none"]
    for name in ("introspection_endpoint", "revocation_endpoint"):
        assert doc[f"{name}_auth_methods_supported"] == keyed
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        assert doc[f"{name}_auth_signing_alg_values_supported"] == ["ES256", "EdDSA", "RS256", "PS256"]
    assert doc["authorization_endpoint"] == "http://testserver/oauth2/authorize"
    assert doc["registration_endpoint"] == "http://testserver/oauth2/register"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert {"authorization_code", "refresh_token"} <= set(doc["grant_types_supported"])
    assert "api/access" in doc["scopes_supported"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "issuer", ["https://auth.example.test/tenant-a/", "https://Auth.Example.test:8443/x"]
)
def test_issuer_is_byte_equal_to_the_setting(
    settings_factory: Any, services_factory: Any, issuer: str
) -> None:
    settings = settings_factory(issuer=issuer)
    svc = services_factory(settings)  # issuer taken from the setting, not passed in
    org = svc.organizations.create(Actor.system(), "iss")
    created = svc.credentials.create(
        Actor.system(), org_id=org.id, name="c", kind=CredentialKind.ORGANIZATION
    )
    with TestClient(create_app(settings, services=svc), base_url="http://testserver") as test_client:
        raw = test_client.get("/.well-known/oauth-authorization-server").content
        doc = test_client.get("/.well-known/oauth-authorization-server").json()
        token = test_client.post(
            TOKEN, data=CLIENT_CREDENTIALS, headers=basic(created.credential.client_id, created.client_secret)
        ).json()
    assert doc["issuer"] == issuer
    assert f'"issuer":"{issuer}"'.encode() in raw.replace(b": ", b":")
    assert doc["token_endpoint"] == issuer.rstrip("/") + "/oauth2/token"
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["iss"] == issuer


def test_jwks_has_public_members_only(client: Any) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 1
    assert set(keys[0]) == PUBLIC_MEMBERS["ES256"]
    assert (keys[0]["kty"], keys[0]["crv"], keys[0]["use"], keys[0]["alg"]) == ("EC", "P-256", "sig", "ES256")


@SQLITE_ONLY
@pytest.mark.parametrize("algorithm", ["EdDSA", "RS256"])
def test_jwks_for_other_algorithms(settings_factory: Any, services_factory: Any, algorithm: str) -> None:
    settings = settings_factory(signing_algorithm=algorithm)
    svc = services_factory(settings, issuer=settings.issuer)
    with TestClient(create_app(settings, services=svc), base_url="http://testserver") as test_client:
        keys = test_client.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    members = set(keys[0])
    if "key_ops" in members:  # PyJWT adds it for RSA; public, and must say verify only
        assert keys[0]["key_ops"] == ["verify"]
        members.discard("key_ops")
    assert members == PUBLIC_MEMBERS[algorithm]
    assert not set(keys[0]) & PRIVATE_JWK_MEMBERS
    assert keys[0]["alg"] == algorithm


def test_rotation_publishes_the_new_key_and_keeps_the_old(
    client: Any, make_credential: Any, services: Any
) -> None:
    cred = make_credential()
    auth = basic(cred.client_id, cred.client_secret)
    old_token = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=auth).json()["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    info = services.keyring.rotate()  # publish delay 0 in tests: signs at once
    kids = [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]]
    assert set(kids) == {old_kid, info.kid}
    new_token = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=auth).json()["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == info.kid
    assert verify_jwt(services, old_token)["sub"] == verify_jwt(services, new_token)["sub"] == cred.client_id
    introspected = client.post("/oauth2/introspect", data={"token": old_token}, headers=auth).json()
    assert introspected["active"] is True


@SQLITE_ONLY
def test_a_next_key_is_published_before_it_signs(
    settings_factory: Any, services_factory: Any, clock: Any
) -> None:
    settings = settings_factory(key_publish_delay_seconds=600)
    svc = services_factory(settings, issuer=settings.issuer)
    first = svc.keyring.signing_key().record.kid
    info = svc.keyring.rotate()
    assert info.state.value == "next"
    assert {k["kid"] for k in svc.keyring.jwks()["keys"]} == {first, info.kid}
    assert svc.keyring.signing_key().record.kid == first
    clock.advance(seconds=600)
    assert svc.keyring.signing_key().record.kid == info.kid
