"""webhooks: endpoints, the durable delivery queue, and the personal-token notices they report

Revision ID: 0006
Revises: 0005

``webhook_endpoints`` are an organisation's Standard Webhooks receivers (secret sealed under a
master-key subkey); ``webhook_deliveries`` is the outbox, one row per event and endpoint written
in the transaction of the change, claimed by one process at a time. Two columns on
``personal_tokens`` remember the "expired" and "inactivity expiry" notices, as ``notified_7d_at``
and ``notified_1d_at`` do for the earlier ones.
"""

from __future__ import annotations

import sqlalchemy as sa

from tokensmith.storage.migrations.schema_ops import (
    add_columns,
    cascade,
    column,
    create,
    drop,
    drop_columns,
    string,
    text,
    time,
)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create(
        "webhook_endpoints",
        string("id", 36),
        string("org_id", 36),
        text("url"),
        text("description"),
        text("events"),
        text("secret_sealed"),
        column("enabled", sa.Boolean()),
        column("failure_count", sa.Integer()),
        string("disabled_reason", 32, nullable=True),
        string("created_by", 36, nullable=True),
        time("created_at"),
        time("updated_at"),
        cascade("webhook_endpoints", "org_id", "organizations"),
        primary_key=["id"],
        indexes={"ix_webhook_endpoints_org_page": ["org_id", "id"]},
    )
    create(
        "webhook_deliveries",
        string("id", 40),
        string("endpoint_id", 36),
        string("org_id", 36),
        string("event_type", 64),
        text("payload"),
        string("status", 16),
        column("attempts", sa.Integer()),
        time("next_attempt_at"),
        time("last_attempt_at", nullable=True),
        column("last_status_code", sa.Integer(), nullable=True),
        string("last_error", 200, nullable=True),
        time("delivered_at", nullable=True),
        time("created_at"),
        cascade("webhook_deliveries", "endpoint_id", "webhook_endpoints"),
        primary_key=["id"],
        indexes={
            "ix_webhook_deliveries_due": ["status", "next_attempt_at"],
            "ix_webhook_deliveries_endpoint_page": ["endpoint_id", "created_at"],
        },
    )
    add_columns(
        "personal_tokens",
        time("notified_expired_at", nullable=True),
        time("notified_inactive_at", nullable=True),
    )


def downgrade() -> None:
    drop_columns("personal_tokens", "notified_inactive_at", "notified_expired_at")
    drop("webhook_deliveries", "ix_webhook_deliveries_endpoint_page", "ix_webhook_deliveries_due")
    drop("webhook_endpoints", "ix_webhook_endpoints_org_page")
