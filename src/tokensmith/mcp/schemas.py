"""What the MCP tools return: the management API's shapes (``docs/contracts.md``) as pydantic models.

The SDK publishes each model's JSON schema as the tool's ``outputSchema`` and sends the model as the
call's ``structuredContent``. Times are RFC 3339 UTC strings on the wire.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

CredentialKindName = Literal["personal", "organization"]
TokenFormatName = Literal["jwt", "opaque"]


class PersonalToken(BaseModel):
    """A personal access token's metadata (never the token itself)."""

    id: str
    name: str
    description: str | None
    scopes: list[str]
    token_hint: str = Field(description="The token's prefix and last characters, to recognise it.")
    org_id: str
    user_id: str
    created_at: AwareDatetime
    expires_at: AwareDatetime | None
    last_used_at: AwareDatetime | None
    revoked_at: AwareDatetime | None


class CreatedPersonalToken(PersonalToken):
    token: str = Field(description="The token itself: shown this once, never again. Hand it to the user.")


class PersonalTokenList(BaseModel):
    items: list[PersonalToken]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RevokedToken(BaseModel):
    id: str
    revoked: bool = Field(description="Always true: revocation is immediate and irreversible.")


class Credential(BaseModel):
    """An API credential (an OAuth client): its public client ID and settings, never its secret."""

    id: str
    client_id: str
    kind: CredentialKindName
    name: str
    description: str | None
    org_id: str
    user_id: str | None
    scopes: list[str]
    token_format: TokenFormatName
    token_ttl: int = Field(description="Lifetime in seconds of the access tokens this credential gets.")
    secret_hint: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None
    last_used_at: AwareDatetime | None
    previous_secret_expires_at: AwareDatetime | None = Field(
        description="When the secret replaced by the last regeneration stops working (null: already dead)."
    )


class CreatedCredential(Credential):
    client_secret: str = Field(description="The client secret: shown this once, never again.")


class CredentialList(BaseModel):
    items: list[Credential]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class DeletedCredential(BaseModel):
    id: str
    deleted: bool = Field(description="Always true: the credential and its secrets are gone.")
