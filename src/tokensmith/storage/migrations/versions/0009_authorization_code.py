"""authorization code flow: public clients, codes, refresh-token families

Revision ID: 0009
Revises: 0008

OAuth 2.1 authorization code with PKCE for people's apps and MCP clients. ``oauth_clients`` holds
the public clients RFC 7591 registration creates; ``authorization_codes`` the single-use codes
(keyed hash); ``refresh_token_families`` what one consent produced ("Authorized apps"), with its
rotating ``refresh_tokens`` (keyed hashes, rotated ones kept to detect reuse) and the ``jti`` of
every access token minted from it (``family_access_tokens``) so that revoking the family revokes
them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tokensmith.storage.migrations.schema_ops import cascade, column, create, drop, string, text, time

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _granted() -> list[sa.Column[Any]]:
    """What one consent granted, as a code and its refresh-token family both record it."""
    return [
        string("user_id", 36),
        string("org_id", 36),
        text("scopes"),
        column("resource", sa.JSON()),
        time("auth_time"),
        time("created_at"),
    ]


def upgrade() -> None:
    create(
        "oauth_clients",
        string("client_id", 64),
        string("client_name", 200),
        column("redirect_uris", sa.JSON()),
        text("scope"),
        text("client_uri", nullable=True),
        time("created_at"),
        primary_key=["client_id"],
    )
    create(
        "refresh_token_families",
        string("id", 36),
        text("client_id"),
        string("client_name", 200),
        *_granted(),
        time("last_used_at"),
        time("expires_at"),
        time("revoked_at", nullable=True),
        string("revoked_reason", 32, nullable=True),
        cascade("refresh_token_families", "org_id", "organizations"),
        cascade("refresh_token_families", "user_id", "users"),
        primary_key=["id"],
        indexes={"ix_refresh_token_families_user_page": ["user_id", "org_id", "id"]},
    )
    create(
        "authorization_codes",
        string("code_hash", 100),
        text("client_id"),
        text("redirect_uri"),
        string("code_challenge", 64),
        *_granted(),
        time("expires_at"),
        time("used_at", nullable=True),
        string("family_id", 36, nullable=True),
        cascade("authorization_codes", "family_id", "refresh_token_families"),
        cascade("authorization_codes", "org_id", "organizations"),
        cascade("authorization_codes", "user_id", "users"),
        primary_key=["code_hash"],
        indexes={"ix_authorization_codes_expires_at": ["expires_at"]},
    )
    create(
        "refresh_tokens",
        string("token_hash", 100),
        string("family_id", 36),
        time("created_at"),
        time("used_at", nullable=True),
        cascade("refresh_tokens", "family_id", "refresh_token_families"),
        primary_key=["token_hash"],
        indexes={"ix_refresh_tokens_family_id": ["family_id"]},
    )
    create(
        "family_access_tokens",
        string("jti", 64),
        string("family_id", 36),
        time("expires_at"),
        cascade("family_access_tokens", "family_id", "refresh_token_families"),
        primary_key=["jti"],
        indexes={"ix_family_access_tokens_family_id": ["family_id"]},
    )


def downgrade() -> None:
    drop("family_access_tokens")
    drop("refresh_tokens")
    drop("authorization_codes")
    drop("refresh_token_families")
    drop("oauth_clients")
