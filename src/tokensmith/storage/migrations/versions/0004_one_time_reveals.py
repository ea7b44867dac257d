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

from tokensmith.storage.migrations import schema_ops as ops

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    ops.create(
        "one_time_reveals",
        ops.string("id", 64),
        ops.string("session_hash", 100),
        ops.string("form_nonce", 64),
        ops.text("result_url", nullable=True),
        ops.text("sealed", nullable=True),
        ops.time("created_at"),
        ops.time("expires_at"),
        primary_key=["id"],
        unique=[("session_hash", "form_nonce")],
        indexes={"ix_one_time_reveals_expires_at": ["expires_at"]},
    )


def downgrade() -> None:
    ops.drop("one_time_reveals", "ix_one_time_reveals_expires_at")
