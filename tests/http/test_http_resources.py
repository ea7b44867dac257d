"""RFC 8707 resource indicators at every token route: ``resource`` picks the token's ``aud``; an
unknown or malformed one is ``invalid_target``; a scope the resource does not accept is
``invalid_scope``; no ``resource`` is the default audience as before. Both databases."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from tests.http.http_support import (
    CLIENT_CREDENTIALS,
    TOKEN,
    assert_oauth_error,
    assert_token_response,
    basic,
)
from tokensmith.core.actors import Actor
from tokensmith.core.resources import Resource
from tokensmith.services.container import Services

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JSON = {"Content-Type": "application/json"}
BILLING = "https://billing.example.test/v1"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _billing(services: Services, scopes: tuple[str, ...] = ("api/access", "project:read")) -> Resource:
    return services.resources.create(Actor.system(), name="Billing", uri=BILLING, scopes=scopes)


def _mcp(services: Services) -> str:
    return services.resources.builtin("mcp").uri


def _personal(services: Services, org_id: str, scopes: list[str]) -> str:
    from tests.http.test_http_hostile_input import personal_token

    plain, _ = personal_token(services, org_id, scopes)
    return plain


# -- client credentials ------------------------------------------------------------------------


def test_no_resource_keeps_the_default_audience(
    client: Any, make_credential: Any, services: Services
) -> None:
    cred = make_credential(scopes=["api/access", "credentials:read"])
    body = assert_token_response(
        client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret)),
        scope="api/access credentials:read",
    )
    assert _claims(body["access_token"])["aud"] == services.minter.audience


def test_a_registered_resource_becomes_the_audience(
    client: Any, make_credential: Any, services: Services
) -> None:
    _billing(services)
    cred = make_credential(scopes=["api/access", "project:read", "credentials:read"])
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": BILLING, "scope": "project:read"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    body = assert_token_response(response, scope="project:read")
    assert _claims(body["access_token"])["aud"] == BILLING


def test_an_omitted_scope_is_what_the_client_has_that_the_resource_accepts(
    client: Any, make_credential: Any, services: Services
) -> None:
    _billing(services)
    cred = make_credential(scopes=["api/access", "credentials:read"])
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": BILLING},
        headers=basic(cred.client_id, cred.client_secret),
    )
    body = assert_token_response(response, scope="api/access")
    assert _claims(body["access_token"])["scope"] == "api/access"


def test_the_resource_uri_matches_with_a_case_insensitive_scheme_and_host(
    client: Any, make_credential: Any, services: Services
) -> None:
    _billing(services)
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": "HTTPS://Billing.Example.Test/v1"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert _claims(assert_token_response(response, scope="api/access")["access_token"])["aud"] == BILLING


@pytest.mark.parametrize(
    "resource",
    [
        "https://unknown.example.test/api",  # well-formed, not registered
        BILLING + "#part",  # RFC 8707 §2: no fragment
        "/v1/projects",  # relative
        "billing.example.test/v1",  # no scheme
        "",  # empty
        "https://billing.example.test/v1/",  # a different URI (trailing slash)
        "https://billing.example.test/v1 x",  # not a URI
    ],
)
def test_a_resource_not_registered_or_malformed_is_invalid_target(
    client: Any, make_credential: Any, services: Services, resource: str
) -> None:
    _billing(services)
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": resource},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_target", basic_challenge=False)


def test_two_resources_are_invalid_target(client: Any, make_credential: Any, services: Services) -> None:
    _billing(services)
    cred = make_credential()
    content = f"grant_type=client_credentials&resource={BILLING}&resource={services.minter.audience}"
    response = client.post(
        TOKEN,
        content=content,
        headers={
            **basic(cred.client_id, cred.client_secret),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    body = assert_oauth_error(response, 400, "invalid_target", basic_challenge=False)
    assert "one resource" in body["error_description"]


def test_a_scope_the_resource_does_not_accept_is_invalid_scope(
    client: Any, make_credential: Any, services: Services
) -> None:
    _billing(services)
    cred = make_credential(scopes=["api/access", "credentials:read"])
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": BILLING, "scope": "api/access credentials:read"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    body = assert_oauth_error(response, 400, "invalid_scope", basic_challenge=False)
    assert "credentials:read" in body["error_description"] and BILLING in body["error_description"]


def test_a_scope_beyond_the_client_stays_invalid_scope_with_a_resource(
    client: Any, make_credential: Any, services: Services
) -> None:
    _billing(services)
    cred = make_credential(scopes=["api/access"])
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": BILLING, "scope": "project:read"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_scope", basic_challenge=False)


def test_the_platform_api_does_not_accept_tokensmiths_own_scopes(
    client: Any, make_credential: Any, services: Services
) -> None:
    cred = make_credential(scopes=["api/access", "credentials:read"])
    platform = services.resources.builtin("platform").uri
    refused = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": platform, "scope": "credentials:read"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_oauth_error(refused, 400, "invalid_scope", basic_challenge=False)
    mcp = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": _mcp(services), "scope": "credentials:read"},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert _claims(assert_token_response(mcp, scope="credentials:read")["access_token"])["aud"] == _mcp(
        services
    )


def test_a_deleted_resource_is_invalid_target(client: Any, make_credential: Any, services: Services) -> None:
    resource = _billing(services)
    services.resources.delete(Actor.system(), resource.id)
    cred = make_credential()
    response = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": BILLING},
        headers=basic(cred.client_id, cred.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_target", basic_challenge=False)


def test_an_opaque_token_for_a_resource_introspects_with_its_audience(
    client: Any, make_credential: Any, services: Services
) -> None:
    _billing(services)
    opaque = make_credential(token_format="opaque")
    token = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": BILLING},
        headers=basic(opaque.client_id, opaque.client_secret),
    ).json()["access_token"]
    signed = make_credential()
    jwt_token = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": BILLING},
        headers=basic(signed.client_id, signed.client_secret),
    ).json()["access_token"]
    assert token.startswith("tsa_") and jwt_token.count(".") == 2
    for presented in (token, jwt_token):
        answer = client.post(
            "/oauth2/introspect",
            data={"token": presented},
            headers=basic(opaque.client_id, opaque.client_secret),
        ).json()
        assert answer["active"] is True and answer["aud"] == BILLING
    plain = make_credential()
    default = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(plain.client_id, plain.client_secret))
    answer = client.post(
        "/oauth2/introspect",
        data={"token": default.json()["access_token"]},
        headers=basic(plain.client_id, plain.client_secret),
    ).json()
    assert answer["aud"] == services.minter.audience


def test_a_jwt_for_mcp_introspects_with_its_audience(
    client: Any, make_credential: Any, services: Services
) -> None:
    cred = make_credential(scopes=["credentials:read"])
    token = client.post(
        TOKEN,
        data={**CLIENT_CREDENTIALS, "resource": _mcp(services)},
        headers=basic(cred.client_id, cred.client_secret),
    ).json()["access_token"]
    answer = client.post(
        "/oauth2/introspect", data={"token": token}, headers=basic(cred.client_id, cred.client_secret)
    ).json()
    assert answer["active"] is True and answer["aud"] == _mcp(services)


# -- the vendor dialects ----------------------------------------------------------------------


def test_the_form_dialect_takes_a_resource(client: Any, make_credential: Any, services: Services) -> None:
    _billing(services)
    cred = make_credential()
    data = {**CLIENT_CREDENTIALS, "client_id": cred.client_id, "client_secret": cred.client_secret}
    ok = client.post("/api/oauth/token", data={**data, "resource": BILLING})
    assert _claims(assert_token_response(ok, scope="api/access")["access_token"])["aud"] == BILLING
    bad = client.post("/api/oauth/token", data={**data, "resource": "https://nowhere.example.test"})
    assert_oauth_error(bad, 400, "invalid_target", basic_challenge=False)


def test_the_json_dialects_take_a_resource(client: Any, make_credential: Any, services: Services) -> None:
    _billing(services)
    cred = make_credential()
    v1 = client.post(
        "/api/v1/token",
        content=json.dumps(
            {
                "grantType": "client_credentials",
                "clientId": cred.client_id,
                "clientSecret": cred.client_secret,
                "resource": BILLING,
            }
        ),
        headers=JSON,
    )
    assert v1.status_code == 200, v1.text
    assert _claims(v1.json()["accessToken"])["aud"] == BILLING
    v0 = client.post(
        "/api/v0/login",
        content=json.dumps({"grant_type": "client_credentials", "resource": BILLING + "#x"}),
        headers={**JSON, **basic(cred.client_id, cred.client_secret)},
    )
    assert_oauth_error(v0, 400, "invalid_target", basic_challenge=False)
    v0_null = client.post(
        "/api/v0/login",
        content=json.dumps({"grant_type": "client_credentials", "resource": None}),
        headers={**JSON, **basic(cred.client_id, cred.client_secret)},
    )
    assert_oauth_error(v0_null, 400, "invalid_request", basic_challenge=False)


def test_the_seed_002_personal_token_exchange_takes_a_resource(
    client: Any, make_org: Any, services: Services
) -> None:
    org = make_org()
    plain = _personal(services, org.id, ["tokens:read", "api/access"])
    response = client.post(
        "/api/v0/login",
        content=json.dumps({"grant_type": "refresh_token", "resource": _mcp(services)}),
        headers={**JSON, "Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 200, response.text
    claims = _claims(response.json()["access_token"])
    assert claims["aud"] == _mcp(services) and claims["scope"] == "tokens:read"


# -- token exchange (RFC 8693 audience + RFC 8707 resource) ------------------------------------


def _exchange(client: Any, subject: str, **extra: str) -> Any:
    data = {"grant_type": EXCHANGE, "subject_token": subject, "subject_token_type": ACCESS_TOKEN_TYPE}
    return client.post(TOKEN, data={**data, **extra})


def test_token_exchange_for_mcp_is_refused_at_the_management_api(
    client: Any, make_org: Any, services: Services
) -> None:
    org = make_org()
    plain = _personal(services, org.id, ["tokens:read"])
    for_mcp = _exchange(client, plain, resource=_mcp(services))
    assert for_mcp.status_code == 200, for_mcp.text
    token = for_mcp.json()["access_token"]
    assert _claims(token)["aud"] == _mcp(services)
    refused = client.get("/api/tokens", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    # The management API's own resource, and the default audience, are accepted there.
    for_api = _exchange(client, plain, resource=services.resources.builtin("management").uri).json()
    assert (
        client.get("/api/tokens", headers={"Authorization": f"Bearer {for_api['access_token']}"}).status_code
        == 200
    )
    default = _exchange(client, plain).json()["access_token"]
    assert client.get("/api/tokens", headers={"Authorization": f"Bearer {default}"}).status_code == 200


def test_token_exchange_audience_names_a_resource_and_must_agree_with_resource(
    client: Any, make_org: Any, services: Services
) -> None:
    _billing(services)
    org = make_org()
    plain = _personal(services, org.id, ["api/access"])
    by_audience = _exchange(client, plain, audience=BILLING)
    assert _claims(by_audience.json()["access_token"])["aud"] == BILLING
    both = _exchange(client, plain, audience=BILLING, resource=BILLING)
    assert both.status_code == 200
    differ = _exchange(client, plain, audience=BILLING, resource=_mcp(services))
    assert_oauth_error(differ, 400, "invalid_target", basic_challenge=False)
    outside = _exchange(client, plain, resource=BILLING, scope="tokens:read")
    assert_oauth_error(outside, 400, "invalid_scope", basic_challenge=False)


# -- a client that is not ours --------------------------------------------------------------


def test_authlib_client_credentials_with_a_resource_gets_that_audience(
    live_server: Any, make_credential: Any
) -> None:
    services: Services = live_server.services
    _billing(services)
    cred = make_credential(scopes=["api/access", "project:read"])
    with OAuth2Client(
        cred.client_id,
        cred.client_secret,
        scope="project:read",
        token_endpoint_auth_method="client_secret_basic",
    ) as oauth:
        token = oauth.fetch_token(
            live_server.url + "/oauth2/token", grant_type="client_credentials", resource=BILLING
        )
        with pytest.raises(OAuthError) as refused:
            oauth.fetch_token(
                live_server.url + "/oauth2/token",
                grant_type="client_credentials",
                resource="https://not-registered.example.test",
            )
    assert refused.value.error == "invalid_target"
    claims = jwt.decode(
        token["access_token"],
        jwt.PyJWK.from_dict(
            httpx.get(live_server.url + "/.well-known/jwks.json", timeout=10).json()["keys"][0]
        ).key,
        algorithms=["ES256", "EdDSA", "RS256"],
        audience=BILLING,
        issuer=live_server.url,
    )
    assert claims["aud"] == BILLING and claims["scope"] == "project:read"


def test_discovery_lists_the_protected_resources(client: Any, services: Services) -> None:
    """RFC 9728 §4: ``protected_resources`` in the authorization server's metadata."""
    _billing(services)
    doc = client.get("/.well-known/oauth-authorization-server").json()
    builtins = [r.uri for r in services.resources.builtins]
    assert doc["protected_resources"] == [*builtins, BILLING]
    assert builtins == ["http://testserver/api", "http://testserver/mcp", services.minter.audience]
