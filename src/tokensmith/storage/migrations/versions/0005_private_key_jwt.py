"""private_key_jwt: credentials that authenticate with signed assertions, and used assertion ids

Revision ID: 0005
Revises: 0004

A credential gains ``auth_method`` (``client_secret`` for every existing one), a public JWK Set
(``jwks``, JSON) or a ``jwks_uri`` (RFC 7523 §2.2, RFC 7591 §2). ``client_assertion_jtis`` records
each accepted assertion's ``jti`` until its ``exp`` so that none is accepted twice, across
processes (RFC 7523 §3 item 7). The new table is not one the lookup caches read: it gets no
change-notification trigger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auth_method", sa.String(length=32), nullable=False, server_default="client_secret")
        )
        batch_op.add_column(sa.Column("jwks", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("jwks_uri", sa.Text(), nullable=True))
    op.create_table(
        "client_assertion_jtis",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_client_assertion_jtis")),
    )
    with op.batch_alter_table("client_assertion_jtis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_assertion_jtis_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("client_assertion_jtis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_assertion_jtis_expires_at"))
    op.drop_table("client_assertion_jtis")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("jwks_uri")
        batch_op.drop_column("jwks")
        batch_op.drop_column("auth_method")
