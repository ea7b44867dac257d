"""Request bodies of the management API (Pydantic at the edge only), and its problem document.

Response bodies are the records' one description, :mod:`tokensmith.wire`. Times are RFC 3339 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)
from pydantic.json_schema import SkipJsonSchema

from tokensmith.core.errors import PROBLEM_CODES
from tokensmith.core.roles import Role

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_NO_NUL = r"^[^\x00]*$"


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_CONTROL)]
Description = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)]
ScopeName = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21\x23-\x5b\x5d-\x7e]+$")
]
Email = Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=_NO_CONTROL)]


class Problem(BaseModel):
    """RFC 9457 problem details; ``code`` is the stable machine code."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="One of: " + ", ".join(f"`{c}`" for c in PROBLEM_CODES))


# -- personal access tokens -----------------------------------------------------------


class PersonalTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    scopes: list[ScopeName] = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    expires_at: UtcDatetime | None = None


class PersonalTokenPatch(BaseModel):
    """Name and description are editable. Scopes and expiry are not: naming them answers
    400 ``immutable_field``."""

    model_config = ConfigDict(extra="forbid")

    name: Name | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    scopes: Any = Field(default=None, description="Immutable: rejected with `immutable_field`.")
    expires_at: Any = Field(default=None, description="Immutable: rejected with `immutable_field`.")
    expires_in_days: Any = Field(default=None, description="Immutable: rejected with `immutable_field`.")


# -- credentials --------------------------------------------------------------------


class CredentialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: Literal["personal", "organization"]
    description: Description = ""
    scopes: list[ScopeName] | None = Field(default=None, max_length=100)
    token_format: Literal["jwt", "opaque"] = "jwt"
    token_ttl: int | None = Field(default=None, ge=60, le=10 * 365 * 86400)
    reuse_tokens: bool = False
    auth_method: Literal["client_secret", "private_key_jwt"] = Field(
        default="client_secret",
        description="private_key_jwt (RFC 7523 §2.2): no secret; the client signs assertions with a key "
        "registered in jwks, or published at jwks_uri.",
    )
    jwks: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None, description='Public keys: a JWK Set ({"keys": [...]}) or one JWK.'
    )
    jwks_uri: str | SkipJsonSchema[None] = Field(default=None, max_length=2000)

    require_dpop: StrictBool = Field(
        default=False, description="Refuse this client's token requests without a DPoP proof (RFC 9449 §5)."
    )


class CredentialKeyAdd(BaseModel):
    """One more public key for a private_key_jwt credential (a rotation's first step)."""

    model_config = ConfigDict(extra="forbid")

    jwk: dict[str, Any]


class CredentialKeysReplace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jwks: dict[str, Any] = Field(description='The new key set: a JWK Set ({"keys": [...]}) or one JWK.')


class CredentialPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    reuse_tokens: bool | SkipJsonSchema[None] = None
    require_dpop: StrictBool | SkipJsonSchema[None] = None


class Regenerate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(
        default=0, ge=0, le=7 * 24 * 3600, description="Seconds the old secret keeps working."
    )


# -- organisations, members, policy -------------------------------------------------------


class ResourceCreate(BaseModel):
    """A resource to register (RFC 8707 §2: an absolute URI, no fragment, no query)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    uri: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    scopes: Annotated[list[ScopeName], Field(max_length=100)] = []


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: Role = Role.MEMBER


class MemberRole(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class PolicyPatch(BaseModel):
    """Fields not given keep their value; ``null`` clears a day limit."""

    model_config = ConfigDict(extra="forbid")

    allow_personal_credentials: bool | SkipJsonSchema[None] = None
    allow_org_credentials: bool | SkipJsonSchema[None] = None
    allow_personal_tokens: bool | SkipJsonSchema[None] = None
    pat_max_lifetime_days: int | None = Field(default=None, ge=1, le=3650)
    pat_inactivity_days: int | None = Field(default=None, ge=1, le=3650)
    pat_expiry_required: bool | SkipJsonSchema[None] = None
    credential_tokens_per_hour: int | None = Field(default=None, ge=1, le=1_000_000)
    refresh_token_lifetime_seconds: int | None = Field(default=None, ge=300, le=3650 * 86400)
    refresh_token_idle_seconds: int | None = Field(default=None, ge=300, le=3650 * 86400)
    allow_registered_clients: bool | SkipJsonSchema[None] = None
    allow_metadata_document_clients: bool | SkipJsonSchema[None] = None
