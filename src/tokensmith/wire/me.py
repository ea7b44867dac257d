"""Who the management API sees: the user, the organisation acted in, the role, and how."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field

from tokensmith.core.actors import Actor
from tokensmith.core.errors import Forbidden
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.wire.orgs import OrgRef, UserRef


class MeOut(BaseModel):
    user: UserRef
    org: OrgRef
    role: Role
    scopes: list[str] | None = Field(description="The token's ceiling; null for a dashboard session.")
    auth: Literal["personal_token", "access_token", "session"]

    @classmethod
    def of(cls, actor: Actor, org: Organization) -> Self:
        if actor.user_id is None or actor.email is None or actor.role is None:
            raise Forbidden("the caller is not a member of an organisation")
        return cls(
            user=UserRef(id=actor.user_id, email=actor.email),
            org=OrgRef.of(org),
            role=actor.role,
            scopes=sorted(actor.scopes) if actor.scopes is not None else None,
            auth=actor.method.value,  # type: ignore[arg-type]
        )
