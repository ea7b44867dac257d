"""resources (RFC 8707): the APIs tokens are issued for, and each opaque token's audience

Revision ID: 0008
Revises: 0007

``resources`` holds the APIs the operator adds (the built-in ones — the management API, ``/mcp``
and the platform API — come from the settings and are not stored). ``access_tokens.audience`` is
the resource an opaque token was issued for, so introspection answers its ``aud``; ``NULL`` (every
token issued before this revision) is the deployment's default audience.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("uri", name=op.f("uq_resources_uri")),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audience", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_column("audience")
    op.drop_table("resources")
