"""issuance quotas and token reuse: an organisation's per-credential tokens-per-hour, a credential's opt-in

Revision ID: 0007
Revises: 0006

``organizations.credential_tokens_per_hour`` (NULL: no quota) is part of the organisation's
policy; ``credentials.reuse_tokens`` (false for every existing credential) makes the token
endpoint answer with the still-valid token already issued for the same scope and audience.
"""

from __future__ import annotations

import sqlalchemy as sa

from tokensmith.storage.migrations.schema_ops import add_columns, column, drop_columns, flag

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns("organizations", column("credential_tokens_per_hour", sa.Integer(), nullable=True))
    add_columns("credentials", flag("reuse_tokens"))


def downgrade() -> None:
    drop_columns("credentials", "reuse_tokens")
    drop_columns("organizations", "credential_tokens_per_hour")
