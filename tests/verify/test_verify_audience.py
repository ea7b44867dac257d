"""A verifier checks the token's audience per resource (RFC 8707, RFC 9068 §4): configured with its
resource URI it refuses a token issued for another resource — on a fake issuer, and against a live
Tokensmith that issued the token with ``resource=``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.verify.test_verify_introspection import OPAQUE
from tokensmith.core.actors import Actor
from tokensmith.services.container import Services
from tokensmith.verify import InvalidTokenError, Verifier
from tokensmith.verify.testing import FakeIssuer

BILLING = "https://billing.example.test/v1"
MCP = "https://auth.example.test/mcp"


def test_a_token_for_another_resource_is_refused(issuer: FakeIssuer) -> None:
    with issuer.verifier(audience=BILLING) as billing:
        assert billing.verify(issuer.mint(claims={"aud": BILLING})).audience == (BILLING,)
        with pytest.raises(InvalidTokenError, match="another audience"):
            billing.verify(issuer.mint(claims={"aud": MCP}))
        with pytest.raises(InvalidTokenError, match="another audience"):
            billing.verify(issuer.mint())  # the issuer's default audience is not this resource
        with pytest.raises(InvalidTokenError):
            billing.verify(issuer.mint(claims={"aud": BILLING + "/"}))  # exact URI, not a prefix


def test_an_audience_array_naming_this_resource_is_accepted(issuer: FakeIssuer) -> None:
    with issuer.verifier(audience=BILLING) as billing:
        principal = billing.verify(issuer.mint(claims={"aud": [MCP, BILLING]}))
        assert principal.audience == (MCP, BILLING)
        with pytest.raises(InvalidTokenError):
            billing.verify(issuer.mint(claims={"aud": [MCP, 7]}))


def test_a_verifier_for_several_resources_accepts_each_and_nothing_else(issuer: FakeIssuer) -> None:
    with issuer.verifier(audience=[issuer.audience, BILLING]) as both:
        assert both.audiences == frozenset({issuer.audience, BILLING})
        assert both.verify(issuer.mint()).audience == (issuer.audience,)
        assert both.verify(issuer.mint(claims={"aud": BILLING})).audience == (BILLING,)
        with pytest.raises(InvalidTokenError):
            both.verify(issuer.mint(claims={"aud": MCP}))


@pytest.mark.parametrize("audience", ["", [], [""], ["ok", ""]])
def test_an_empty_audience_is_a_configuration_error(audience: Any) -> None:
    with pytest.raises(ValueError, match="audience"):
        Verifier("https://auth.example.test", audience)


def test_introspection_naming_another_resource_is_refused(issuer: FakeIssuer) -> None:
    client_id, secret = issuer.introspection_client
    issuer.introspection_answers[OPAQUE] = {
        "sub": "abcdefghijklmnopqrstuvwxyz",
        "client_id": "abcdefghijklmnopqrstuvwxyz",
        "aud": MCP,
        "iss": issuer.issuer,
        "exp": int(issuer.clock()) + 600,
        "scope": "api/access",
    }
    with (
        issuer.verifier(
            audience=BILLING, introspection_client_id=client_id, introspection_client_secret=secret
        ) as billing,
        pytest.raises(InvalidTokenError, match="another audience"),
    ):
        billing.verify(OPAQUE)
    with issuer.verifier(
        audience=MCP, introspection_client_id=client_id, introspection_client_secret=secret
    ) as mcp:
        assert mcp.verify(OPAQUE).audience == (MCP,)


def _token(server: Any, credential: Any, resource: str | None) -> str:
    data = {"grant_type": "client_credentials"} | ({"resource": resource} if resource else {})
    response = httpx.post(
        server.url + "/oauth2/token", data=data, headers={"Authorization": credential.basic}, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_against_a_live_server_each_resource_verifies_only_its_own_tokens(
    live_server: Any, make_credential: Any
) -> None:
    services: Services = live_server.services
    services.resources.create(Actor.system(), name="Billing", uri=BILLING, scopes=["api/access"])
    signed = make_credential()
    opaque = make_credential(token_format="opaque", scopes=["api/access", "tokens:introspect"])
    platform = services.resources.builtin("platform").uri
    for_billing = _token(live_server, signed, BILLING)
    for_platform = _token(live_server, signed, None)
    opaque_for_billing = _token(live_server, opaque, BILLING)
    introspection = {
        "introspection_client_id": opaque.client_id,
        "introspection_client_secret": opaque.client_secret,
    }
    with Verifier(live_server.url, BILLING, **introspection) as billing:
        assert billing.verify(for_billing).audience == (BILLING,)
        assert billing.verify(opaque_for_billing).audience == (BILLING,)
        with pytest.raises(InvalidTokenError, match="another audience"):
            billing.verify(for_platform)
    with Verifier(live_server.url, platform, **introspection) as platform_api:
        assert platform_api.verify(for_platform).subject == signed.client_id
        for other in (for_billing, opaque_for_billing):
            with pytest.raises(InvalidTokenError, match="another audience"):
                platform_api.verify(other)
