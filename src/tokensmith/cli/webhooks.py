"""``tokensmith webhooks …``: an organisation's Standard Webhooks endpoints, and sending due deliveries."""

from __future__ import annotations

from typing import Annotated

import typer

from tokensmith.cli.context import AsJson, OrgOption, emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.services.container import Services
from tokensmith.services.webhooks import WebhookService
from tokensmith.wire.webhooks import WebhookDeliveryOut, WebhookEndpointOut

webhooks = typer.Typer(help="Webhook endpoints (Standard Webhooks) of an organisation.", no_args_is_help=True)

EndpointId = Annotated[str, typer.Argument(help="The endpoint's id.")]


def _service(services: Services) -> WebhookService:
    return services.webhooks


@webhooks.command("create")
@handles_errors
def create(
    org: OrgOption,
    url: str = typer.Option(..., "--url", help="Where deliveries are POSTed (http or https)."),
    events: str = typer.Option(..., "--events", help='Event types, e.g. "credential.created token.revoked".'),
    description: str = typer.Option("", "--description"),
    as_json: AsJson = False,
) -> None:
    """Register an endpoint and print its signing secret (shown once)."""
    services = load_services()
    organization = services.organizations.by_ref(org)
    created = _service(services).create(
        Actor.system(), organization.id, url=url, events=events, description=description
    )
    emit(
        {"id": created.endpoint.id, "secret": created.secret, "events": created.endpoint.events},
        as_json,
        f"id:     {created.endpoint.id}\nsecret: {created.secret}\n"
        "The secret is shown once; verify deliveries with it (Standard Webhooks).",
    )


@webhooks.command("list")
@handles_errors
def list_endpoints(org: OrgOption, as_json: AsJson = False) -> None:
    """List an organisation's endpoints (never their secrets)."""
    services = load_services()
    organization = services.organizations.by_ref(org)
    found = _service(services).list(Actor.system(), organization.id)
    lines = [
        f"{e.id}  {'enabled ' if e.enabled else 'disabled'}  {e.url}  {' '.join(e.events)}" for e in found
    ]
    emit([WebhookEndpointOut.of(e) for e in found], as_json, "\n".join(lines) or "no webhook endpoints")


@webhooks.command("delete")
@handles_errors
def delete(endpoint_id: EndpointId, org: OrgOption, as_json: AsJson = False) -> None:
    """Delete an endpoint and its deliveries."""
    services = load_services()
    organization = services.organizations.by_ref(org)
    deleted = _service(services).delete(Actor.system(), organization.id, endpoint_id)
    emit({"id": deleted.id, "deleted": True}, as_json, f"deleted {deleted.id}")


@webhooks.command("deliveries")
@handles_errors
def deliveries(
    endpoint_id: EndpointId,
    org: OrgOption,
    limit: int = typer.Option(50, "--limit", min=1, max=200),
    as_json: AsJson = False,
) -> None:
    """An endpoint's deliveries, newest first."""
    services = load_services()
    organization = services.organizations.by_ref(org)
    found = _service(services).deliveries(Actor.system(), organization.id, endpoint_id, limit=limit)
    lines = [f"{d.id}  {d.status:9}  attempts={d.attempts}  {d.event_type}" for d in found]
    emit([WebhookDeliveryOut.of(d) for d in found], as_json, "\n".join(lines) or "no deliveries")


@webhooks.command("deliver")
@handles_errors
def deliver(as_json: AsJson = False) -> None:
    """Send every delivery now due, once (what `tokensmith serve` does in the background)."""
    done = load_services().webhook_deliverer.deliver_all_due()
    emit(
        {"delivered": done.delivered, "failed": done.failed, "given_up": done.given_up},
        as_json,
        f"delivered {done.delivered}, failed {done.failed} (given up: {done.given_up})",
    )
