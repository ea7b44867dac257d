"""DPoP (RFC 9449): a credential may require proofs; an opaque token keeps its key thumbprint

Revision ID: 0010
Revises: 0009

``credentials.require_dpop``: the client's token requests without a DPoP proof are refused
(§5). ``access_tokens.dpop_jkt``: the JWK SHA-256 thumbprint (RFC 7638) an opaque DPoP-bound
token is bound to, returned by introspection as ``cnf.jkt`` (§6.2); NULL for bearer tokens.
"""

from __future__ import annotations

from tokensmith.storage.migrations import schema_ops as ops

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    ops.add_columns("credentials", ops.flag("require_dpop"))
    ops.add_columns("access_tokens", ops.string("dpop_jkt", 64, nullable=True))


def downgrade() -> None:
    ops.drop_columns("access_tokens", "dpop_jkt")
    ops.drop_columns("credentials", "require_dpop")
