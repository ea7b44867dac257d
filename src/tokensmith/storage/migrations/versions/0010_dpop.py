"""DPoP (RFC 9449): a credential may require proofs; an opaque token keeps its key thumbprint

Revision ID: 0010
Revises: 0009

``credentials.require_dpop``: the client's token requests without a DPoP proof are refused
(§5). ``access_tokens.dpop_jkt``: the JWK SHA-256 thumbprint (RFC 7638) an opaque DPoP-bound
token is bound to, returned by introspection as ``cnf.jkt`` (§6.2); NULL for bearer tokens.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_dpop", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_column("dpop_jkt")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("require_dpop")
