"""resources (RFC 8707): the APIs tokens are issued for, and each opaque token's audience

Revision ID: 0008
Revises: 0007

``resources`` holds the APIs the operator adds (the built-in ones — the management API, ``/mcp``
and the platform API — come from the settings and are not stored). ``access_tokens.audience`` is
the resource an opaque token was issued for, so introspection answers its ``aud``; ``NULL`` (every
token issued before this revision) is the deployment's default audience.
"""

from __future__ import annotations

from tokensmith.storage.migrations.schema_ops import (
    add_columns,
    create,
    drop,
    drop_columns,
    string,
    text,
    time,
)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create(
        "resources",
        string("id", 36),
        string("name", 200),
        string("uri", 2048),
        text("scopes"),
        time("created_at"),
        primary_key=["id"],
        unique=["uri"],
    )
    add_columns("access_tokens", string("audience", 2048, nullable=True))


def downgrade() -> None:
    drop_columns("access_tokens", "audience")
    drop("resources")
