"""Which credential kinds may get tokens (core/policies.check_client_allowed): the one check the
token endpoint's client authentication and every door that issues a token share."""

from __future__ import annotations

import pytest

from tokensmith.core import policies
from tokensmith.core.errors import UnauthorizedClient
from tokensmith.core.records import CredentialKind, OrgPolicy


@pytest.mark.parametrize("kind", list(CredentialKind))
def test_an_allowed_kind_passes(kind: CredentialKind) -> None:
    policies.check_client_allowed(OrgPolicy(), kind)  # no error


@pytest.mark.parametrize(
    ("policy", "kind", "description"),
    [
        (
            OrgPolicy(allow_personal_credentials=False),
            CredentialKind.PERSONAL,
            "this organisation's policy does not allow personal credentials",
        ),
        (
            OrgPolicy(allow_org_credentials=False),
            CredentialKind.ORGANIZATION,
            "this organisation's policy does not allow organisation credentials",
        ),
    ],
)
def test_a_disallowed_kind_is_unauthorized_client(
    policy: OrgPolicy, kind: CredentialKind, description: str
) -> None:
    with pytest.raises(UnauthorizedClient) as refused:
        policies.check_client_allowed(policy, kind)
    assert refused.value.error == "unauthorized_client"
    assert refused.value.description == description
    other = CredentialKind.ORGANIZATION if kind is CredentialKind.PERSONAL else CredentialKind.PERSONAL
    policies.check_client_allowed(policy, other)
