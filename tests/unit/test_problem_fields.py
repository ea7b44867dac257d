"""A refusal names the input it is about (``ProblemError.field``), so a form can show it next to that
field: each core rule sets it, and it is never part of the message itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tokensmith.core import permissions, policies
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import BadRequest, ProblemError
from tokensmith.core.labels import clean_description, clean_name
from tokensmith.core.records import CredentialKind, OrgPolicy
from tokensmith.core.roles import Role
from tokensmith.core.users import normalise_email

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MEMBER = Actor(
    method=AuthMethod.PERSONAL_TOKEN,
    transport=Transport.API,
    user_id="usr_1",
    email="dev@example.test",
    org_id="org_1",
    role=Role.MEMBER,
    scopes=None,
)


@pytest.mark.parametrize(
    ("refuse", "field"),
    [
        (lambda: clean_name(""), "name"),
        (lambda: clean_name("a\x00b"), "name"),
        (lambda: clean_description("x" * 5000), "description"),
        (lambda: permissions.check_scopes(["no:such"], {"api/access": ""}, MEMBER), "scopes"),
        (lambda: permissions.require_admin(MEMBER, "do it", field="kind"), "kind"),
        (
            lambda: permissions.check_credential_kind_allowed(
                OrgPolicy(allow_org_credentials=False), CredentialKind.ORGANIZATION
            ),
            "kind",
        ),
        (lambda: policies.resolve_expiry(OrgPolicy(), NOW, NOW - timedelta(days=1)), "expiry"),
        (lambda: policies.resolve_expiry(OrgPolicy(pat_expiry_required=True), NOW, None), "expiry"),
        (lambda: policies.resolve_expiry(OrgPolicy(), NOW, None, ceiling=NOW + timedelta(days=1)), "expiry"),
        (lambda: normalise_email("not-an-address"), "email"),
    ],
)
def test_each_rule_names_the_field_it_refuses(refuse: Callable[[], object], field: str) -> None:
    with pytest.raises(ProblemError) as refused:
        refuse()
    assert refused.value.field == field
    assert field not in ("", None)


def test_a_problem_about_no_field_names_none() -> None:
    assert BadRequest("cursor is not one this server issued").field is None
