"""``/api/orgs/{org}/webhooks``: an organisation's Standard Webhooks endpoints and their deliveries.

Owners and admins only (``webhooks:read`` / ``webhooks:write`` for tokens); another
organisation's id answers 404. The secret is in the creation answer only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from tokensmith.core.webhook_events import EVENT_TYPES
from tokensmith.http.management.area import ObjectRef, area_router
from tokensmith.http.management.auth import ActorDep, ServicesDep
from tokensmith.http.management.routing import call, creates, deleted, deletes
from tokensmith.http.management.schemas import Description
from tokensmith.services.container import Services
from tokensmith.services.webhooks import WebhookService
from tokensmith.wire.webhooks import (
    CreatedWebhookEndpointOut,
    WebhookDeliveryOut,
    WebhookEndpointOut,
    WebhookEventTypeOut,
)

router = area_router("webhooks", "/api/orgs/{org_id}/webhooks")
OrgId = ObjectRef
EndpointId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]
DeliveryId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Url = Annotated[str, Field(min_length=1, max_length=2048)]
EventName = Annotated[str, Field(min_length=1, max_length=64)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url
    events: list[EventName] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: Description = ""


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url | None = None
    events: list[EventName] | None = Field(default=None, min_length=1, max_length=len(EVENT_TYPES))
    description: Description | None = None
    enabled: bool | None = Field(default=None, description="true re-enables a disabled endpoint.")


def _webhooks(services: Services) -> WebhookService:
    return services.webhooks


@router.get(
    "/event-types", response_model=list[WebhookEventTypeOut], summary="The events an endpoint may choose"
)
async def event_types(actor: ActorDep, org_id: OrgId) -> list[WebhookEventTypeOut]:
    return [WebhookEventTypeOut(type=name, description=text) for name, text in sorted(EVENT_TYPES.items())]


@router.get("", response_model=list[WebhookEndpointOut], summary="List the organisation's webhook endpoints")
async def list_webhooks(actor: ActorDep, services: ServicesDep, org_id: OrgId) -> list[WebhookEndpointOut]:
    found = await call(services, _webhooks(services).list, actor, org_id)
    return [WebhookEndpointOut.of(e) for e in found]


@creates(router, "", CreatedWebhookEndpointOut, "Register an endpoint (its signing secret is shown once)")
async def create_webhook(
    actor: ActorDep, services: ServicesDep, org_id: OrgId, body: WebhookCreate
) -> CreatedWebhookEndpointOut:
    created = await call(
        services,
        _webhooks(services).create,
        actor,
        org_id,
        url=body.url,
        events=body.events,
        description=body.description,
    )
    return CreatedWebhookEndpointOut.of(created.endpoint, secret=created.secret)


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut, summary="One endpoint")
async def get_webhook(
    actor: ActorDep, services: ServicesDep, org_id: OrgId, endpoint_id: EndpointId
) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(await call(services, _webhooks(services).get, actor, org_id, endpoint_id))


@router.patch(
    "/{endpoint_id}", response_model=WebhookEndpointOut, summary="Change an endpoint, or enable it again"
)
async def update_webhook(
    actor: ActorDep, services: ServicesDep, org_id: OrgId, endpoint_id: EndpointId, body: WebhookPatch
) -> WebhookEndpointOut:
    updated = await call(
        services,
        _webhooks(services).update,
        actor,
        org_id,
        endpoint_id,
        url=body.url,
        events=body.events,
        description=body.description,
        enabled=body.enabled,
    )
    return WebhookEndpointOut.of(updated)


@deletes(router, "/{endpoint_id}", "Delete an endpoint and its deliveries")
async def delete_webhook(
    actor: ActorDep, services: ServicesDep, org_id: OrgId, endpoint_id: EndpointId
) -> Response:
    return await deleted(services, _webhooks(services).delete, actor, org_id, endpoint_id)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=list[WebhookDeliveryOut],
    summary="An endpoint's deliveries, newest first",
)
async def list_deliveries(
    actor: ActorDep,
    services: ServicesDep,
    org_id: OrgId,
    endpoint_id: EndpointId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WebhookDeliveryOut]:
    found = await call(services, _webhooks(services).deliveries, actor, org_id, endpoint_id, limit=limit)
    return [WebhookDeliveryOut.of(d) for d in found]


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=WebhookDeliveryOut,
    summary="Send a delivery again (same webhook-id and body)",
)
async def replay_delivery(
    actor: ActorDep, services: ServicesDep, org_id: OrgId, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> WebhookDeliveryOut:
    again = await call(services, _webhooks(services).replay, actor, org_id, endpoint_id, delivery_id)
    return WebhookDeliveryOut.of(again)
