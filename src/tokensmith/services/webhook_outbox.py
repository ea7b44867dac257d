"""The transactional outbox of webhook deliveries.

:class:`WebhookOutbox` watches the audit log (:meth:`tokensmith.services.audit.AuditLog.observe`):
when an audited change is a webhook event, one delivery per subscribed, enabled endpoint of that
organisation is inserted *in the transaction of the change*, so a committed change always has its
deliveries queued and a rolled-back one never does. Delivering them is
:mod:`tokensmith.services.webhook_delivery`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tokensmith.core.clock import Clock
from tokensmith.core.webhook_events import event_type_of
from tokensmith.storage.repositories.webhooks import PENDING, DeliveryRow, WebhookRepository

__all__ = ["WebhookOutbox", "new_message_id"]


def new_message_id() -> str:
    """A Standard Webhooks message id (``webhook-id``): ``msg_`` and 128 random bits."""
    return "msg_" + uuid.uuid4().hex


class WebhookOutbox:
    """The audit observer that queues a delivery per subscribed endpoint, in the change's transaction."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, connection: Connection, event: dict[str, Any]) -> None:
        org_id = event.get("org_id")
        details = event.get("details") or {}
        event_type = event_type_of(str(event["action"]), details)
        if org_id is None or event_type is None:
            return
        repo = WebhookRepository(connection)
        targets = repo.subscribed(org_id, event_type)
        if not targets:
            return
        occurred: datetime = event["occurred_at"]
        payload = json.dumps(
            {
                "type": event_type,
                "timestamp": occurred.isoformat(),
                "data": {
                    "org_id": org_id,
                    "action": event["action"],
                    "actor": {
                        "kind": event["actor_kind"],
                        "id": event["actor_id"],
                        "label": event["actor_label"],
                    },
                    "target": {
                        "kind": event["target_kind"],
                        "id": event["target_id"],
                        "hint": event["target_hint"],
                    },
                    "details": details,
                },
            },
            separators=(",", ":"),
            sort_keys=True,
            default=str,
        )
        now = self._clock.now()
        for endpoint in targets:
            repo.enqueue(
                DeliveryRow(
                    id=new_message_id(),
                    endpoint_id=endpoint.id,
                    org_id=org_id,
                    event_type=event_type,
                    payload=payload,
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    last_attempt_at=None,
                    last_status_code=None,
                    last_error=None,
                    delivered_at=None,
                    created_at=now,
                )
            )
