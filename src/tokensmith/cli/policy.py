"""``tokensmith orgs policy …``: an organisation's credential, personal-token, authorized-app and
refresh-token policy."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from tokensmith.cli.context import AsJson, OrgArgument, emit, fail, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.records import OrgPolicy
from tokensmith.wire.orgs import PolicyOut

policy = typer.Typer(help="Organisation policy.", no_args_is_help=True)


def _human(p: OrgPolicy) -> str:
    return "\n".join(f"{name}: {value}" for name, value in asdict(p).items())


def _days(value: str | None, option: str) -> int | None:
    if value is None or value.lower() in ("none", "off", "null"):
        return None
    if not value.isdigit():
        fail(f"{option} takes a number of days or 'none'")
    return int(value)


def _count(value: str, option: str, unit: str = "tokens") -> int | None:
    if value.lower() in ("none", "off", "null"):
        return None
    if not value.isdigit():
        fail(f"{option} takes a number of {unit} or 'none'")
    return int(value)


@policy.command("show")
@handles_errors
def show(org: OrgArgument, as_json: AsJson = False) -> None:
    """Show the policy."""
    services = load_services()
    current = services.policies.get(Actor.system(), services.organizations.by_ref(org).id)
    emit(PolicyOut.of(current), as_json, _human(current))


@policy.command("set")
@handles_errors
def set_policy(
    org: OrgArgument,
    personal_credentials: bool | None = typer.Option(
        None, "--personal-credentials/--no-personal-credentials", help="Allow personal credentials."
    ),
    org_credentials: bool | None = typer.Option(
        None, "--org-credentials/--no-org-credentials", help="Allow organisation credentials."
    ),
    personal_tokens: bool | None = typer.Option(
        None, "--personal-tokens/--no-personal-tokens", help="Allow personal access tokens."
    ),
    registered_clients: bool | None = typer.Option(
        None, "--registered-clients/--no-registered-clients", help="Allow apps registered by RFC 7591 DCR."
    ),
    metadata_document_clients: bool | None = typer.Option(
        None, "--metadata-document-clients/--no-metadata-document-clients", help="Allow CIMD apps."
    ),
    max_lifetime: str | None = typer.Option(None, "--pat-max-lifetime-days", help="Days, or 'none'."),
    inactivity: str | None = typer.Option(None, "--pat-inactivity-days", help="Days, or 'none'."),
    expiry_required: bool | None = typer.Option(None, "--pat-expiry-required/--pat-expiry-optional"),
    tokens_per_hour: str | None = typer.Option(
        None, "--credential-tokens-per-hour", help="Tokens each credential may get per hour, or 'none'."
    ),
    refresh_lifetime: str | None = typer.Option(
        None,
        "--refresh-token-lifetime-seconds",
        help="An authorized app's refresh tokens end this long after consent; 'none': the setting.",
    ),
    refresh_idle: str | None = typer.Option(
        None,
        "--refresh-token-idle-seconds",
        help="An authorized app's refresh tokens end after this long unused; 'none': the setting.",
    ),
    as_json: AsJson = False,
) -> None:
    """Change the policy; options not given keep their value.

    Seed 002's "30 days of no use or 3 months from creation":
    ``--pat-inactivity-days 30 --pat-max-lifetime-days 90``.
    """
    changes: dict[str, Any] = {}
    for name, value in (
        ("allow_personal_credentials", personal_credentials),
        ("allow_org_credentials", org_credentials),
        ("allow_personal_tokens", personal_tokens),
        ("pat_expiry_required", expiry_required),
        ("allow_registered_clients", registered_clients),
        ("allow_metadata_document_clients", metadata_document_clients),
    ):
        if value is not None:
            changes[name] = value
    if max_lifetime is not None:
        changes["pat_max_lifetime_days"] = _days(max_lifetime, "--pat-max-lifetime-days")
    if inactivity is not None:
        changes["pat_inactivity_days"] = _days(inactivity, "--pat-inactivity-days")
    if tokens_per_hour is not None:
        changes["credential_tokens_per_hour"] = _count(tokens_per_hour, "--credential-tokens-per-hour")
    for name, given in (
        ("refresh_token_lifetime_seconds", refresh_lifetime),
        ("refresh_token_idle_seconds", refresh_idle),
    ):
        if given is not None:
            changes[name] = _count(given, "--" + name.replace("_", "-"), "seconds")
    services = load_services()
    updated = services.policies.update(Actor.system(), services.organizations.by_ref(org).id, changes)
    emit(PolicyOut.of(updated), as_json, _human(updated))
