"""The schema, as SQLAlchemy Core tables. Alembic migrations in ``migrations/`` create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")


organizations = Table(
    "organizations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # Policy (seed 002's expiry rules, seed 004's plan gating).
    Column("allow_personal_credentials", Boolean, nullable=False, default=True),
    Column("allow_org_credentials", Boolean, nullable=False, default=True),
    Column("allow_personal_tokens", Boolean, nullable=False, default=True),
    Column("pat_max_lifetime_days", Integer, nullable=True),
    Column("pat_inactivity_days", Integer, nullable=True),
    Column("pat_expiry_required", Boolean, nullable=False, default=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("org_id", String(36), _fk("organizations.id"), primary_key=True),
    Column("user_id", String(36), _fk("users.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_memberships_user_id", "user_id"),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("org_id", String(36), _fk("organizations.id"), nullable=False),
    Column("user_id", String(36), _fk("users.id"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("secret_hash", String(100), nullable=False),
    Column("secret_hint", String(64), nullable=False),
    Column("previous_secret_hash", String(100), nullable=True),
    Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
    Column("scopes", Text, nullable=False),
    Column("token_format", String(16), nullable=False),
    Column("token_ttl", Integer, nullable=False),
    Column("created_by", String(36), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime(), nullable=True),
    # Keyset pagination (``WHERE org_id = ? [AND user_id …] AND id > ? ORDER BY id``): every list
    # of credentials reads its first page from one of these, whatever the table holds.
    Index("ix_credentials_org_page", "org_id", "id"),
    Index("ix_credentials_org_user_page", "org_id", "user_id", "id"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    # Exactly one key per generation: two processes rotating at once cannot both win.
    Column("generation", Integer, nullable=False, unique=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("private_key", Text, nullable=False),  # AES-GCM under the master key
    Column("master_key_id", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("activates_at", UTCDateTime(), nullable=False),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=False),
    Index("ix_revoked_tokens_expires_at", "expires_at"),
)

personal_tokens = Table(
    "personal_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), _fk("organizations.id"), nullable=False),
    Column("user_id", String(36), _fk("users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("token_hash", String(100), nullable=False, unique=True),
    Column("token_hint", String(64), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("last_used_ip", String(64), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("created_by", String(36), nullable=True),
    # Expiry notices already emitted (7 days, 1 day before expiry).
    Column("notified_7d_at", UTCDateTime(), nullable=True),
    Column("notified_1d_at", UTCDateTime(), nullable=True),
    # Keyset pagination of a member's tokens (``… AND id > ? ORDER BY id``).
    Index("ix_personal_tokens_user_page", "org_id", "user_id", "id"),
    # Housekeeping's expiry notices (``expires_at <= ? ORDER BY expires_at``): a range, not a scan.
    Index("ix_personal_tokens_expires_at", "expires_at"),
)

# Opaque access tokens (seed 004) are stored as a keyed hash like every other secret.
access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String(100), primary_key=True),
    Column("jti", String(64), nullable=False, unique=True),
    Column("org_id", String(36), _fk("organizations.id"), nullable=False),
    Column("credential_id", String(36), _fk("credentials.id"), nullable=True),
    Column("personal_token_id", String(36), _fk("personal_tokens.id"), nullable=True),
    Column("client_id", String(64), nullable=True),
    Column("subject", String(64), nullable=False),
    Column("subject_kind", String(16), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_access_tokens_expires_at", "expires_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("org_id", String(36), nullable=True),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", String(64), nullable=True),
    Column("actor_label", String(320), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(32), nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("target_hint", String(200), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("transport", String(16), nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_audit_events_org_time", "org_id", "occurred_at"),
    # Keyset pagination, newest first (``WHERE org_id = ? AND id < ? ORDER BY id DESC``).
    Index("ix_audit_events_org_page", "org_id", "id"),
)

dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id_hash", String(100), primary_key=True),
    Column("user_id", String(36), _fk("users.id"), nullable=False),
    Column("org_id", String(36), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("csrf_token"),
)

#: A dashboard form's one-time outcome (services/reveals.py): the form nonce it was submitted
#: with, where its result is shown, and (for a new secret) that secret sealed with AES-GCM
#: under a master-key subkey until its first view or ``expires_at``, whichever comes first.
one_time_reveals = Table(
    "one_time_reveals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("session_hash", String(100), nullable=False),
    Column("form_nonce", String(64), nullable=False),
    Column("result_url", Text, nullable=True),
    Column("sealed", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    UniqueConstraint("session_hash", "form_nonce"),
)
