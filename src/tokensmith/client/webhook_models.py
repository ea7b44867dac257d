"""What the management API returns about an organisation's webhooks (``/api/orgs/{org}/webhooks…``),
read like every other model of :mod:`tokensmith.client.models`: an endpoint (its signing secret only in
:class:`CreatedWebhookEndpoint`, kept out of ``repr``), a delivery, and an event type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tokensmith.client.models import Json, _Model


@dataclass(frozen=True)
class WebhookEndpoint(_Model):
    """An organisation's webhook endpoint (Standard Webhooks): where events are sent, never its secret."""

    _what = "webhook endpoint"

    id: str
    org_id: str
    url: str
    description: str
    events: tuple[str, ...]
    enabled: bool
    #: Failed attempts in a row; past a limit the endpoint is disabled (``disabled_reason`` ``failing``).
    failure_count: int
    #: ``failing`` (disabled after failures), ``by_admin``, or ``None`` while enabled.
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CreatedWebhookEndpoint(WebhookEndpoint):
    """An endpoint just registered: :attr:`secret` (``whsec_…``, to verify signatures) is shown this once."""

    secret: str = field(repr=False, kw_only=True)


@dataclass(frozen=True)
class WebhookDelivery(_Model):
    """One event sent (or to be sent) to one endpoint; ``id`` is its ``webhook-id`` on every attempt."""

    _what = "webhook delivery"

    id: str
    endpoint_id: str
    event_type: str
    #: The signed JSON body: ``{type, timestamp, data}``.
    payload: Json
    #: ``pending``, ``delivered`` or ``failed``.
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class WebhookEventType(_Model):
    """An event an endpoint may subscribe to, and what it reports."""

    _what = "webhook event type"

    type: str
    description: str
