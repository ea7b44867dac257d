"""The schema, as SQLAlchemy Core tables. Alembic migrations in ``migrations/`` create it.

The shared ``metadata`` and column types live in ``table_base``; the authorization code flow's
tables in ``authorization_tables``. Both are re-exported here, so ``tokensmith.storage.tables``
names every table.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from tokensmith.storage.authorization_tables import (
    authorization_codes,
    family_access_tokens,
    oauth_clients,
    refresh_token_families,
    refresh_tokens,
)
from tokensmith.storage.table_base import UTCDateTime, metadata, org_id_column, user_id_column
from tokensmith.storage.table_base import cascade_fk as _fk

__all__ = [
    "UTCDateTime",
    "access_tokens",
    "audit_events",
    "authorization_codes",
    "client_assertion_jtis",
    "credentials",
    "dashboard_sessions",
    "family_access_tokens",
    "memberships",
    "metadata",
    "oauth_clients",
    "one_time_reveals",
    "organizations",
    "personal_tokens",
    "refresh_token_families",
    "refresh_tokens",
    "resources",
    "revoked_tokens",
    "signing_keys",
    "users",
    "webhook_deliveries",
    "webhook_endpoints",
]


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
    # Issuance quota (migration 0010).
    Column("credential_tokens_per_hour", Integer, nullable=True),
    # Refresh-token lifetimes of the authorization code flow (migration 0011; NULL: the settings).
    Column("refresh_token_lifetime_seconds", Integer, nullable=True),
    Column("refresh_token_idle_seconds", Integer, nullable=True),
    # Which kinds of public client may be authorized here (migration 0012, issue 12 item 4).
    Column("allow_registered_clients", Boolean, nullable=False, default=True, server_default=true()),
    Column("allow_metadata_document_clients", Boolean, nullable=False, default=True, server_default=true()),
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
    org_id_column(),
    user_id_column(nullable=True),
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
    # Token reuse opt-in (migration 0010).
    Column("reuse_tokens", Boolean, nullable=False, default=False, server_default=false()),
    # private_key_jwt (RFC 7523 §2.2): how the client authenticates, its public JWK Set (JSON) or
    # the URL it publishes one at. A key-based credential's secret_hash is never usable.
    Column("auth_method", String(32), nullable=False, server_default="client_secret"),
    Column("jwks", Text, nullable=True),
    Column("jwks_uri", Text, nullable=True),
    # RFC 9449 §5: this client's token requests must carry a DPoP proof.
    Column("require_dpop", Boolean, nullable=False, default=False, server_default=false()),
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
    org_id_column(),
    user_id_column(),
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
    # Webhook notices already emitted: the token expired, or stopped working for inactivity.
    Column("notified_expired_at", UTCDateTime(), nullable=True),
    Column("notified_inactive_at", UTCDateTime(), nullable=True),
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
    org_id_column(),
    Column("credential_id", String(36), _fk("credentials.id"), nullable=True),
    Column("personal_token_id", String(36), _fk("personal_tokens.id"), nullable=True),
    Column("client_id", String(64), nullable=True),
    Column("subject", String(64), nullable=False),
    Column("subject_kind", String(16), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    # RFC 8707: the resource the token is for (its ``aud``); NULL is the deployment's default audience.
    Column("audience", String(2048), nullable=True),
    # RFC 9449 §6: a DPoP-bound token's key thumbprint (``cnf.jkt``); NULL for a bearer token.
    Column("dpop_jkt", String(64), nullable=True),
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
    user_id_column(),
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

#: Standard Webhooks endpoints of an organisation (services/webhooks.py). The signing secret is
#: kept sealed (AES-GCM under a master-key subkey), since signing needs it in clear.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(36), primary_key=True),
    org_id_column(),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("events", Text, nullable=False),
    Column("secret_sealed", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("failure_count", Integer, nullable=False, default=0),
    Column("disabled_reason", String(32), nullable=True),
    Column("created_by", String(36), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_webhook_endpoints_org_page", "org_id", "id"),
)

#: The durable delivery queue: one row per (event, endpoint), written in the transaction of the
#: change it reports. ``id`` is the ``webhook-id`` header, the same on every attempt; a row is due
#: when ``status = 'pending'`` and ``next_attempt_at <= now`` (services/webhook_delivery.py).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("endpoint_id", String(36), _fk("webhook_endpoints.id"), nullable=False),
    Column("org_id", String(36), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_attempt_at", UTCDateTime(), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_endpoint_page", "endpoint_id", "created_at"),
)

#: Client assertions already used (RFC 7523 §3 item 7: a ``jti`` is accepted once). ``key`` is the
#: SHA-256 of the client ID and the ``jti``; a row is kept until the assertion's ``exp``, after which
#: the assertion is refused as expired anyway and the row may go.
client_assertion_jtis = Table(
    "client_assertion_jtis",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

#: The APIs tokens can be issued for (RFC 8707 resource indicators), added by the operator; the
#: built-in ones (the management API, ``/mcp``, the platform API) are not stored (services/resources.py).
resources = Table(
    "resources",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    # Canonical form (core/resources.py): the scheme and host lowercased.
    Column("uri", String(2048), nullable=False, unique=True),
    Column("scopes", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
