"""DPoP (RFC 9449): a credential may require proofs; an opaque token keeps its key thumbprint

Revision ID: 0010
Revises: 0009

``credentials.require_dpop``: the client's token requests without a DPoP proof are refused
(§5). ``access_tokens.dpop_jkt``: the JWK SHA-256 thumbprint (RFC 7638) an opaque DPoP-bound
token is bound to, returned by introspection as ``cnf.jkt`` (§6.2); NULL for bearer tokens.
"""

from __future__ import annotations

from tokensmith.storage.migrations.schema_ops import add_columns, drop_columns, flag, string

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns("credentials", flag("require_dpop"))
    add_columns("access_tokens", string("dpop_jkt", 64, nullable=True))


def downgrade() -> None:
    drop_columns("access_tokens", "dpop_jkt")
    drop_columns("credentials", "require_dpop")
