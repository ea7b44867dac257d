"""``tokensmith orgs members …``: an organisation's members and their roles."""

from __future__ import annotations

import typer

from tokensmith.cli.context import emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.members import Member
from tokensmith.wire.orgs import MemberOut

members = typer.Typer(help="Organisation members.", no_args_is_help=True)


@members.command("add")
@handles_errors
def add(
    org: str = typer.Argument(..., help="Organisation name or id."),
    email: str = typer.Argument(...),
    role: Role = typer.Option(Role.MEMBER, "--role"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a user (created without a password when new) to an organisation."""
    services = load_services()
    org_id = services.organizations.by_ref(org).id
    member = services.members.add(Actor.system(), org_id, email, role)
    emit(MemberOut.of(member), as_json, f"{member.user.email} is now {member.role.value}")


@members.command("list")
@handles_errors
def list_members(
    org: str = typer.Argument(..., help="Organisation name or id."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List an organisation's members."""
    services = load_services()
    org_id = services.organizations.by_ref(org).id
    items: list[Member] = []
    cursor = None
    while True:
        page = services.members.list(Actor.system(), org_id, cursor=cursor, limit=200)
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
    org: str = typer.Argument(..., help="Organisation name or id."),
    user: str = typer.Argument(..., help="Email or user id."),
    role: Role = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Change a member's role (the last owner cannot be demoted)."""
    services = load_services()
    org_id = services.organizations.by_ref(org).id
    member = services.members.set_role(Actor.system(), org_id, user, role)
    emit(MemberOut.of(member), as_json, f"{member.user.email} is now {member.role.value}")


@members.command("remove")
@handles_errors
def remove(
    org: str = typer.Argument(..., help="Organisation name or id."),
    user: str = typer.Argument(..., help="Email or user id."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Remove a member: their personal tokens are revoked and personal credentials deleted."""
    services = load_services()
    org_id = services.organizations.by_ref(org).id
    member = services.members.remove(Actor.system(), org_id, user)
    emit(
        {**MemberOut.of(member).model_dump(mode="json"), "removed": True},
        as_json,
        f"removed {member.user.email}",
    )
