"""Request and response bodies of the management API (Pydantic at the edge only), and the
conversions from service records. Times are RFC 3339 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from tokensmith.core.actors import Actor
from tokensmith.core.errors import PROBLEM_CODES, Forbidden
from tokensmith.core.records import AuditEvent, Credential, Organization, OrgPolicy, PersonalTokenRecord
from tokensmith.core.roles import Role
from tokensmith.services.members import Member

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


class PersonalTokenOut(BaseModel):
    id: str
    name: str
    description: str
    scopes: list[str]
    token_hint: str
    org_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="null: never used")
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: PersonalTokenRecord) -> PersonalTokenOut:
        return cls(
            id=t.id,
            name=t.name,
            description=t.description,
            scopes=sorted(t.scopes),
            token_hint=t.token_hint,
            org_id=t.org_id,
            user_id=t.user_id,
            created_at=t.created_at,
            expires_at=t.expires_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
        )


class CreatedPersonalTokenOut(PersonalTokenOut):
    token: str = Field(description="The token itself: shown this once, never again.")


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


class CredentialOut(BaseModel):
    id: str
    client_id: str
    kind: Literal["personal", "organization"]
    name: str
    description: str
    org_id: str
    user_id: str | None
    scopes: list[str]
    token_format: Literal["jwt", "opaque"]
    token_ttl: int
    secret_hint: str
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None
    previous_secret_expires_at: datetime | None

    @classmethod
    def of(cls, c: Credential) -> CredentialOut:
        return cls(
            id=c.id,
            client_id=c.client_id,
            kind=c.kind.value,
            name=c.name,
            description=c.description,
            org_id=c.org_id,
            user_id=c.user_id,
            scopes=sorted(c.scopes),
            token_format=c.token_format.value,
            token_ttl=c.token_ttl,
            secret_hint=c.secret_hint,
            created_at=c.created_at,
            updated_at=c.updated_at,
            last_used_at=c.last_used_at,
            previous_secret_expires_at=c.previous_secret_expires_at,
        )


class CreatedCredentialOut(CredentialOut):
    client_secret: str = Field(description="The secret: shown this once, never again.")


class CredentialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: Literal["personal", "organization"]
    description: Description = ""
    scopes: list[ScopeName] | None = Field(default=None, max_length=100)
    token_format: Literal["jwt", "opaque"] = "jwt"
    token_ttl: int | None = Field(default=None, ge=60, le=10 * 365 * 86400)


class CredentialPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None


class Regenerate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(
        default=0, ge=0, le=7 * 24 * 3600, description="Seconds the old secret keeps working."
    )


# -- organisations, members, policy -------------------------------------------------------


class OrgOut(BaseModel):
    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, org: Organization) -> OrgOut:
        return cls(id=org.id, name=org.name, created_at=org.created_at)


class OrgMembershipOut(OrgOut):
    role: Role


class MemberOut(BaseModel):
    user_id: str
    email: str
    role: Role

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        return cls(user_id=member.user.id, email=member.user.email, role=member.role)


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: Role = Role.MEMBER


class MemberRole(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class PolicyOut(BaseModel):
    allow_personal_credentials: bool
    allow_org_credentials: bool
    allow_personal_tokens: bool
    pat_max_lifetime_days: int | None = Field(description="Longest personal-token life; null: no limit.")
    pat_inactivity_days: int | None = Field(description="Personal tokens unused this long stop working.")
    pat_expiry_required: bool

    @classmethod
    def of(cls, p: OrgPolicy) -> PolicyOut:
        return cls(
            allow_personal_credentials=p.allow_personal_credentials,
            allow_org_credentials=p.allow_org_credentials,
            allow_personal_tokens=p.allow_personal_tokens,
            pat_max_lifetime_days=p.pat_max_lifetime_days,
            pat_inactivity_days=p.pat_inactivity_days,
            pat_expiry_required=p.pat_expiry_required,
        )


class PolicyPatch(BaseModel):
    """Fields not given keep their value; ``null`` clears a day limit."""

    model_config = ConfigDict(extra="forbid")

    allow_personal_credentials: bool | SkipJsonSchema[None] = None
    allow_org_credentials: bool | SkipJsonSchema[None] = None
    allow_personal_tokens: bool | SkipJsonSchema[None] = None
    pat_max_lifetime_days: int | None = Field(default=None, ge=1, le=3650)
    pat_inactivity_days: int | None = Field(default=None, ge=1, le=3650)
    pat_expiry_required: bool | SkipJsonSchema[None] = None


# -- audit and me -----------------------------------------------------------------------


class AuditEventOut(BaseModel):
    id: int
    occurred_at: datetime
    org_id: str | None
    actor_kind: str
    actor_id: str | None
    actor_label: str | None
    action: str
    target_kind: str | None
    target_id: str | None
    target_hint: str | None = Field(description="Public id or prefix hint; never a secret.")
    ip: str | None
    transport: str
    details: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventOut:
        return cls(
            id=e.id,
            occurred_at=e.occurred_at,
            org_id=e.org_id,
            actor_kind=e.actor_kind,
            actor_id=e.actor_id,
            actor_label=e.actor_label,
            action=e.action,
            target_kind=e.target_kind,
            target_id=e.target_id,
            target_hint=e.target_hint,
            ip=e.ip,
            transport=e.transport,
            details=e.details,
        )


class UserRef(BaseModel):
    id: str
    email: str


class OrgRef(BaseModel):
    id: str
    name: str


class MeOut(BaseModel):
    user: UserRef
    org: OrgRef
    role: Role
    scopes: list[str] | None = Field(description="The token's ceiling; null for a dashboard session.")
    auth: Literal["personal_token", "access_token", "session"]
    subject_type: Literal["user"] = Field(description="A person is calling.")

    @classmethod
    def of(cls, actor: Actor, org: Organization) -> MeOut:
        if actor.user_id is None or actor.email is None or actor.role is None:
            raise Forbidden("the caller is not a member of an organisation")
        return cls(
            user=UserRef(id=actor.user_id, email=actor.email),
            org=OrgRef(id=org.id, name=org.name),
            role=actor.role,
            scopes=sorted(actor.scopes) if actor.scopes is not None else None,
            auth=actor.method.value,  # type: ignore[arg-type]
            subject_type="user",
        )
