"""resources (RFC 8707): the APIs tokens are issued for, and each opaque token's audience

Revision ID: 0008
Revises: 0007

``resources`` holds the APIs the operator adds (the built-in ones — the management API, ``/mcp``
and the platform API — come from the settings and are not stored). ``access_tokens.audience`` is
the resource an opaque token was issued for, so introspection answers its ``aud``; ``NULL`` (every
token issued before this revision) is the deployment's default audience.
"""

from __future__ import annotations

from tokensmith.storage.migrations import schema_ops as ops

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    ops.create(
        "resources",
        ops.string("id", 36),
        ops.string("name", 200),
        ops.string("uri", 2048),
        ops.text("scopes"),
        ops.time("created_at"),
        primary_key=["id"],
        unique=["uri"],
    )
    ops.add_columns("access_tokens", ops.string("audience", 2048, nullable=True))


def downgrade() -> None:
    ops.drop_columns("access_tokens", "audience")
    ops.drop("resources")
