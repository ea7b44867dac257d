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

from tokensmith.storage.migrations import schema_ops as ops

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    ops.add_columns(
        "credentials",
        ops.column("auth_method", sa.String(length=32), server_default="client_secret"),
        ops.text("jwks", nullable=True),
        ops.text("jwks_uri", nullable=True),
    )
    ops.create(
        "client_assertion_jtis",
        ops.string("key", 64),
        ops.time("expires_at"),
        primary_key=["key"],
        indexes={"ix_client_assertion_jtis_expires_at": ["expires_at"]},
    )


def downgrade() -> None:
    ops.drop("client_assertion_jtis", "ix_client_assertion_jtis_expires_at")
    ops.drop_columns("credentials", "jwks_uri", "jwks", "auth_method")
