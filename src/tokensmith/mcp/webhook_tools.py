"""The MCP tools for an organisation's webhooks (Standard Webhooks endpoints and their deliveries),
one-to-one with ``/api/orgs/{org}/webhooks…`` and acting in the organisation the caller's token is
tied to. Owners and admins only: the services say so, like every other rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from mcp.server.mcpserver import Context
from pydantic import Field

from tokensmith.core.webhook_events import EVENT_TYPES
from tokensmith.mcp.arguments import Description, ObjectId
from tokensmith.mcp.backend import Backend
from tokensmith.wire.page import Items
from tokensmith.wire.webhooks import (
    CreatedWebhookEndpointOut,
    DeletedWebhook,
    WebhookDeliveryOut,
    WebhookEndpointOut,
)

T = TypeVar("T")

#: The scope each webhook tool needs (part of :data:`tokensmith.mcp.tools.REQUIRED_SCOPES`).
WEBHOOK_SCOPES: dict[str, str] = {
    "list_webhooks": "webhooks:read",
    "create_webhook": "webhooks:write",
    "delete_webhook": "webhooks:write",
    "list_webhook_deliveries": "webhooks:read",
    "replay_webhook_delivery": "webhooks:write",
}

EndpointId = Annotated[ObjectId, Field(description="The webhook endpoint's `id`.")]
Events = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description="The events to send it, any of: " + ", ".join(sorted(EVENT_TYPES)) + ".",
    ),
]


class WebhookTools:
    """The webhook tools; :class:`~tokensmith.mcp.tools.Tools` supplies how each one runs."""

    async def _run(self, ctx: Context, operation: Callable[[Backend], T]) -> T:
        raise NotImplementedError

    async def list_webhooks(self, ctx: Context) -> Items[WebhookEndpointOut]:
        """List your organisation's webhook endpoints: URL, events, whether enabled (and why not), failures
        in a row. Never their signing secrets. Owners and admins only. Needs the webhooks:read scope."""
        return await self._run(ctx, lambda b: b.list_webhooks())

    async def create_webhook(
        self,
        ctx: Context,
        url: Annotated[
            str, Field(min_length=1, max_length=2048, description="The https URL events are POSTed to.")
        ],
        events: Events,
        description: Description = "",
    ) -> CreatedWebhookEndpointOut:
        """Register a webhook endpoint for your organisation. Its signing secret (whsec_…, to verify the
        Standard Webhooks signature of each delivery) is in the result this once and never again.

        Owners and admins only. Needs the webhooks:write scope."""
        return await self._run(
            ctx, lambda b: b.create_webhook(url=url, events=list(events), description=description)
        )

    async def delete_webhook(self, ctx: Context, endpoint_id: EndpointId) -> DeletedWebhook:
        """Delete a webhook endpoint with its queued and past deliveries; this cannot be undone.

        Owners and admins only. Needs the webhooks:write scope."""
        return await self._run(ctx, lambda b: b.delete_webhook(endpoint_id))

    async def list_webhook_deliveries(
        self,
        ctx: Context,
        endpoint_id: EndpointId,
        limit: Annotated[int, Field(ge=1, le=200, description="How many, newest first (1-200).")] = 50,
    ) -> Items[WebhookDeliveryOut]:
        """List a webhook endpoint's deliveries, newest first: event, status, attempts, last status code
        and error, and the signed body. Owners and admins only. Needs the webhooks:read scope."""
        return await self._run(ctx, lambda b: b.list_webhook_deliveries(endpoint_id, limit=limit))

    async def replay_webhook_delivery(
        self,
        ctx: Context,
        endpoint_id: EndpointId,
        delivery_id: Annotated[
            str, Field(min_length=1, max_length=40, description="The delivery's `id` (msg_…).")
        ],
    ) -> WebhookDeliveryOut:
        """Send a delivery again, now, with the same webhook-id and body (a receiver that deduplicates
        sees a repeat). Owners and admins only. Needs the webhooks:write scope."""
        return await self._run(ctx, lambda b: b.replay_webhook_delivery(endpoint_id, delivery_id))
