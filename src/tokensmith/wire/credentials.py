"""An API credential (an OAuth client): its public client ID and settings, never its secret but once."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tokensmith.wire.record import Record, Scopes

CredentialKindName = Literal["personal", "organization"]
TokenFormatName = Literal["jwt", "opaque"]
AuthMethodName = Literal["client_secret", "private_key_jwt"]


class CredentialOut(Record):
    id: str
    client_id: str
    kind: CredentialKindName
    name: str
    description: str
    org_id: str
    user_id: str | None
    scopes: Scopes
    token_format: TokenFormatName
    token_ttl: int
    secret_hint: str
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None
    previous_secret_expires_at: datetime | None
    auth_method: AuthMethodName = Field(
        description="client_secret, or private_key_jwt (RFC 7523 §2.2: signed assertions, no secret)."
    )
    key_thumbprints: list[str] = Field(
        description="RFC 7638 SHA-256 thumbprints of a private_key_jwt credential's registered keys."
    )
    jwks_uri: str | None = Field(description="Where a private_key_jwt credential publishes its keys.")
    reuse_tokens: bool = Field(
        description="Token requests get the still-valid token already issued for the same scope.",
    )
    require_dpop: bool = Field(description="Token requests without a DPoP proof (RFC 9449 §5) are refused.")


class CreatedCredentialOut(CredentialOut):
    client_secret: str | None = Field(
        description="The secret: shown this once, never again. null for a private_key_jwt credential."
    )


class DeletedCredential(BaseModel):
    id: str
    deleted: bool = Field(description="Always true: the credential and its secrets are gone.")
