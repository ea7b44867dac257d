"""refresh-token lifetimes from organisation policy; DPoP-bound refresh-token families

Revision ID: 0011
Revises: 0010

``organizations.refresh_token_lifetime_seconds`` / ``refresh_token_idle_seconds``: the absolute
and idle lifetimes of the refresh-token families an authorization in the organisation creates
(NULL: the deployment's ``TOKENSMITH_REFRESH_TOKEN_*`` settings). ``refresh_token_families.dpop_jkt``:
the JWK SHA-256 thumbprint (RFC 7638) of the DPoP key the code exchange proved; a refresh of that
family must prove the same key (RFC 9449 §5). NULL: the family's refresh tokens are not bound.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refresh_token_lifetime_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refresh_token_idle_seconds", sa.Integer(), nullable=True))
    with op.batch_alter_table("refresh_token_families", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_token_families", schema=None) as batch_op:
        batch_op.drop_column("dpop_jkt")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("refresh_token_idle_seconds")
        batch_op.drop_column("refresh_token_lifetime_seconds")
