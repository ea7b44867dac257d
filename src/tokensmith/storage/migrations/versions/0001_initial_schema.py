"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:06:20.603507
"""

from __future__ import annotations

import sqlalchemy as sa

from tokensmith.storage.migrations.schema_ops import cascade, column, create, drop, string, text, time

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create(
        "audit_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        time("occurred_at"),
        string("org_id", 36, nullable=True),
        string("actor_kind", 16),
        string("actor_id", 64, nullable=True),
        string("actor_label", 320, nullable=True),
        string("action", 64),
        string("target_kind", 32, nullable=True),
        string("target_id", 64, nullable=True),
        string("target_hint", 200, nullable=True),
        string("ip", 64, nullable=True),
        string("transport", 16),
        column("details", sa.JSON()),
        primary_key=["id"],
        indexes={"ix_audit_events_org_time": ["org_id", "occurred_at"]},
    )
    create(
        "organizations",
        string("id", 36),
        string("name", 200),
        time("created_at"),
        column("allow_personal_credentials", sa.Boolean()),
        column("allow_org_credentials", sa.Boolean()),
        column("allow_personal_tokens", sa.Boolean()),
        column("pat_max_lifetime_days", sa.Integer(), nullable=True),
        column("pat_inactivity_days", sa.Integer(), nullable=True),
        column("pat_expiry_required", sa.Boolean()),
        primary_key=["id"],
        unique=["name"],
    )
    create(
        "revoked_tokens",
        string("jti", 64),
        time("expires_at"),
        time("revoked_at"),
        primary_key=["jti"],
        indexes={"ix_revoked_tokens_expires_at": ["expires_at"]},
    )
    create(
        "signing_keys",
        string("kid", 64),
        column("generation", sa.Integer()),
        string("algorithm", 16),
        column("public_jwk", sa.JSON()),
        text("private_key"),
        string("master_key_id", 16),
        time("created_at"),
        time("activates_at"),
        primary_key=["kid"],
        unique=["generation"],
    )
    create(
        "users",
        string("id", 36),
        string("email", 320),
        string("password_hash", 200, nullable=True),
        time("created_at"),
        primary_key=["id"],
        unique=["email"],
    )
    create(
        "credentials",
        string("id", 36),
        string("client_id", 64),
        string("org_id", 36),
        string("user_id", 36, nullable=True),
        string("name", 200),
        text("description"),
        string("secret_hash", 100),
        string("secret_hint", 64),
        string("previous_secret_hash", 100, nullable=True),
        time("previous_secret_expires_at", nullable=True),
        text("scopes"),
        string("token_format", 16),
        column("token_ttl", sa.Integer()),
        string("created_by", 36, nullable=True),
        time("created_at"),
        time("updated_at"),
        time("last_used_at", nullable=True),
        cascade("credentials", "org_id", "organizations"),
        cascade("credentials", "user_id", "users"),
        primary_key=["id"],
        unique=["client_id"],
        indexes={"ix_credentials_org_user": ["org_id", "user_id"]},
    )
    create(
        "dashboard_sessions",
        string("id_hash", 100),
        string("user_id", 36),
        string("org_id", 36, nullable=True),
        string("csrf_token", 64),
        time("created_at"),
        time("expires_at"),
        cascade("dashboard_sessions", "user_id", "users"),
        primary_key=["id_hash"],
        unique=["csrf_token"],
    )
    create(
        "memberships",
        string("org_id", 36),
        string("user_id", 36),
        string("role", 16),
        time("created_at"),
        cascade("memberships", "org_id", "organizations"),
        cascade("memberships", "user_id", "users"),
        primary_key=["org_id", "user_id"],
        indexes={"ix_memberships_user_id": ["user_id"]},
    )
    create(
        "personal_tokens",
        string("id", 36),
        string("org_id", 36),
        string("user_id", 36),
        string("name", 200),
        text("description"),
        string("token_hash", 100),
        string("token_hint", 64),
        text("scopes"),
        time("created_at"),
        time("expires_at", nullable=True),
        time("last_used_at", nullable=True),
        string("last_used_ip", 64, nullable=True),
        time("revoked_at", nullable=True),
        string("created_by", 36, nullable=True),
        time("notified_7d_at", nullable=True),
        time("notified_1d_at", nullable=True),
        cascade("personal_tokens", "org_id", "organizations"),
        cascade("personal_tokens", "user_id", "users"),
        primary_key=["id"],
        unique=["token_hash"],
        indexes={"ix_personal_tokens_user": ["org_id", "user_id"]},
    )
    create(
        "access_tokens",
        string("token_hash", 100),
        string("jti", 64),
        string("org_id", 36),
        string("credential_id", 36, nullable=True),
        string("personal_token_id", 36, nullable=True),
        string("client_id", 64, nullable=True),
        string("subject", 64),
        string("subject_kind", 16),
        text("scopes"),
        time("issued_at"),
        time("expires_at"),
        cascade("access_tokens", "credential_id", "credentials"),
        cascade("access_tokens", "org_id", "organizations"),
        cascade("access_tokens", "personal_token_id", "personal_tokens"),
        primary_key=["token_hash"],
        unique=["jti"],
        indexes={"ix_access_tokens_expires_at": ["expires_at"]},
    )


def downgrade() -> None:
    drop("access_tokens", "ix_access_tokens_expires_at")
    drop("personal_tokens", "ix_personal_tokens_user")
    drop("memberships", "ix_memberships_user_id")
    drop("dashboard_sessions")
    drop("credentials", "ix_credentials_org_user")
    drop("users")
    drop("signing_keys")
    drop("revoked_tokens", "ix_revoked_tokens_expires_at")
    drop("organizations")
    drop("audit_events", "ix_audit_events_org_time")
