"""A personal access token (never the token itself, but once, when it is created)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tokensmith.wire.record import Record, Scopes


class PersonalTokenOut(Record):
    id: str
    name: str
    description: str
    scopes: Scopes
    token_hint: str
    org_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="null: never used")
    revoked_at: datetime | None


class CreatedPersonalTokenOut(PersonalTokenOut):
    token: str = Field(description="The token itself: shown this once, never again.")


class RevokedToken(BaseModel):
    id: str
    revoked: bool = Field(description="Always true: revocation is immediate and irreversible.")
