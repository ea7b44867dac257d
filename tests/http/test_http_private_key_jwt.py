"""private_key_jwt client authentication at the token endpoint (RFC 7523 §2.2, §3; RFC 7521 §4.2),
over HTTP (TestClient) on SQLite and PostgreSQL: what is accepted, and every hostile assertion
refused as 401 ``invalid_client`` with the one public description (nothing says what was wrong)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from tests.conftest import TEST_ISSUER
from tests.http.http_support import (
    INTROSPECT,
    TOKEN,
    assert_oauth_error,
    assert_token_response,
    basic,
    verify_jwt,
)
from tests.http.private_key_jwt_support import ClientKeyPair, assertion_form, key_credential
from tokensmith.core.actors import Actor
from tokensmith.core.client_keys import ClientAuthMethod
from tokensmith.core.errors import BadRequest
from tokensmith.core.records import CredentialKind, Organization
from tokensmith.services.container import Services

TOKEN_URL = TEST_ISSUER + TOKEN
PUBLIC_DESCRIPTION = "Client authentication failed."


def refused(response: Any) -> None:
    body = assert_oauth_error(response, 401, "invalid_client")
    assert body.get("error_description") == PUBLIC_DESCRIPTION, body


@pytest.fixture
def org(make_org: Any) -> Organization:
    return make_org()  # type: ignore[no-any-return]


@pytest.fixture
def signer() -> ClientKeyPair:
    return ClientKeyPair()


@pytest.fixture
def credential_id(services: Services, org: Organization, signer: ClientKeyPair) -> str:
    return key_credential(services, org, keys=[signer]).client_id


# -- accepted ------------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", [TOKEN_URL, TEST_ISSUER, [TOKEN_URL, "https://elsewhere"]])
def test_a_signed_assertion_gets_a_token_for_the_client_it_names(
    client: Any, services: Services, credential_id: str, signer: ClientKeyPair, audience: Any
) -> None:
    response = client.post(TOKEN, data=assertion_form(signer.sign(credential_id, audience)))
    body = assert_token_response(response, scope="api/access")
    claims = verify_jwt(services, body["access_token"])
    assert claims["client_id"] == claims["sub"] == credential_id


@pytest.mark.parametrize("alg", ["EdDSA", "RS256", "PS256"])
def test_every_default_algorithm_is_accepted(
    client: Any, services: Services, org: Organization, alg: str
) -> None:
    pair = ClientKeyPair(alg=alg)
    client_id = key_credential(services, org, keys=[pair]).client_id
    response = client.post(TOKEN, data=assertion_form(pair.sign(client_id, TOKEN_URL)))
    assert_token_response(response, scope="api/access")


def test_a_client_id_beside_the_assertion_must_be_the_assertions_own(
    client: Any, services: Services, org: Organization, credential_id: str, signer: ClientKeyPair
) -> None:
    same = assertion_form(signer.sign(credential_id, TOKEN_URL), client_id=credential_id)
    assert_token_response(client.post(TOKEN, data=same), scope="api/access")
    other = key_credential(services, org, keys=[ClientKeyPair()]).client_id
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL), client_id=other)))


def test_without_a_kid_each_key_is_tried_and_rotation_keeps_both_keys_working(
    client: Any, services: Services, org: Organization
) -> None:
    old, new = ClientKeyPair(kid=None), ClientKeyPair(kid=None)
    client_id = key_credential(services, org, keys=[old]).client_id
    assert services.credential_keys is not None
    added = services.credential_keys.add(Actor.system(), client_id, new.public_jwk)
    assert len(added.key_thumbprints) == 2
    for pair in (old, new):
        assert_token_response(
            client.post(TOKEN, data=assertion_form(pair.sign(client_id, TOKEN_URL))), scope="api/access"
        )
    services.credential_keys.remove(Actor.system(), client_id, added.key_thumbprints[0])
    refused(client.post(TOKEN, data=assertion_form(old.sign(client_id, TOKEN_URL))))
    assert_token_response(
        client.post(TOKEN, data=assertion_form(new.sign(client_id, TOKEN_URL))), scope="api/access"
    )


def test_introspection_accepts_the_same_client_authentication(
    client: Any, credential_id: str, signer: ClientKeyPair
) -> None:
    issued = client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL))).json()
    response = client.post(
        INTROSPECT,
        data={
            "token": issued["access_token"],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signer.sign(credential_id, TEST_ISSUER),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


def test_discovery_lists_private_key_jwt_and_its_algorithms(client: Any) -> None:
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    # "none": public clients of the authorization code flow (PKCE) authenticate with nothing.
    assert metadata["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ]
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == [
        "ES256",
        "EdDSA",
        "RS256",
        "PS256",
    ]


# -- hostile -----------------------------------------------------------------------------------


def test_an_assertion_for_another_audience_is_refused(
    client: Any, credential_id: str, signer: ClientKeyPair
) -> None:
    for audience in ("https://other.example/oauth2/token", TEST_ISSUER + "/", [], ["https://x"]):
        refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, audience))))
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, aud=None))))


def test_a_replayed_assertion_is_refused_even_by_another_process(
    client: Any, two_processes: Any, credential_id: str, signer: ClientKeyPair
) -> None:
    assertion = signer.sign(credential_id, TOKEN_URL)
    assert_token_response(client.post(TOKEN, data=assertion_form(assertion)), scope="api/access")
    refused(client.post(TOKEN, data=assertion_form(assertion)))
    for process in (two_processes.first, two_processes.second):
        with pytest.raises(Exception) as caught:
            process.client_credentials.issue("", "", None, None, assertion=assertion)
        assert getattr(caught.value, "error", None) == "invalid_client"
        assert "replayed" in getattr(caught.value, "detail", "")


def test_expired_and_too_long_lived_assertions_are_refused(
    client: Any, credential_id: str, signer: ClientKeyPair
) -> None:
    now = int(time.time())
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, now=now - 400))))
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, lifetime=3700))))
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, exp=None))))
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, jti=None))))
    future = now + 600
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, nbf=future))))
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, iat=future))))
    # A full hour (Authlib's default lifetime) is within the limit.
    assert_token_response(
        client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, lifetime=3600))),
        scope="api/access",
    )


def test_an_assertion_signed_with_a_key_the_credential_does_not_have_is_refused(
    client: Any, credential_id: str, signer: ClientKeyPair
) -> None:
    stranger = ClientKeyPair(kid=signer.kid)  # same kid, other key
    refused(client.post(TOKEN, data=assertion_form(stranger.sign(credential_id, TOKEN_URL))))
    unnamed = ClientKeyPair(kid=None)
    refused(client.post(TOKEN, data=assertion_form(unnamed.sign(credential_id, TOKEN_URL))))
    unknown_kid = ClientKeyPair(kid="not-registered")
    refused(client.post(TOKEN, data=assertion_form(unknown_kid.sign(credential_id, TOKEN_URL))))


def test_iss_and_sub_must_both_be_the_client(client: Any, credential_id: str, signer: ClientKeyPair) -> None:
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, sub="someone"))))
    refused(client.post(TOKEN, data=assertion_form(signer.sign(credential_id, TOKEN_URL, iss="x" * 26))))


def test_alg_none_and_hs256_assertions_are_refused(
    client: Any, credential_id: str, signer: ClientKeyPair
) -> None:
    claims = {
        "iss": credential_id,
        "sub": credential_id,
        "aud": TOKEN_URL,
        "exp": int(time.time()) + 60,
        "jti": "j1",
    }
    unsigned = jwt.encode(claims, "", algorithm="none")
    refused(client.post(TOKEN, data=assertion_form(unsigned)))
    # HS256 keyed with the public JWK's text: the classic algorithm-confusion forgery.
    public_text = str(signer.public_jwk)
    hs256 = jwt.encode(claims | {"jti": "j2"}, public_text, algorithm="HS256", headers={"kid": signer.kid})
    refused(client.post(TOKEN, data=assertion_form(hs256)))
    refused(client.post(TOKEN, data=assertion_form("not.a.jwt")))


def test_a_secret_sent_for_a_key_credential_and_an_assertion_for_a_secret_one_are_refused(
    client: Any, credential_id: str, signer: ClientKeyPair, make_credential: Any
) -> None:
    refused(
        client.post(
            TOKEN, data={"grant_type": "client_credentials"}, headers=basic(credential_id, "tss_" + "a" * 36)
        )
    )
    secret_based = make_credential()
    assertion = signer.sign(secret_based.client_id, TOKEN_URL)
    refused(client.post(TOKEN, data=assertion_form(assertion)))


def test_malformed_assertion_requests_are_invalid_request_and_other_types_invalid_client(
    client: Any, credential_id: str, signer: ClientKeyPair, make_credential: Any
) -> None:
    assertion = signer.sign(credential_id, TOKEN_URL)
    only_type = {
        "grant_type": "client_credentials",
        "client_assertion_type": assertion_form("")["client_assertion_type"],
    }
    assert_oauth_error(client.post(TOKEN, data=only_type), 400, "invalid_request")
    both = assertion_form(assertion, client_secret="tss_" + "a" * 36, client_id=credential_id)
    assert_oauth_error(client.post(TOKEN, data=both), 400, "invalid_request")
    with_basic = client.post(TOKEN, data=assertion_form(assertion), headers=basic(credential_id, "x"))
    assert_oauth_error(with_basic, 400, "invalid_request")
    saml = assertion_form(assertion) | {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
    }
    assert_oauth_error(client.post(TOKEN, data=saml), 401, "invalid_client")


def test_a_private_key_in_the_registered_jwks_is_refused(services: Services, org: Organization) -> None:
    pair = ClientKeyPair()
    with pytest.raises(BadRequest, match="private key material"):
        services.credentials.create(
            Actor.system(),
            org_id=org.id,
            name="leaky",
            kind=CredentialKind.ORGANIZATION,
            auth_method=ClientAuthMethod.PRIVATE_KEY_JWT,
            jwks={"keys": [pair.private_jwk]},
        )
