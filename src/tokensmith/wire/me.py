"""Who the management API sees (``GET /api/me``): a user, or a client, told apart by ``subject_type``.

A user's answer names the user, the organisation acted in, the role, the token's scopes and how it
authenticated. A client's access token (client credentials grant) is described too: the
credential, its kind, organisation, owner and the token's scopes.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field

from tokensmith.core.actors import Actor
from tokensmith.core.errors import Forbidden
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.authentication import ClientCaller
from tokensmith.wire.orgs import OrgRef, UserRef


class MeOut(BaseModel):
    user: UserRef
    org: OrgRef
    role: Role
    scopes: list[str] | None = Field(description="The token's ceiling; null for a dashboard session.")
    auth: Literal["personal_token", "access_token", "session"]
    subject_type: Literal["user"] = Field(description="A person is calling.")

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
            subject_type="user",
        )


class CredentialRef(BaseModel):
    id: str
    client_id: str
    name: str
    kind: Literal["personal", "organization"]


class ClientMeOut(BaseModel):
    """``GET /api/me`` for a client's access token (client credentials grant): who is calling."""

    credential: CredentialRef
    org: OrgRef
    owner: UserRef | None = Field(
        description="The member a personal credential acts for; null for an organisation credential."
    )
    scopes: list[str] = Field(description="The access token's scopes.")
    auth: Literal["access_token"]
    subject_type: Literal["client"] = Field(description="An OAuth client is calling.")

    @classmethod
    def of(cls, caller: ClientCaller) -> Self:
        c = caller.credential
        return cls(
            credential=CredentialRef(id=c.id, client_id=c.client_id, name=c.name, kind=c.kind.value),
            org=OrgRef.of(caller.org),
            owner=UserRef(id=caller.owner.id, email=caller.owner.email) if caller.owner else None,
            scopes=sorted(caller.scopes),
            auth="access_token",
            subject_type="client",
        )


#: ``GET /api/me``: a user or a client, told apart by ``subject_type``.
AnyMeOut = Annotated[MeOut | ClientMeOut, Field(discriminator="subject_type")]
