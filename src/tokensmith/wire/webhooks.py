"""A webhook endpoint (its secret shown once, at creation) and one of its deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tokensmith.wire.record import Record

DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookEndpointOut(Record):
    id: str
    org_id: str
    url: str
    description: str
    events: list[str]
    enabled: bool
    failure_count: int = Field(description="Failed attempts in a row; the endpoint is disabled past a limit.")
    disabled_reason: str | None = Field(description="`failing` (disabled after failures) or `by_admin`.")
    created_at: datetime
    updated_at: datetime


class CreatedWebhookEndpointOut(WebhookEndpointOut):
    secret: str = Field(description="The Standard Webhooks signing secret (`whsec_…`): shown this once.")


class WebhookDeliveryOut(Record):
    id: str = Field(description="The `webhook-id` header, the same on every attempt and replay.")
    endpoint_id: str
    event_type: str
    payload: dict[str, Any] = Field(description="The signed JSON body: `{type, timestamp, data}`.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeletedWebhook(BaseModel):
    id: str
    deleted: bool = Field(description="Always true: the endpoint and its deliveries are gone.")


class WebhookEventTypeOut(BaseModel):
    type: str
    description: str


class LeakReportAccepted(BaseModel):
    received: int = Field(description="How many strings the report held (never which of them matched).")
