"""``/api/orgs``: the caller's organisations, the members of the one acted in, and its policy.

The organisation acted in is the token's (or the session's); any other organisation's id
answers 404, even one the caller also belongs to.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from tokensmith.core.roles import Role
from tokensmith.http.management.area import ObjectRef, area_router
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.pagination import SAFE_TEXT, PageDep
from tokensmith.http.management.problems import problems
from tokensmith.http.management.routing import call, creates, deleted, deletes, paged
from tokensmith.http.management.schemas import MemberAdd, MemberRole, PolicyPatch
from tokensmith.wire.orgs import MemberOut, OrgMembershipOut, OrgOut, PolicyOut
from tokensmith.wire.page import Page

router = area_router("organisations", "/api/orgs")
OrgId = ObjectRef
UserRef = Annotated[
    str, Path(min_length=1, max_length=320, pattern=r"^[^\x00-\x1f\x7f/]+$", description="User id or email.")
]


@router.get(
    "", response_model=list[OrgMembershipOut], summary="The organisations you belong to, with your role"
)
async def list_orgs(actor: ActorDep, services: ServicesDep) -> list[OrgMembershipOut]:
    return [
        OrgMembershipOut.of(org, role=role)
        for org, role in await call(services, services.members.organizations_of, actor)
    ]


@router.get("/{org_id}", response_model=OrgOut, summary="The organisation acted in")
async def get_org(actor: ActorDep, services: ServicesDep, org_id: OrgId) -> OrgOut:
    return OrgOut.of(await call(services, services.members.organization, actor, org_id))


@router.get("/{org_id}/members", response_model=Page[MemberOut], summary="List members")
async def list_members(
    actor: ActorDep,
    services: ServicesDep,
    org_id: OrgId,
    page: PageDep,
    email: Annotated[
        str | None,
        Query(max_length=320, pattern=SAFE_TEXT, description="Emails containing this (literally)."),
    ] = None,
    role: Annotated[Role | None, Query()] = None,
) -> Page[MemberOut]:
    members = services.members.list
    return await paged(services, MemberOut.of, members, actor, page, org_id, email_contains=email, role=role)


@creates(
    router, "/{org_id}/members", MemberOut, "Add a member (a new user is created without a password)", 409
)
async def add_member(actor: ActorDep, services: ServicesDep, org_id: OrgId, body: MemberAdd) -> MemberOut:
    return MemberOut.of(await call(services, services.members.add, actor, org_id, body.email, body.role))


@router.patch(
    "/{org_id}/members/{user}",
    response_model=MemberOut,
    responses=problems(409),
    summary="Change a member's role",
)
async def set_role(
    actor: ActorDep, services: ServicesDep, org_id: OrgId, user: UserRef, body: MemberRole
) -> MemberOut:
    return MemberOut.of(await call(services, services.members.set_role, actor, org_id, user, body.role))


@deletes(
    router,
    "/{org_id}/members/{user}",
    "Remove a member (their personal tokens are revoked, personal credentials deleted)",
    409,
)
async def remove_member(actor: ActorDep, services: ServicesDep, org_id: OrgId, user: UserRef) -> Response:
    return await deleted(services, services.members.remove, actor, org_id, user)


@router.get("/{org_id}/policy", response_model=PolicyOut, summary="The organisation's policy")
async def get_policy(actor: ActorDep, services: ServicesDep, org_id: OrgId) -> PolicyOut:
    return PolicyOut.of(await call(services, services.policies.get, actor, org_id))


@router.patch("/{org_id}/policy", response_model=PolicyOut, summary="Change the organisation's policy")
async def update_policy(
    actor: ActorDep, services: ServicesDep, org_id: OrgId, body: PolicyPatch
) -> PolicyOut:
    changes = body.model_dump(include=body.model_fields_set)
    return PolicyOut.of(await call(services, services.policies.update, actor, org_id, changes))
