"""Pure permission rules (``tokensmith.core.permissions``): scopes are a ceiling, roles decide."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tokensmith.core import permissions as p
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import BadRequest, Forbidden, NotFound
from tokensmith.core.records import Credential, CredentialKind, OrgPolicy, TokenFormat
from tokensmith.core.roles import Role

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REGISTRY = {"api/access": "", "project:read": "", "credentials:write": ""}


def actor(
    role: Role | None = Role.MEMBER,
    scopes: frozenset[str] | None = None,
    org: str = "org-1",
    user: str = "user-1",
) -> Actor:
    return Actor(
        method=AuthMethod.SESSION, transport=Transport.API, user_id=user, org_id=org, role=role, scopes=scopes
    )


def credential(user_id: str | None = None, org_id: str = "org-1") -> Credential:
    return Credential(
        id="c1",
        client_id="a" * 26,
        org_id=org_id,
        user_id=user_id,
        name="n",
        description="",
        secret_hash="h",
        secret_hint="tss_…abcd",
        previous_secret_hash=None,
        previous_secret_expires_at=None,
        scopes=frozenset({"api/access"}),
        token_format=TokenFormat.JWT,
        token_ttl=3600,
        created_by=None,
        created_at=NOW,
        updated_at=NOW,
        last_used_at=None,
    )


def test_require_scope_respects_the_ceiling() -> None:
    p.require_scope(actor(scopes=None), "credentials:write")  # session: no ceiling
    p.require_scope(actor(scopes=frozenset({"credentials:write"})), "credentials:write")
    with pytest.raises(Forbidden) as caught:
        p.require_scope(actor(scopes=frozenset({"api/access"})), "credentials:write")
    assert caught.value.code == "insufficient_scope"


def test_other_organisations_objects_are_not_found() -> None:
    p.require_org(actor(), "org-1")
    p.require_org(Actor.system(), "org-2")
    with pytest.raises(NotFound):
        p.require_org(actor(), "org-2")


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.OWNER, True), (Role.ADMIN, True), (Role.MEMBER, False), (None, False)]
)
def test_require_admin(role: Role | None, allowed: bool) -> None:
    if allowed:
        p.require_admin(actor(role=role), "x")
    else:
        with pytest.raises(Forbidden):
            p.require_admin(actor(role=role), "x")
    p.require_admin(Actor.system(), "x")


def test_check_scopes_unknown_and_wider_than_ceiling() -> None:
    assert p.check_scopes(["api/access"], REGISTRY, actor()) == frozenset({"api/access"})
    with pytest.raises(BadRequest) as unknown:
        p.check_scopes(["api/access", "nope"], REGISTRY, actor())
    assert unknown.value.code == "scope_not_allowed"
    assert "nope" in unknown.value.description
    with pytest.raises(Forbidden) as wider:
        p.check_scopes(["project:read"], REGISTRY, actor(scopes=frozenset({"api/access"})))
    assert wider.value.code == "scope_not_allowed"


def test_visibility_of_credentials() -> None:
    mine, theirs, org_wide = credential("user-1"), credential("user-2"), credential(None)
    member = actor()
    assert p.can_see_credential(member, mine)
    assert p.can_see_credential(member, org_wide)
    assert not p.can_see_credential(member, theirs)
    assert not p.can_see_credential(actor(org="org-2"), org_wide)
    assert p.can_see_credential(Actor.system(), theirs)


def test_changing_credentials() -> None:
    mine, org_wide = credential("user-1"), credential(None)
    assert p.can_change_credential(actor(), mine)
    assert not p.can_change_credential(actor(), org_wide)
    assert p.can_change_credential(actor(role=Role.ADMIN), org_wide)
    assert not p.can_change_credential(actor(role=Role.OWNER), credential("user-2"))  # even owners
    assert p.can_change_credential(Actor.system(), org_wide)
    assert credential(None).kind is CredentialKind.ORGANIZATION
    assert replace(org_wide, user_id="u").kind is CredentialKind.PERSONAL


def test_policy_can_forbid_each_kind() -> None:
    p.check_credential_kind_allowed(OrgPolicy(), CredentialKind.PERSONAL)
    with pytest.raises(Forbidden) as personal:
        p.check_credential_kind_allowed(OrgPolicy(allow_personal_credentials=False), CredentialKind.PERSONAL)
    assert personal.value.code == "policy_forbids"
    p.check_credential_kind_allowed(OrgPolicy(allow_personal_credentials=False), CredentialKind.ORGANIZATION)
    with pytest.raises(Forbidden):
        p.check_credential_kind_allowed(OrgPolicy(allow_org_credentials=False), CredentialKind.ORGANIZATION)
