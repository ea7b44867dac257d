"""organisation policy: whether dynamically registered and metadata-document clients may connect

Revision ID: 0012
Revises: 0011

``organizations.allow_registered_clients``: apps registered by RFC 7591 Dynamic Client Registration
may be authorized in the organisation. ``organizations.allow_metadata_document_clients``: apps whose
client ID is a Client ID Metadata Document URL may. Both true for existing organisations.
"""

from __future__ import annotations

from tokensmith.storage.migrations import schema_ops as ops

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_FLAGS = ("allow_registered_clients", "allow_metadata_document_clients")


def upgrade() -> None:
    ops.add_columns("organizations", *(ops.flag(name, default=True) for name in _FLAGS))


def downgrade() -> None:
    ops.drop_columns("organizations", *_FLAGS)
