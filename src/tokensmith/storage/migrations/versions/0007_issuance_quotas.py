"""issuance quotas and token reuse: an organisation's per-credential tokens-per-hour, a credential's opt-in

Revision ID: 0007
Revises: 0006

``organizations.credential_tokens_per_hour`` (NULL: no quota) is part of the organisation's
policy; ``credentials.reuse_tokens`` (false for every existing credential) makes the token
endpoint answer with the still-valid token already issued for the same scope and audience.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_tokens_per_hour", sa.Integer(), nullable=True))
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reuse_tokens", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("reuse_tokens")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("credential_tokens_per_hour")
