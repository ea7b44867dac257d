"""A platform's own API is one resource server for every tenant: a credential the operator grants
``tokens:introspect`` introspects tokens of every organisation; nobody else can grant that scope."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.http_support import CLIENT_CREDENTIALS, TOKEN, basic
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import Forbidden
from tokensmith.core.records import CredentialKind
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

INTROSPECT = "/oauth2/introspect"


def token_for(client: Any, cred: Any) -> str:
    response = client.post(TOKEN, data=CLIENT_CREDENTIALS, headers=basic(cred.client_id, cred.client_secret))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_resource_server_credential_sees_every_organisation(
    client: Any, make_credential: Any, make_org: Any, services: Services
) -> None:
    tenant_a, tenant_b, platform = make_org(), make_org(), make_org()
    jwt_a = token_for(client, make_credential(org=tenant_a))
    opaque_b = token_for(client, make_credential(org=tenant_b, token_format="opaque"))
    user = services.organizations.create_user(
        Actor.system(), "someone@tenant-b.test", org_id=tenant_b.id, role=Role.MEMBER
    )
    pat_b = services.personal_tokens.create(
        Actor.system(), name="ci", scopes=["project:read"], org_id=tenant_b.id, user_id=user.id
    ).plain

    ordinary = make_credential(org=platform)
    resource_server = make_credential(org=platform, scopes=["tokens:introspect"])
    for token, org_id in ((jwt_a, tenant_a.id), (opaque_b, tenant_b.id), (pat_b, tenant_b.id)):
        refused = client.post(
            INTROSPECT, data={"token": token}, headers=basic(ordinary.client_id, ordinary.client_secret)
        )
        assert refused.json() == {"active": False}
        seen = client.post(
            INTROSPECT,
            data={"token": token},
            headers=basic(resource_server.client_id, resource_server.client_secret),
        )
        assert seen.status_code == 200
        body = seen.json()
        assert body["active"] is True and body["org_id"] == org_id


def test_only_the_operator_grants_tokens_introspect(services: Services, make_org: Any) -> None:
    org = make_org()
    admin = services.organizations.create_user(
        Actor.system(), "admin@platform.test", org_id=org.id, role=Role.OWNER
    )
    actor = Actor(
        method=AuthMethod.SESSION,
        transport=Transport.DASHBOARD,
        user_id=admin.id,
        org_id=org.id,
        role=Role.OWNER,
    )
    with pytest.raises(Forbidden) as refused:
        services.credentials.create(
            actor, org_id=org.id, name="rs", kind=CredentialKind.ORGANIZATION, scopes=["tokens:introspect"]
        )
    assert refused.value.code == "scope_not_allowed"
