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

from tokensmith.storage.migrations import schema_ops as ops

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    ops.create(
        "webhook_endpoints",
        ops.string("id", 36),
        ops.string("org_id", 36),
        ops.text("url"),
        ops.text("description"),
        ops.text("events"),
        ops.text("secret_sealed"),
        ops.column("enabled", sa.Boolean()),
        ops.column("failure_count", sa.Integer()),
        ops.string("disabled_reason", 32, nullable=True),
        ops.string("created_by", 36, nullable=True),
        ops.time("created_at"),
        ops.time("updated_at"),
        ops.cascade("webhook_endpoints", "org_id", "organizations"),
        primary_key=["id"],
        indexes={"ix_webhook_endpoints_org_page": ["org_id", "id"]},
    )
    ops.create(
        "webhook_deliveries",
        ops.string("id", 40),
        ops.string("endpoint_id", 36),
        ops.string("org_id", 36),
        ops.string("event_type", 64),
        ops.text("payload"),
        ops.string("status", 16),
        ops.column("attempts", sa.Integer()),
        ops.time("next_attempt_at"),
        ops.time("last_attempt_at", nullable=True),
        ops.column("last_status_code", sa.Integer(), nullable=True),
        ops.string("last_error", 200, nullable=True),
        ops.time("delivered_at", nullable=True),
        ops.time("created_at"),
        ops.cascade("webhook_deliveries", "endpoint_id", "webhook_endpoints"),
        primary_key=["id"],
        indexes={
            "ix_webhook_deliveries_due": ["status", "next_attempt_at"],
            "ix_webhook_deliveries_endpoint_page": ["endpoint_id", "created_at"],
        },
    )
    ops.add_columns(
        "personal_tokens",
        ops.time("notified_expired_at", nullable=True),
        ops.time("notified_inactive_at", nullable=True),
    )


def downgrade() -> None:
    ops.drop_columns("personal_tokens", "notified_inactive_at", "notified_expired_at")
    ops.drop("webhook_deliveries", "ix_webhook_deliveries_endpoint_page", "ix_webhook_deliveries_due")
    ops.drop("webhook_endpoints", "ix_webhook_endpoints_org_page")
