"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:06:20.603507
"""

from __future__ import annotations

import sqlalchemy as sa

from tokensmith.storage.migrations import schema_ops as ops

revision = "0001"
down_revision = None


def upgrade() -> None:
    ops.create(
        "audit_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        ops.time("occurred_at"),
        ops.string("org_id", 36, nullable=True),
        ops.string("actor_kind", 16),
        ops.string("actor_id", 64, nullable=True),
        ops.string("actor_label", 320, nullable=True),
        ops.string("action", 64),
        ops.string("target_kind", 32, nullable=True),
        ops.string("target_id", 64, nullable=True),
        ops.string("target_hint", 200, nullable=True),
        ops.string("ip", 64, nullable=True),
        ops.string("transport", 16),
        ops.column("details", sa.JSON()),
        primary_key=["id"],
        indexes={"ix_audit_events_org_time": ["org_id", "occurred_at"]},
    )
    ops.create(
        "organizations",
        ops.string("id", 36),
        ops.string("name", 200),
        ops.time("created_at"),
        ops.column("allow_personal_credentials", sa.Boolean()),
        ops.column("allow_org_credentials", sa.Boolean()),
        ops.column("allow_personal_tokens", sa.Boolean()),
        ops.column("pat_max_lifetime_days", sa.Integer(), nullable=True),
        ops.column("pat_inactivity_days", sa.Integer(), nullable=True),
        ops.column("pat_expiry_required", sa.Boolean()),
        primary_key=["id"],
        unique=["name"],
    )
    ops.create(
        "revoked_tokens",
        ops.string("jti", 64),
        ops.time("expires_at"),
        ops.time("revoked_at"),
        primary_key=["jti"],
        indexes={"ix_revoked_tokens_expires_at": ["expires_at"]},
    )
    ops.create(
        "signing_keys",
        ops.string("kid", 64),
        ops.column("generation", sa.Integer()),
        ops.string("algorithm", 16),
        ops.column("public_jwk", sa.JSON()),
        ops.text("private_key"),
        ops.string("master_key_id", 16),
        ops.time("created_at"),
        ops.time("activates_at"),
        primary_key=["kid"],
        unique=["generation"],
    )
    ops.create(
        "users",
        ops.string("id", 36),
        ops.string("email", 320),
        ops.string("password_hash", 200, nullable=True),
        ops.time("created_at"),
        primary_key=["id"],
        unique=["email"],
    )
    ops.create(
        "credentials",
        ops.string("id", 36),
        ops.string("client_id", 64),
        ops.string("org_id", 36),
        ops.string("user_id", 36, nullable=True),
        ops.string("name", 200),
        ops.text("description"),
        ops.string("secret_hash", 100),
        ops.string("secret_hint", 64),
        ops.string("previous_secret_hash", 100, nullable=True),
        ops.time("previous_secret_expires_at", nullable=True),
        ops.text("scopes"),
        ops.string("token_format", 16),
        ops.column("token_ttl", sa.Integer()),
        ops.string("created_by", 36, nullable=True),
        ops.time("created_at"),
        ops.time("updated_at"),
        ops.time("last_used_at", nullable=True),
        ops.cascade("credentials", "org_id", "organizations"),
        ops.cascade("credentials", "user_id", "users"),
        primary_key=["id"],
        unique=["client_id"],
        indexes={"ix_credentials_org_user": ["org_id", "user_id"]},
    )
    ops.create(
        "dashboard_sessions",
        ops.string("id_hash", 100),
        ops.string("user_id", 36),
        ops.string("org_id", 36, nullable=True),
        ops.string("csrf_token", 64),
        ops.time("created_at"),
        ops.time("expires_at"),
        ops.cascade("dashboard_sessions", "user_id", "users"),
        primary_key=["id_hash"],
        unique=["csrf_token"],
    )
    ops.create(
        "memberships",
        ops.string("org_id", 36),
        ops.string("user_id", 36),
        ops.string("role", 16),
        ops.time("created_at"),
        ops.cascade("memberships", "org_id", "organizations"),
        ops.cascade("memberships", "user_id", "users"),
        primary_key=["org_id", "user_id"],
        indexes={"ix_memberships_user_id": ["user_id"]},
    )
    ops.create(
        "personal_tokens",
        ops.string("id", 36),
        ops.string("org_id", 36),
        ops.string("user_id", 36),
        ops.string("name", 200),
        ops.text("description"),
        ops.string("token_hash", 100),
        ops.string("token_hint", 64),
        ops.text("scopes"),
        ops.time("created_at"),
        ops.time("expires_at", nullable=True),
        ops.time("last_used_at", nullable=True),
        ops.string("last_used_ip", 64, nullable=True),
        ops.time("revoked_at", nullable=True),
        ops.string("created_by", 36, nullable=True),
        ops.time("notified_7d_at", nullable=True),
        ops.time("notified_1d_at", nullable=True),
        ops.cascade("personal_tokens", "org_id", "organizations"),
        ops.cascade("personal_tokens", "user_id", "users"),
        primary_key=["id"],
        unique=["token_hash"],
        indexes={"ix_personal_tokens_user": ["org_id", "user_id"]},
    )
    ops.create(
        "access_tokens",
        ops.string("token_hash", 100),
        ops.string("jti", 64),
        ops.string("org_id", 36),
        ops.string("credential_id", 36, nullable=True),
        ops.string("personal_token_id", 36, nullable=True),
        ops.string("client_id", 64, nullable=True),
        ops.string("subject", 64),
        ops.string("subject_kind", 16),
        ops.text("scopes"),
        ops.time("issued_at"),
        ops.time("expires_at"),
        ops.cascade("access_tokens", "credential_id", "credentials"),
        ops.cascade("access_tokens", "org_id", "organizations"),
        ops.cascade("access_tokens", "personal_token_id", "personal_tokens"),
        primary_key=["token_hash"],
        unique=["jti"],
        indexes={"ix_access_tokens_expires_at": ["expires_at"]},
    )


def downgrade() -> None:
    ops.drop("access_tokens", "ix_access_tokens_expires_at")
    ops.drop("personal_tokens", "ix_personal_tokens_user")
    ops.drop("memberships", "ix_memberships_user_id")
    ops.drop("dashboard_sessions")
    ops.drop("credentials", "ix_credentials_org_user")
    ops.drop("users")
    ops.drop("signing_keys")
    ops.drop("revoked_tokens", "ix_revoked_tokens_expires_at")
    ops.drop("organizations")
    ops.drop("audit_events", "ix_audit_events_org_time")
