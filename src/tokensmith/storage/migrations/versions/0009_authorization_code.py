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

from tokensmith.storage.migrations import schema_ops as ops

revision = "0009"
down_revision = "0008"


def _granted() -> list[sa.Column[Any]]:
    """What one consent granted, as a code and its refresh-token family both record it."""
    return [
        ops.string("user_id", 36),
        ops.string("org_id", 36),
        ops.text("scopes"),
        ops.column("resource", sa.JSON()),
        ops.time("auth_time"),
        ops.time("created_at"),
    ]


def upgrade() -> None:
    ops.create(
        "oauth_clients",
        ops.string("client_id", 64),
        ops.string("client_name", 200),
        ops.column("redirect_uris", sa.JSON()),
        ops.text("scope"),
        ops.text("client_uri", nullable=True),
        ops.time("created_at"),
        primary_key=["client_id"],
    )
    ops.create(
        "refresh_token_families",
        ops.string("id", 36),
        ops.text("client_id"),
        ops.string("client_name", 200),
        *_granted(),
        ops.time("last_used_at"),
        ops.time("expires_at"),
        ops.time("revoked_at", nullable=True),
        ops.string("revoked_reason", 32, nullable=True),
        ops.cascade("refresh_token_families", "org_id", "organizations"),
        ops.cascade("refresh_token_families", "user_id", "users"),
        primary_key=["id"],
        indexes={"ix_refresh_token_families_user_page": ["user_id", "org_id", "id"]},
    )
    ops.create(
        "authorization_codes",
        ops.string("code_hash", 100),
        ops.text("client_id"),
        ops.text("redirect_uri"),
        ops.string("code_challenge", 64),
        *_granted(),
        ops.time("expires_at"),
        ops.time("used_at", nullable=True),
        ops.string("family_id", 36, nullable=True),
        ops.cascade("authorization_codes", "family_id", "refresh_token_families"),
        ops.cascade("authorization_codes", "org_id", "organizations"),
        ops.cascade("authorization_codes", "user_id", "users"),
        primary_key=["code_hash"],
        indexes={"ix_authorization_codes_expires_at": ["expires_at"]},
    )
    ops.create(
        "refresh_tokens",
        ops.string("token_hash", 100),
        ops.string("family_id", 36),
        ops.time("created_at"),
        ops.time("used_at", nullable=True),
        ops.cascade("refresh_tokens", "family_id", "refresh_token_families"),
        primary_key=["token_hash"],
        indexes={"ix_refresh_tokens_family_id": ["family_id"]},
    )
    ops.create(
        "family_access_tokens",
        ops.string("jti", 64),
        ops.string("family_id", 36),
        ops.time("expires_at"),
        ops.cascade("family_access_tokens", "family_id", "refresh_token_families"),
        primary_key=["jti"],
        indexes={"ix_family_access_tokens_family_id": ["family_id"]},
    )


def downgrade() -> None:
    ops.drop("family_access_tokens")
    ops.drop("refresh_tokens")
    ops.drop("authorization_codes")
    ops.drop("refresh_token_families")
    ops.drop("oauth_clients")
