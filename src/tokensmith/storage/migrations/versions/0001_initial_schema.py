"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:06:20.603507
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _column(name: str, type_: sa.types.TypeEngine[Any], *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


def _string(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return _column(name, sa.String(length=length), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return _column(name, sa.DateTime(timezone=True), nullable=nullable)


def _cascade(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    """``column`` refers to ``parent.id``; deleting the parent row deletes this one."""
    name = op.f(f"fk_{table}_{column}_{parent}")
    return sa.ForeignKeyConstraint([column], [f"{parent}.id"], name=name, ondelete="CASCADE")


def _create(
    table: str,
    *elements: sa.Column[Any] | sa.ForeignKeyConstraint,
    primary_key: Sequence[str],
    unique: Sequence[str] = (),
    index: tuple[str, list[str]] | None = None,
) -> None:
    op.create_table(
        table,
        *elements,
        sa.PrimaryKeyConstraint(*primary_key, name=op.f(f"pk_{table}")),
        *[sa.UniqueConstraint(column, name=op.f(f"uq_{table}_{column}")) for column in unique],
    )
    if index is not None:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index[0], index[1], unique=False)


def _drop(table: str, index: str | None = None) -> None:
    if index is not None:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
    op.drop_table(table)


def upgrade() -> None:
    _create(
        "audit_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        _time("occurred_at"),
        _string("org_id", 36, nullable=True),
        _string("actor_kind", 16),
        _string("actor_id", 64, nullable=True),
        _string("actor_label", 320, nullable=True),
        _string("action", 64),
        _string("target_kind", 32, nullable=True),
        _string("target_id", 64, nullable=True),
        _string("target_hint", 200, nullable=True),
        _string("ip", 64, nullable=True),
        _string("transport", 16),
        _column("details", sa.JSON()),
        primary_key=["id"],
        index=("ix_audit_events_org_time", ["org_id", "occurred_at"]),
    )
    _create(
        "organizations",
        _string("id", 36),
        _string("name", 200),
        _time("created_at"),
        _column("allow_personal_credentials", sa.Boolean()),
        _column("allow_org_credentials", sa.Boolean()),
        _column("allow_personal_tokens", sa.Boolean()),
        _column("pat_max_lifetime_days", sa.Integer(), nullable=True),
        _column("pat_inactivity_days", sa.Integer(), nullable=True),
        _column("pat_expiry_required", sa.Boolean()),
        primary_key=["id"],
        unique=["name"],
    )
    _create(
        "revoked_tokens",
        _string("jti", 64),
        _time("expires_at"),
        _time("revoked_at"),
        primary_key=["jti"],
        index=("ix_revoked_tokens_expires_at", ["expires_at"]),
    )
    _create(
        "signing_keys",
        _string("kid", 64),
        _column("generation", sa.Integer()),
        _string("algorithm", 16),
        _column("public_jwk", sa.JSON()),
        _column("private_key", sa.Text()),
        _string("master_key_id", 16),
        _time("created_at"),
        _time("activates_at"),
        primary_key=["kid"],
        unique=["generation"],
    )
    _create(
        "users",
        _string("id", 36),
        _string("email", 320),
        _string("password_hash", 200, nullable=True),
        _time("created_at"),
        primary_key=["id"],
        unique=["email"],
    )
    _create(
        "credentials",
        _string("id", 36),
        _string("client_id", 64),
        _string("org_id", 36),
        _string("user_id", 36, nullable=True),
        _string("name", 200),
        _column("description", sa.Text()),
        _string("secret_hash", 100),
        _string("secret_hint", 64),
        _string("previous_secret_hash", 100, nullable=True),
        _time("previous_secret_expires_at", nullable=True),
        _column("scopes", sa.Text()),
        _string("token_format", 16),
        _column("token_ttl", sa.Integer()),
        _string("created_by", 36, nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _time("last_used_at", nullable=True),
        _cascade("credentials", "org_id", "organizations"),
        _cascade("credentials", "user_id", "users"),
        primary_key=["id"],
        unique=["client_id"],
        index=("ix_credentials_org_user", ["org_id", "user_id"]),
    )
    _create(
        "dashboard_sessions",
        _string("id_hash", 100),
        _string("user_id", 36),
        _string("org_id", 36, nullable=True),
        _string("csrf_token", 64),
        _time("created_at"),
        _time("expires_at"),
        _cascade("dashboard_sessions", "user_id", "users"),
        primary_key=["id_hash"],
        unique=["csrf_token"],
    )
    _create(
        "memberships",
        _string("org_id", 36),
        _string("user_id", 36),
        _string("role", 16),
        _time("created_at"),
        _cascade("memberships", "org_id", "organizations"),
        _cascade("memberships", "user_id", "users"),
        primary_key=["org_id", "user_id"],
        index=("ix_memberships_user_id", ["user_id"]),
    )
    _create(
        "personal_tokens",
        _string("id", 36),
        _string("org_id", 36),
        _string("user_id", 36),
        _string("name", 200),
        _column("description", sa.Text()),
        _string("token_hash", 100),
        _string("token_hint", 64),
        _column("scopes", sa.Text()),
        _time("created_at"),
        _time("expires_at", nullable=True),
        _time("last_used_at", nullable=True),
        _string("last_used_ip", 64, nullable=True),
        _time("revoked_at", nullable=True),
        _string("created_by", 36, nullable=True),
        _time("notified_7d_at", nullable=True),
        _time("notified_1d_at", nullable=True),
        _cascade("personal_tokens", "org_id", "organizations"),
        _cascade("personal_tokens", "user_id", "users"),
        primary_key=["id"],
        unique=["token_hash"],
        index=("ix_personal_tokens_user", ["org_id", "user_id"]),
    )
    _create(
        "access_tokens",
        _string("token_hash", 100),
        _string("jti", 64),
        _string("org_id", 36),
        _string("credential_id", 36, nullable=True),
        _string("personal_token_id", 36, nullable=True),
        _string("client_id", 64, nullable=True),
        _string("subject", 64),
        _string("subject_kind", 16),
        _column("scopes", sa.Text()),
        _time("issued_at"),
        _time("expires_at"),
        _cascade("access_tokens", "credential_id", "credentials"),
        _cascade("access_tokens", "org_id", "organizations"),
        _cascade("access_tokens", "personal_token_id", "personal_tokens"),
        primary_key=["token_hash"],
        unique=["jti"],
        index=("ix_access_tokens_expires_at", ["expires_at"]),
    )


def downgrade() -> None:
    _drop("access_tokens", "ix_access_tokens_expires_at")
    _drop("personal_tokens", "ix_personal_tokens_user")
    _drop("memberships", "ix_memberships_user_id")
    _drop("dashboard_sessions")
    _drop("credentials", "ix_credentials_org_user")
    _drop("users")
    _drop("signing_keys")
    _drop("revoked_tokens", "ix_revoked_tokens_expires_at")
    _drop("organizations")
    _drop("audit_events", "ix_audit_events_org_time")
