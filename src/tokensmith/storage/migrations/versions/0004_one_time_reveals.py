"""one-time reveals: a dashboard form's outcome, and a new secret sealed until its first view

Revision ID: 0004
Revises: 0003

The dashboard answers every create, regenerate and delete with a redirect (post/redirect/get).
A secret made by the POST reaches the GET page through this table, encrypted under a master-key
subkey, bound to the session that made it, deleted on first view and useless after
``expires_at`` (minutes). The ``(session_hash, form_nonce)`` pair makes a form's second
submission find the first one's result instead of repeating the action.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "one_time_reveals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("session_hash", sa.String(length=100), nullable=False),
        sa.Column("form_nonce", sa.String(length=64), nullable=False),
        sa.Column("result_url", sa.Text(), nullable=True),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_reveals")),
        sa.UniqueConstraint("session_hash", "form_nonce", name=op.f("uq_one_time_reveals_session_hash")),
    )
    with op.batch_alter_table("one_time_reveals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_time_reveals_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("one_time_reveals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_time_reveals_expires_at"))
    op.drop_table("one_time_reveals")
