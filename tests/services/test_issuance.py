"""The one guarded way to issue a token (services/issuance.py), at the service layer.

Every door — the client credentials grant, RFC 8693 exchange, the dashboard's Generate Token —
must refuse what the organisation's policy refuses, cap a personal credential by its owner's
role, and name the owner in ``owner_sub``.
"""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from tokensmith.core import delegation
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import Forbidden, InvalidClient, InvalidScope, UnauthorizedClient
from tokensmith.core.records import CredentialKind, Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.services.issuance import narrow
from tokensmith.storage.repositories.organizations import OrganizationRepository

SYSTEM = Actor.system()


def _session(org: Organization, user_id: str, role: Role) -> Actor:
    return Actor(
        method=AuthMethod.SESSION, transport=Transport.DASHBOARD, user_id=user_id, org_id=org.id, role=role
    )


def _member(services: Services, org: Organization, role: Role, email: str) -> str:
    return services.organizations.create_user(SYSTEM, email, org_id=org.id, role=role).id


def _claims(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_generate_token_obeys_the_policy_like_the_token_endpoint(
    services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    user_id = _member(services, org, Role.MEMBER, "m@example.test")
    created = services.credentials.create(
        SYSTEM, org_id=org.id, name="mine", kind=CredentialKind.PERSONAL, user_id=user_id
    )
    me = _session(org, user_id, Role.MEMBER)
    assert services.studio.generate(me, created.credential.id).claims["sub_kind"] == "client"
    services.policies.update(SYSTEM, org.id, {"allow_personal_credentials": False})
    with pytest.raises(UnauthorizedClient):
        services.client_credentials.issue(created.credential.client_id, created.client_secret, None, None)
    with pytest.raises(Forbidden) as refused:
        services.studio.generate(me, created.credential.id)
    assert refused.value.code == "policy_forbids"
    assert "does not allow personal credentials" in refused.value.description


def test_organisation_credentials_disallowed_are_refused_at_generate_token(
    services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    owner_id = _member(services, org, Role.OWNER, "o@example.test")
    created = services.credentials.create(SYSTEM, org_id=org.id, name="org", kind=CredentialKind.ORGANIZATION)
    services.policies.update(SYSTEM, org.id, {"allow_org_credentials": False})
    with pytest.raises(Forbidden) as refused:
        services.studio.generate(_session(org, owner_id, Role.OWNER), created.credential.id)
    assert refused.value.code == "policy_forbids"


def test_a_member_cannot_give_a_personal_credential_admin_only_scopes(
    services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    member_id = _member(services, org, Role.MEMBER, "m@example.test")
    for actor in (_session(org, member_id, Role.MEMBER), SYSTEM):  # the member's own door, and the CLI's
        with pytest.raises(Forbidden) as refused:
            services.credentials.create(
                actor,
                org_id=org.id,
                name="too wide",
                kind=CredentialKind.PERSONAL,
                user_id=member_id,
                scopes=["api/access", "members:write"],
            )
        assert refused.value.code == "scope_not_allowed"
        assert "members:write" in refused.value.description


def test_a_role_downgrade_narrows_the_next_token_and_names_the_owner(
    services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    make_owner = _member(services, org, Role.OWNER, "owner@example.test")
    admin_id = _member(services, org, Role.ADMIN, "admin@example.test")
    created = services.credentials.create(
        SYSTEM,
        org_id=org.id,
        name="admin's",
        kind=CredentialKind.PERSONAL,
        user_id=admin_id,
        scopes=["api/access", "members:write", "audit:read"],
    )
    cid, secret = created.credential.client_id, created.client_secret
    before = services.client_credentials.issue(cid, secret, None, None)
    assert before.scope == "api/access audit:read members:write"
    claims = _claims(before.access_token)
    assert (
        claims[delegation.OWNER_CLAIM] == admin_id and claims["sub"] == cid and claims["sub_kind"] == "client"
    )

    services.members.set_role(_session(org, make_owner, Role.OWNER), org.id, admin_id, Role.MEMBER)
    after = services.client_credentials.issue(cid, secret, None, None)
    assert after.scope == "api/access"  # an omitted scope: what the member may still grant
    with pytest.raises(InvalidScope):
        services.client_credentials.issue(cid, secret, "members:write", None)
    generated = services.studio.generate(_session(org, admin_id, Role.MEMBER), created.credential.id)
    assert generated.claims["scope"] == "api/access"
    assert generated.claims[delegation.OWNER_CLAIM] == admin_id


def test_an_owner_gone_from_the_organisation_gets_no_token(
    services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    user_id = _member(services, org, Role.MEMBER, "m@example.test")
    created = services.credentials.create(
        SYSTEM, org_id=org.id, name="mine", kind=CredentialKind.PERSONAL, user_id=user_id
    )
    cid, secret = created.credential.client_id, created.client_secret
    services.client_credentials.issue(cid, secret, None, None)
    # The membership disappears behind the service's back (its credentials are left over):
    with services.database.transaction() as connection:
        OrganizationRepository(connection).remove_member(org.id, user_id)
    with pytest.raises(UnauthorizedClient):
        services.client_credentials.issue(cid, secret, None, None)
    # Through the service, removal deletes the credential: the client is unknown.
    services.members.add(SYSTEM, org.id, "m@example.test", Role.MEMBER)
    again = services.credentials.create(
        SYSTEM, org_id=org.id, name="again", kind=CredentialKind.PERSONAL, user_id=user_id
    )
    services.members.remove(SYSTEM, org.id, user_id)
    with pytest.raises(InvalidClient):
        services.client_credentials.issue(again.credential.client_id, again.client_secret, None, None)


def test_organisation_credential_tokens_name_no_owner(
    services: Services, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    created = services.credentials.create(
        SYSTEM, org_id=org.id, name="org", kind=CredentialKind.ORGANIZATION, scopes=["members:write"]
    )
    issued = services.client_credentials.issue(
        created.credential.client_id, created.client_secret, None, None
    )
    assert issued.scope == "members:write"
    assert delegation.OWNER_CLAIM not in _claims(issued.access_token)


def test_narrow_is_rfc_6749_section_3_3() -> None:
    allowed = frozenset({"a", "b"})
    assert narrow(frozenset(), allowed, "no") == allowed
    assert narrow(frozenset({"a"}), allowed, "no") == {"a"}
    with pytest.raises(InvalidScope, match="no: c"):
        narrow(frozenset({"a", "c"}), allowed, "no")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.MEMBER, {"api/access", "credentials:write"}),
        (Role.ADMIN, {"api/access", "credentials:write", "members:write", "audit:read"}),
        (Role.OWNER, {"api/access", "credentials:write", "members:write", "audit:read"}),
    ],
)
def test_what_each_role_may_delegate(role: Role, expected: set[str]) -> None:
    asked = {"api/access", "credentials:write", "members:write", "audit:read"}
    assert delegation.grantable(role, asked) == expected
