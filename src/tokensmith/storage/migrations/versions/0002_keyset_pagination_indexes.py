"""keyset pagination indexes

Every list the management API, the dashboard and MCP serve is keyset-paginated
(``WHERE <owner> AND id > :cursor ORDER BY id LIMIT n``; the audit log ``id < :cursor ORDER BY
id DESC``). These composite indexes end in ``id`` so that the first page, and every later one,
is an index range scan of ``n`` rows whatever the table holds, on PostgreSQL and SQLite alike.
The former ``(org_id, user_id)`` indexes are prefixes of the new ones and are dropped.
Housekeeping's expiry-notice query (``expires_at <= :before ORDER BY expires_at``) gets an index on
``personal_tokens.expires_at`` so that it reads a range instead of every token.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

from tokensmith.storage.migrations import schema_ops as ops

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    ops.change_indexes(
        "credentials",
        create={
            "ix_credentials_org_page": ["org_id", "id"],
            "ix_credentials_org_user_page": ["org_id", "user_id", "id"],
        },
        drop=["ix_credentials_org_user"],
    )
    ops.change_indexes(
        "personal_tokens",
        create={
            "ix_personal_tokens_user_page": ["org_id", "user_id", "id"],
            "ix_personal_tokens_expires_at": ["expires_at"],
        },
        drop=["ix_personal_tokens_user"],
    )
    ops.change_indexes("audit_events", create={"ix_audit_events_org_page": ["org_id", "id"]})


def downgrade() -> None:
    ops.change_indexes("audit_events", drop=["ix_audit_events_org_page"])
    ops.change_indexes(
        "personal_tokens",
        create={"ix_personal_tokens_user": ["org_id", "user_id"]},
        drop=["ix_personal_tokens_expires_at", "ix_personal_tokens_user_page"],
    )
    ops.change_indexes(
        "credentials",
        create={"ix_credentials_org_user": ["org_id", "user_id"]},
        drop=["ix_credentials_org_user_page", "ix_credentials_org_page"],
    )
