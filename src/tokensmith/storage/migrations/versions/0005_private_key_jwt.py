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

from tokensmith.storage.migrations.schema_ops import (
    add_columns,
    column,
    create,
    drop,
    drop_columns,
    string,
    text,
    time,
)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns(
        "credentials",
        column("auth_method", sa.String(length=32), server_default="client_secret"),
        text("jwks", nullable=True),
        text("jwks_uri", nullable=True),
    )
    create(
        "client_assertion_jtis",
        string("key", 64),
        time("expires_at"),
        primary_key=["key"],
        indexes={"ix_client_assertion_jtis_expires_at": ["expires_at"]},
    )


def downgrade() -> None:
    drop("client_assertion_jtis", "ix_client_assertion_jtis_expires_at")
    drop_columns("credentials", "jwks_uri", "jwks", "auth_method")
