"""A wire model is built from a record's attributes of the same names, and from nothing else of it."""

from __future__ import annotations

from datetime import UTC, datetime

from tokensmith.core.records import Credential, Organization, OrgPolicy, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.services.credentials import CredentialPage
from tokensmith.wire.credentials import CreatedCredentialOut, CredentialOut
from tokensmith.wire.orgs import OrgMembershipOut
from tokensmith.wire.page import Page

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CREDENTIAL = Credential(
    id="cred_1",
    client_id="a" * 26,
    org_id="org_1",
    user_id=None,
    name="backend",
    description="nightly",
    secret_hash="hmac-of-the-secret",
    secret_hint="tss_…wxyz",
    previous_secret_hash="hmac-of-the-old-secret",
    previous_secret_expires_at=None,
    scopes=frozenset({"project:read", "api/access"}),
    token_format=TokenFormat.OPAQUE,
    token_ttl=900,
    created_by="usr_1",
    created_at=NOW,
    updated_at=NOW,
    last_used_at=None,
    owner_role=Role.OWNER,
)
PUBLIC = {
    "id": "cred_1",
    "client_id": "a" * 26,
    "kind": "organization",
    "name": "backend",
    "description": "nightly",
    "org_id": "org_1",
    "user_id": None,
    "scopes": ["api/access", "project:read"],
    "token_format": "opaque",
    "token_ttl": 900,
    "secret_hint": "tss_…wxyz",
    "created_at": "2026-01-02T03:04:05Z",
    "updated_at": "2026-01-02T03:04:05Z",
    "last_used_at": None,
    "previous_secret_expires_at": None,
    "auth_method": "client_secret",
    "key_thumbprints": [],
    "jwks_uri": None,
    "reuse_tokens": False,
    "require_dpop": False,
}


def test_a_credential_is_described_by_its_public_fields_only() -> None:
    described = CredentialOut.of(CREDENTIAL).model_dump(mode="json")
    assert described == PUBLIC  # kind from the record's property, scopes sorted, times RFC 3339
    assert "hmac" not in str(described) and "owner_role" not in described


def test_extra_fields_come_from_the_call() -> None:
    created = CreatedCredentialOut.of(CREDENTIAL, client_secret="tss_new")
    assert created.model_dump(mode="json") == {**PUBLIC, "client_secret": "tss_new"}
    org = Organization(id="org_1", name="acme", created_at=NOW, policy=OrgPolicy())
    membership = OrgMembershipOut.of(org, role=Role.ADMIN)
    assert membership.model_dump(mode="json") == {
        "id": "org_1",
        "name": "acme",
        "created_at": "2026-01-02T03:04:05Z",
        "role": "admin",
    }


def test_a_page_is_its_items_described_and_the_cursor() -> None:
    page = Page.of(CredentialOut.of, CredentialPage([CREDENTIAL], "next"))
    assert page.model_dump(mode="json") == {"items": [PUBLIC], "next_cursor": "next"}
