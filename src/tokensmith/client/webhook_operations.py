"""The management API's webhook operations (``/api/orgs/{org_id}/webhooks…``), sans I/O, like the rest
of :mod:`tokensmith.client.operations`: each builds a :class:`~tokensmith.client.operations.Call`.

An organisation's owners and admins register Standard Webhooks endpoints; a token needs
``webhooks:read`` to list and ``webhooks:write`` to change. The signing secret is in
:func:`create_webhook`'s answer only. ``org_id`` is the organisation's id (``me().org.id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from tokensmith.client.operations import Call, _id, _no_body, _page_params, array_of, given
from tokensmith.client.webhook_models import (
    CreatedWebhookEndpoint,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)


def _webhooks(org_id: str) -> str:
    return f"/api/orgs/{_id(org_id)}/webhooks"


def _endpoint(org_id: str, endpoint_id: str) -> str:
    return f"{_webhooks(org_id)}/{_id(endpoint_id)}"


def list_webhook_event_types(org_id: str) -> Call[tuple[WebhookEventType, ...]]:
    """``GET /api/orgs/{org}/webhooks/event-types``: the events an endpoint may subscribe to."""
    parse = partial(array_of, WebhookEventType.from_json, "the event type list")
    return Call("GET", f"{_webhooks(org_id)}/event-types", parse)


def list_webhooks(org_id: str) -> Call[tuple[WebhookEndpoint, ...]]:
    """``GET /api/orgs/{org}/webhooks``: the organisation's endpoints (never their secrets)."""
    return Call("GET", _webhooks(org_id), partial(array_of, WebhookEndpoint.from_json, "the webhook list"))


def create_webhook(
    org_id: str, url: str, events: Sequence[str], description: str | None = None
) -> Call[CreatedWebhookEndpoint]:
    """``POST /api/orgs/{org}/webhooks``: register ``url`` for ``events``; the result's ``secret``
    (``whsec_…``, to verify each delivery's signature) is shown this once."""
    if isinstance(events, str):
        raise TypeError("events is a list of event types, not one string")
    body = {"url": url, "events": list(events)} | given(description=description)
    return Call("POST", _webhooks(org_id), CreatedWebhookEndpoint.from_json, json=body)


def get_webhook(org_id: str, endpoint_id: str) -> Call[WebhookEndpoint]:
    """``GET /api/orgs/{org}/webhooks/{id}``."""
    return Call("GET", _endpoint(org_id, endpoint_id), WebhookEndpoint.from_json)


def update_webhook(
    org_id: str,
    endpoint_id: str,
    *,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Call[WebhookEndpoint]:
    """``PATCH /api/orgs/{org}/webhooks/{id}``: only what is given changes; ``enabled=True`` turns a
    disabled endpoint on again (its failure count starts over)."""
    if isinstance(events, str):
        raise TypeError("events is a list of event types, not one string")
    body = given(
        url=url, events=None if events is None else list(events), description=description, enabled=enabled
    )
    if not body:
        raise ValueError("give something to change")
    return Call("PATCH", _endpoint(org_id, endpoint_id), WebhookEndpoint.from_json, json=body)


def delete_webhook(org_id: str, endpoint_id: str) -> Call[None]:
    """``DELETE /api/orgs/{org}/webhooks/{id}``: the endpoint and its deliveries."""
    return Call("DELETE", _endpoint(org_id, endpoint_id), _no_body)


def list_webhook_deliveries(
    org_id: str, endpoint_id: str, *, limit: int | None = None
) -> Call[tuple[WebhookDelivery, ...]]:
    """``GET /api/orgs/{org}/webhooks/{id}/deliveries``: newest first, at most ``limit`` (1-200)."""
    params = _page_params(limit, None)
    parse = partial(array_of, WebhookDelivery.from_json, "the delivery list")
    return Call("GET", f"{_endpoint(org_id, endpoint_id)}/deliveries", parse, params=params)


def replay_webhook_delivery(org_id: str, endpoint_id: str, delivery_id: str) -> Call[WebhookDelivery]:
    """``POST /api/orgs/{org}/webhooks/{id}/deliveries/{delivery}/replay``: send it again, due now, with
    the same ``webhook-id`` and body (a receiver that deduplicates sees a repeat)."""
    path = f"{_endpoint(org_id, endpoint_id)}/deliveries/{_id(delivery_id)}/replay"
    return Call("POST", path, WebhookDelivery.from_json)
