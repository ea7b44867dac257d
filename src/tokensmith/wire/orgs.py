"""An organisation, a membership in one, a member, and the organisation's policy."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, Field

from tokensmith.core.roles import Role
from tokensmith.wire.record import Record

if TYPE_CHECKING:
    from tokensmith.services.members import Member


class OrgRef(Record):
    id: str
    name: str


class UserRef(Record):
    id: str
    email: str


class OrgOut(Record):
    id: str
    name: str
    created_at: datetime


class OrgMembershipOut(OrgOut):
    role: Role


class MemberOut(BaseModel):
    user_id: str
    email: str
    role: Role

    @classmethod
    def of(cls, member: Member) -> Self:
        return cls(user_id=member.user.id, email=member.user.email, role=member.role)


class PolicyOut(Record):
    allow_personal_credentials: bool
    allow_org_credentials: bool
    allow_personal_tokens: bool
    pat_max_lifetime_days: int | None = Field(description="Longest personal-token life; null: no limit.")
    pat_inactivity_days: int | None = Field(description="Personal tokens unused this long stop working.")
    pat_expiry_required: bool
    credential_tokens_per_hour: int | None = Field(
        description="Tokens each credential may get per hour (429 past it); null: no quota."
    )
    refresh_token_lifetime_seconds: int | None = Field(
        description="An authorized app's refresh tokens stop working this long after consent;"
        " null: the deployment's setting."
    )
    refresh_token_idle_seconds: int | None = Field(
        description="An authorized app's refresh tokens stop working after this long unused;"
        " null: the deployment's setting."
    )
    allow_registered_clients: bool = Field(
        description="Apps registered by Dynamic Client Registration (RFC 7591) may be authorized."
    )
    allow_metadata_document_clients: bool = Field(
        description="Apps identified by a Client ID Metadata Document URL may be authorized."
    )
