"""``tokensmith orgs …`` and ``tokensmith users …``."""

from __future__ import annotations

import sys

import typer

from tokensmith.cli.context import AsJson, OrgOption, emit, fail, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.wire.orgs import OrgRef, UserRef

orgs = typer.Typer(help="Organisations.", no_args_is_help=True)
users = typer.Typer(help="Users.", no_args_is_help=True)


@orgs.command("create")
@handles_errors
def create_org(name: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create an organisation."""
    services = load_services()
    org = services.organizations.create(Actor.system(), name)
    emit(OrgRef.of(org), as_json, f"created organisation {org.name} ({org.id})")


@orgs.command("list")
@handles_errors
def list_orgs(as_json: AsJson = False) -> None:
    """List organisations."""
    services = load_services()
    items = [OrgRef.of(o) for o in services.organizations.list_all()]
    emit(items, as_json, "\n".join(f"{o.id}  {o.name}" for o in items) or "no organisations")


@users.command("create")
@handles_errors
def create_user(
    email: str,
    org: OrgOption,
    role: Role = typer.Option(Role.MEMBER, "--role"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read a dashboard password from stdin."
    ),
    as_json: AsJson = False,
) -> None:
    """Create a user (or add an existing one) as a member of an organisation."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on stdin")
    services = load_services()
    organization = services.organizations.by_ref(org)
    user = services.organizations.create_user(
        Actor.system(), email, org_id=organization.id, role=role, password=password
    )
    emit(
        UserRef.of(user),
        as_json,
        f"{user.email} is now {role.value} of {organization.name}",
    )
