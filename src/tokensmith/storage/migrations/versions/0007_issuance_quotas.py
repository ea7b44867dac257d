"""issuance quotas and token reuse: an organisation's per-credential tokens-per-hour, a credential's opt-in

Revision ID: 0007
Revises: 0006

``organizations.credential_tokens_per_hour`` (NULL: no quota) is part of the organisation's
policy; ``credentials.reuse_tokens`` (false for every existing credential) makes the token
endpoint answer with the still-valid token already issued for the same scope and audience.
"""

from __future__ import annotations

import sqlalchemy as sa

from tokensmith.storage.migrations import schema_ops as ops

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    ops.add_columns("organizations", ops.column("credential_tokens_per_hour", sa.Integer(), nullable=True))
    ops.add_columns("credentials", ops.flag("reuse_tokens"))


def downgrade() -> None:
    ops.drop_columns("credentials", "reuse_tokens")
    ops.drop_columns("organizations", "credential_tokens_per_hour")
