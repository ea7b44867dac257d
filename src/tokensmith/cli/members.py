"""``tokensmith orgs members …``: an organisation's members and their roles."""

from __future__ import annotations

from typing import Annotated

import typer

from tokensmith.cli.context import AsJson, OrgArgument, emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.members import Member, MemberService
from tokensmith.wire.orgs import MemberOut

members = typer.Typer(help="Organisation members.", no_args_is_help=True)
UserRef = Annotated[str, typer.Argument(help="Email or user id.")]


def _members_of(org: str) -> tuple[MemberService, str]:
    """The members service, and the id of the organisation named by ``org``."""
    services = load_services()
    return services.members, services.organizations.by_ref(org).id


def _show_role(member: Member, as_json: bool) -> None:
    emit(MemberOut.of(member), as_json, f"{member.user.email} is now {member.role.value}")


@members.command("add")
@handles_errors
def add(
    org: OrgArgument,
    email: str = typer.Argument(...),
    role: Role = typer.Option(Role.MEMBER, "--role"),
    as_json: AsJson = False,
) -> None:
    """Add a user (created without a password when new) to an organisation."""
    service, org_id = _members_of(org)
    _show_role(service.add(Actor.system(), org_id, email, role), as_json)


@members.command("list")
@handles_errors
def list_members(org: OrgArgument, as_json: AsJson = False) -> None:
    """List an organisation's members."""
    service, org_id = _members_of(org)
    items: list[Member] = []
    cursor = None
    while True:
        page = service.list(Actor.system(), org_id, cursor=cursor, limit=200)
        items.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    emit(
        [MemberOut.of(m) for m in items],
        as_json,
        "\n".join(f"{m.user.email}  {m.role.value}" for m in items) or "no members",
    )


@members.command("set-role")
@handles_errors
def set_role(
    org: OrgArgument, user: UserRef, role: Role = typer.Argument(...), as_json: AsJson = False
) -> None:
    """Change a member's role (the last owner cannot be demoted)."""
    service, org_id = _members_of(org)
    _show_role(service.set_role(Actor.system(), org_id, user, role), as_json)


@members.command("remove")
@handles_errors
def remove(org: OrgArgument, user: UserRef, as_json: AsJson = False) -> None:
    """Remove a member: their personal tokens are revoked and personal credentials deleted."""
    service, org_id = _members_of(org)
    member = service.remove(Actor.system(), org_id, user)
    emit(
        {**MemberOut.of(member).model_dump(mode="json"), "removed": True},
        as_json,
        f"removed {member.user.email}",
    )
