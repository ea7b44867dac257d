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

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index("ix_credentials_org_page", ["org_id", "id"], unique=False)
        batch_op.create_index("ix_credentials_org_user_page", ["org_id", "user_id", "id"], unique=False)
        batch_op.drop_index("ix_credentials_org_user")
    with op.batch_alter_table("personal_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_personal_tokens_user_page", ["org_id", "user_id", "id"], unique=False)
        batch_op.create_index("ix_personal_tokens_expires_at", ["expires_at"], unique=False)
        batch_op.drop_index("ix_personal_tokens_user")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_org_page", ["org_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_org_page")
    with op.batch_alter_table("personal_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_personal_tokens_user", ["org_id", "user_id"], unique=False)
        batch_op.drop_index("ix_personal_tokens_expires_at")
        batch_op.drop_index("ix_personal_tokens_user_page")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index("ix_credentials_org_user", ["org_id", "user_id"], unique=False)
        batch_op.drop_index("ix_credentials_org_user_page")
        batch_op.drop_index("ix_credentials_org_page")
