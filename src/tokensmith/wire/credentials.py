"""An API credential (an OAuth client): its public client ID and settings, never its secret but once."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tokensmith.wire.record import Record, Scopes

CredentialKindName = Literal["personal", "organization"]
TokenFormatName = Literal["jwt", "opaque"]


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


class CreatedCredentialOut(CredentialOut):
    client_secret: str = Field(description="The secret: shown this once, never again.")


class DeletedCredential(BaseModel):
    id: str
    deleted: bool = Field(description="Always true: the credential and its secrets are gone.")
