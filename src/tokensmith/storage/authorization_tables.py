"""The authorization code flow's tables (OAuth 2.1 with PKCE, RFC 7591 clients, refresh-token families)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, String, Table, Text

from tokensmith.storage.table_base import UTCDateTime, metadata, org_id_column, user_id_column
from tokensmith.storage.table_base import cascade_fk as _fk


def _granted() -> list[Column[Any]]:
    """What one consent granted, as a code and its refresh-token family both record it: who, in
    which organisation, the scopes and resources, when the person authenticated."""
    return [
        user_id_column(),
        org_id_column(),
        Column("scopes", Text, nullable=False),
        Column("resource", JSON, nullable=False),
        Column("auth_time", UTCDateTime(), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
    ]


#: Public clients registered by RFC 7591 Dynamic Client Registration (``token_endpoint_auth_method``
#: ``none``): the authorization code flow's clients (services/client_registration.py).
oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("client_name", String(200), nullable=False),
    Column("redirect_uris", JSON, nullable=False),
    Column("scope", Text, nullable=False),
    Column("client_uri", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: What one consent produced (services/authorization_grants.py): its refresh tokens rotate on every
#: use, reuse of a rotated one revokes the family and every access token minted from it.
refresh_token_families = Table(
    "refresh_token_families",
    metadata,
    Column("id", String(36), primary_key=True),
    # A registered client's id, or a Client ID Metadata Document's URL: not a foreign key.
    Column("client_id", Text, nullable=False),
    Column("client_name", String(200), nullable=False),
    *_granted(),
    Column("last_used_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_reason", String(32), nullable=True),
    # RFC 9449 §5: the DPoP key (JWK thumbprint) its refresh tokens are bound to (migration 0011).
    Column("dpop_jkt", String(64), nullable=True),
    # A person's authorized apps, in one organisation.
    Index("ix_refresh_token_families_user_page", "user_id", "org_id", "id"),
)

#: Authorization codes (OAuth 2.1 draft §4.1.2): keyed hash only, single use, a minute long.
authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(100), primary_key=True),
    Column("client_id", Text, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", String(64), nullable=False),
    *_granted(),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("used_at", UTCDateTime(), nullable=True),
    Column("family_id", String(36), _fk("refresh_token_families.id"), nullable=True),
)

#: Every refresh token of a family, current and rotated (keyed hash only): a rotated one presented
#: again is reuse.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(100), primary_key=True),
    Column("family_id", String(36), _fk("refresh_token_families.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
)

#: The access tokens minted from a family (their ``jti``), so revoking the family revokes them.
family_access_tokens = Table(
    "family_access_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("family_id", String(36), _fk("refresh_token_families.id"), nullable=False, index=True),
    Column("expires_at", UTCDateTime(), nullable=False),
)
