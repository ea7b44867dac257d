"""``POST /oauth2/token`` success paths (RFC 6749 §4.4, §5.1; RFC 9068), on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest

from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    JWT_CLAIMS,
    TOKEN,
    assert_oauth_error,
    assert_token_response,
    basic,
    verify_jwt,
)
from tokensmith.core import secrets as sf
from tokensmith.core.clock import epoch
from tokensmith.services.container import Services


def test_client_secret_basic(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "scope": "api/access"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_token_response(response, scope="api/access")


def test_client_secret_post(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN, data={**CLIENT_CREDENTIALS, "client_id": cred.client_id, "client_secret": cred.client_secret}
    )
    assert_token_response(response, scope="api/access")


def test_basic_with_a_matching_client_id_in_the_body(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "client_id": cred.client_id},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_token_response(response, scope="api/access")


def test_jwt_header_and_claims(client: Any, make_credential: Any, services: Services, clock: Any) -> None:
    cred = make_credential(scopes=["api/access", "project:read"])
    body = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
    ).json()
    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert header["kid"] in {k["kid"] for k in services.keyring.jwks()["keys"]}
    claims = verify_jwt(services, token)
    assert set(claims) == JWT_CLAIMS
    now = epoch(clock.now())
    assert claims["iss"] == services.settings.issuer == "http://testserver"
    assert claims["aud"] == "http://testserver"  # the audience defaults to the issuer
    assert claims["sub"] == claims["client_id"] == cred.client_id
    assert claims["iat"] == claims["nbf"] == claims["auth_time"] == now
    assert claims["exp"] == now + 3600
    assert claims["scope"] == "api/access project:read"
    assert claims["token_use"] == "access"
    assert claims["version"] == 2
    assert claims["org_id"] == cred.credential.org_id
    assert claims["sub_kind"] == "client"
    assert uuid.UUID(claims["jti"]).version == 4
    for name in ("exp", "iat", "nbf", "auth_time", "version"):
        assert type(claims[name]) is int


def test_each_token_has_its_own_jti(client: Any, make_credential: Any) -> None:
    cred = make_credential()
    jtis = {
        jwt.decode(
            client.post(
                TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
            ).json()["access_token"],
            options={"verify_signature": False},
        )["jti"]
        for _ in range(3)
    }
    assert len(jtis) == 3


def test_audience_setting(settings_factory: Any, services_factory: Any, make_credential: Any) -> None:
    from starlette.testclient import TestClient

    from tokensmith.http.app import create_app

    settings = settings_factory(audience="https://api.example.test")
    svc = services_factory(settings, issuer=settings.issuer)
    with TestClient(create_app(settings, services=svc), base_url="http://testserver") as test_client:
        org = svc.organizations.create(
            __import__("tokensmith.core.actors").core.actors.Actor.system(), "aud-org"
        )
        cred = make_credential(org=org)
        token = test_client.post(
            TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
        ).json()["access_token"]
    assert verify_jwt(svc, token)["aud"] == "https://api.example.test"


def test_omitted_scope_means_all_allowed_scopes(client: Any, make_credential: Any) -> None:
    cred = make_credential(scopes=["project:read", "api/access", "voice:read"])
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
    assert_token_response(response, scope="api/access project:read voice:read")


def test_a_subset_of_allowed_scopes(client: Any, make_credential: Any) -> None:
    cred = make_credential(scopes=["project:read", "api/access"])
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "scope": "project:read"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    body = assert_token_response(response, scope="project:read")
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["scope"] == "project:read"


@pytest.mark.parametrize("scope", ["project:write", "api/access project:write", "not-a-scope"])
def test_a_scope_the_credential_does_not_have_is_invalid_scope(
    client: Any, make_credential: Any, scope: str
) -> None:
    cred = make_credential(scopes=["api/access"])
    response = client.post(
        TOKEN, data={**CLIENT_CREDENTIALS, "scope": scope}, headers=basic(cred.client_id, cred.client_secret)
    )
    assert_oauth_error(response, 400, "invalid_scope", basic_challenge=False)


def test_per_credential_lifetime(client: Any, make_credential: Any, clock: Any) -> None:
    cred = make_credential(ttl=120)
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
    body = assert_token_response(response, scope="api/access", expires_in=120)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_personal_credential_token_is_still_a_client_token(client: Any, make_credential: Any) -> None:
    cred = make_credential(kind="personal")
    body = client.post(
        TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)
    ).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["sub_kind"]) == (cred.client_id, "client")


def test_opaque_tokens(client: Any, make_credential: Any, services: Services) -> None:
    cred = make_credential(token_format="opaque")
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
    token = assert_token_response(response, scope="api/access")["access_token"]
    assert token.startswith("tsa_")
    assert sf.is_well_formed(token, "tsa_")
    assert token.count(".") == 0  # not a JWT
    auth = basic(cred.client_id, cred.client_secret)
    active = client.post("/oauth2/introspect", data={"token": token}, headers=auth).json()
    assert active["active"] is True and active["client_id"] == cred.client_id
    assert client.post("/oauth2/revoke", data={"token": token}, headers=auth).status_code == 200
    assert client.post("/oauth2/introspect", data={"token": token}, headers=auth).json() == {"active": False}


def test_signing_algorithm_setting(settings_factory: Any, services_factory: Any) -> None:
    """EdDSA keys sign EdDSA tokens that verify against the published key."""
    from starlette.testclient import TestClient

    from tokensmith.core.actors import Actor
    from tokensmith.http.app import create_app

    settings = settings_factory(signing_algorithm="EdDSA")
    svc = services_factory(settings, issuer=settings.issuer)
    org = svc.organizations.create(Actor.system(), "eddsa")
    created = svc.credentials.create(
        Actor.system(),
        org_id=org.id,
        name="c",
        kind=__import__("tokensmith.core.records").core.records.CredentialKind.ORGANIZATION,
    )
    with TestClient(create_app(settings, services=svc), base_url="http://testserver") as test_client:
        body = test_client.post(
            TOKEN, data=CLIENT_CREDENTIALS, headers=basic(created.credential.client_id, created.client_secret)
        ).json()
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "EdDSA"
    assert verify_jwt(svc, body["access_token"])["sub"] == created.credential.client_id
