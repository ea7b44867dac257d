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
