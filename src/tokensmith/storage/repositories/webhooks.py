"""Webhook endpoints and the durable delivery queue (services/webhooks.py, webhook_delivery.py).

Claiming due deliveries (:meth:`WebhookRepository.claim_due`) is safe from every process at
once: on PostgreSQL the due rows are selected ``FOR UPDATE SKIP LOCKED``, so two workers never
even look at the same row; on SQLite the select is plain and the single-writer lock serialises
the claims. Either way each claim is a compare-and-set on ``(attempts, next_attempt_at)``: a row
is claimed by exactly one transaction, which moves ``next_attempt_at`` one lease ahead, so nobody
else takes it while its attempt is in flight, and a process that dies mid-attempt leaves it to be
retried (with the same id) when the lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from tokensmith.storage.tables import webhook_deliveries as deliveries
from tokensmith.storage.tables import webhook_endpoints as endpoints

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class EndpointRow:
    id: str
    org_id: str
    url: str
    description: str
    events: tuple[str, ...]
    secret_sealed: str
    enabled: bool
    failure_count: int
    disabled_reason: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryRow:
    id: str
    endpoint_id: str
    org_id: str
    event_type: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


def _endpoint(row: RowMapping) -> EndpointRow:
    values = {k: row[k] for k in EndpointRow.__dataclass_fields__}
    values["events"] = tuple(str(row["events"]).split())
    return EndpointRow(**values)


def _delivery(row: RowMapping) -> DeliveryRow:
    return DeliveryRow(**{k: row[k] for k in DeliveryRow.__dataclass_fields__})


class WebhookRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    # -- endpoints -------------------------------------------------------------
    def insert_endpoint(self, row: EndpointRow) -> None:
        values: dict[str, Any] = {k: getattr(row, k) for k in EndpointRow.__dataclass_fields__}
        values["events"] = " ".join(row.events)
        self.c.execute(insert(endpoints).values(**values))

    def endpoint(self, endpoint_id: str) -> EndpointRow | None:
        found = self.c.execute(select(endpoints).where(endpoints.c.id == endpoint_id)).mappings().first()
        return _endpoint(found) if found is not None else None

    def endpoints(self, org_id: str, *, after_id: str | None = None, limit: int = 100) -> list[EndpointRow]:
        query = select(endpoints).where(endpoints.c.org_id == org_id)
        if after_id is not None:
            query = query.where(endpoints.c.id > after_id)
        rows = self.c.execute(query.order_by(endpoints.c.id).limit(limit)).mappings()
        return [_endpoint(r) for r in rows]

    def subscribed(self, org_id: str, event_type: str) -> list[EndpointRow]:
        """The enabled endpoints of ``org_id`` that chose ``event_type``."""
        query = select(endpoints).where(endpoints.c.org_id == org_id, endpoints.c.enabled.is_(True))
        found = [_endpoint(r) for r in self.c.execute(query).mappings()]
        return [e for e in found if event_type in e.events]

    def update_endpoint(self, endpoint_id: str, values: dict[str, Any]) -> None:
        if "events" in values:
            values = {**values, "events": " ".join(values["events"])}
        self.c.execute(update(endpoints).where(endpoints.c.id == endpoint_id).values(**values))

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.c.execute(delete(deliveries).where(deliveries.c.endpoint_id == endpoint_id))
        self.c.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))

    def count_failure(self, endpoint_id: str, now: datetime, *, disable_at: int) -> bool:
        """One more failure in a row; True when this one reached ``disable_at`` and disabled it
        (exactly one caller sees True, whatever races)."""
        self.c.execute(
            update(endpoints)
            .where(endpoints.c.id == endpoint_id)
            .values(failure_count=endpoints.c.failure_count + 1, updated_at=now)
        )
        disabled = self.c.execute(
            update(endpoints)
            .where(
                endpoints.c.id == endpoint_id,
                endpoints.c.enabled.is_(True),
                endpoints.c.failure_count >= disable_at,
            )
            .values(enabled=False, disabled_reason="failing", updated_at=now)
        )
        return bool(disabled.rowcount)

    def reset_failures(self, endpoint_id: str) -> None:
        self.c.execute(
            update(endpoints)
            .where(endpoints.c.id == endpoint_id, endpoints.c.failure_count != 0)
            .values(failure_count=0)
        )

    # -- deliveries ------------------------------------------------------------
    def enqueue(self, row: DeliveryRow) -> None:
        self.c.execute(
            insert(deliveries).values(**{k: getattr(row, k) for k in DeliveryRow.__dataclass_fields__})
        )

    def delivery(self, delivery_id: str) -> DeliveryRow | None:
        found = self.c.execute(select(deliveries).where(deliveries.c.id == delivery_id)).mappings().first()
        return _delivery(found) if found is not None else None

    def deliveries(
        self, endpoint_id: str, *, before: datetime | None = None, limit: int = 50
    ) -> list[DeliveryRow]:
        """An endpoint's deliveries, newest first."""
        query = select(deliveries).where(deliveries.c.endpoint_id == endpoint_id)
        if before is not None:
            query = query.where(deliveries.c.created_at < before)
        query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(limit)
        return [_delivery(r) for r in self.c.execute(query).mappings()]

    def claim_due(self, now: datetime, lease_until: datetime, *, limit: int) -> list[DeliveryRow]:
        """Claim up to ``limit`` due deliveries of enabled endpoints for one attempt each (see the
        module docstring): their ``attempts`` go up by one and ``next_attempt_at`` to ``lease_until``."""
        query = (
            select(deliveries)
            .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
            .where(
                deliveries.c.status == PENDING,
                deliveries.c.next_attempt_at <= now,
                endpoints.c.enabled.is_(True),
            )
            .order_by(deliveries.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=deliveries)
        )
        claimed = []
        for row in [_delivery(r) for r in self.c.execute(query).mappings()]:
            taken = self.c.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == row.id,
                    deliveries.c.status == PENDING,
                    deliveries.c.attempts == row.attempts,
                    deliveries.c.next_attempt_at == row.next_attempt_at,
                )
                .values(attempts=row.attempts + 1, next_attempt_at=lease_until, last_attempt_at=now)
            )
            if taken.rowcount == 1:
                claimed.append(row)
        return claimed

    def finish_attempt(self, delivery_id: str, attempt: int, values: dict[str, Any]) -> bool:
        """Record the outcome of attempt number ``attempt`` (only if no one else claimed it since)."""
        result = self.c.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.attempts == attempt)
            .values(**values)
        )
        return bool(result.rowcount)

    def requeue(self, delivery_id: str, now: datetime) -> None:
        """Send again as soon as a worker runs: same id, same payload (a replay)."""
        self.c.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(status=PENDING, next_attempt_at=now)
        )
