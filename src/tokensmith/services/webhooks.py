"""Webhook endpoints of an organisation: register, list, change, delete, and their deliveries.

Organisation owners and admins register endpoints (a URL and the events it wants,
:data:`tokensmith.core.webhook_events.EVENT_TYPES`); each gets a Standard Webhooks secret
(``whsec_…``), shown once at creation. The deliveries are queued by
:class:`~tokensmith.services.webhook_outbox.WebhookOutbox` in the transaction of each change and
sent by :mod:`tokensmith.services.webhook_delivery`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection

# A delivery is described once, by the SDK's model, whichever door it goes out of (re-exported).
from tokensmith.client.webhook_models import WebhookDelivery as WebhookDelivery
from tokensmith.core import ids, permissions
from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.core.errors import BadRequest, NotFound
from tokensmith.core.labels import clean_description
from tokensmith.core.webhook_events import parse_event_types
from tokensmith.services.audit import AuditLog, Target
from tokensmith.services.outbound import OutboundRefused, check_url
from tokensmith.services.webhook_secrets import WebhookSecretBox, new_webhook_secret
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.webhooks import PENDING, DeliveryRow, EndpointRow, WebhookRepository

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MAX_URL_LENGTH = 2048
MAX_ENDPOINTS_PER_ORG = 50
Shown = TypeVar("Shown", bound="DataclassInstance")


def _shown(shown: type[Shown], row: object, **changed: Any) -> Shown:
    """The dataclass ``shown`` of a stored ``row``: each of its fields copied from the row's field
    of that name, but for those ``changed`` gives (the row's other fields, a secret, stay behind)."""
    copied = {f.name: getattr(row, f.name) for f in fields(shown) if f.name not in changed}
    return shown(**copied, **changed)


@dataclass(frozen=True)
class WebhookEndpoint:
    """An endpoint as the adapters show it (never its secret, which is shown once)."""

    id: str
    org_id: str
    url: str
    description: str
    events: list[str]
    enabled: bool
    failure_count: int
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: EndpointRow) -> WebhookEndpoint:
        return _shown(cls, row, events=list(row.events))


@dataclass(frozen=True)
class CreatedWebhook:
    endpoint: WebhookEndpoint
    secret: str


def _delivery(row: DeliveryRow) -> WebhookDelivery:
    """The delivery of a stored ``row``, as the SDK reads it back (its ``next_attempt_at`` only while
    it is pending)."""
    return _shown(
        WebhookDelivery,
        row,
        payload=json.loads(row.payload),
        next_attempt_at=row.next_attempt_at if row.status == PENDING else None,
    )


Endpoints = list[WebhookEndpoint]
Deliveries = list[WebhookDelivery]


@dataclass(frozen=True, slots=True, eq=False)
class WebhookService:
    """Register, list, change, delete endpoints; list and replay their deliveries (owners and admins)."""

    database: Database
    clock: Clock
    audit: AuditLog
    secrets: WebhookSecretBox
    _: KW_ONLY
    allow_private_addresses: bool

    def _check_url(self, url: str) -> str:
        if len(url) > MAX_URL_LENGTH:
            raise BadRequest(f"the URL is longer than {MAX_URL_LENGTH} characters", field="url")
        try:
            return check_url(url, allow_private=self.allow_private_addresses)
        except OutboundRefused as exc:
            raise BadRequest(str(exc), code="url_not_allowed", field="url") from None

    @staticmethod
    def _events(events: str | Sequence[str]) -> list[str]:
        try:
            return parse_event_types(events)
        except ValueError as exc:
            raise BadRequest(str(exc), field="events") from None

    def _require(self, actor: Actor, org_id: str, scope: str) -> None:
        permissions.require_scope(actor, scope)
        permissions.require_org(actor, org_id)
        permissions.require_admin(actor, "manage webhooks")

    def create(
        self, actor: Actor, org_id: str, *, url: str, events: str | Sequence[str], description: str = ""
    ) -> CreatedWebhook:
        self._require(actor, org_id, "webhooks:write")
        checked_url = self._check_url(url)
        chosen = self._events(events)
        now = self.clock.now()
        endpoint_id = ids.new_id()
        secret = new_webhook_secret()
        row = EndpointRow(
            id=endpoint_id,
            org_id=org_id,
            url=checked_url,
            description=clean_description(description),
            events=tuple(chosen),
            secret_sealed=self.secrets.seal(secret, endpoint_id),
            enabled=True,
            failure_count=0,
            disabled_reason=None,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        with self.database.transaction() as connection:
            if OrganizationRepository(connection).get(org_id) is None:
                raise NotFound("no such organisation")
            repo = WebhookRepository(connection)
            if len(repo.endpoints(org_id, limit=MAX_ENDPOINTS_PER_ORG + 1)) >= MAX_ENDPOINTS_PER_ORG:
                raise BadRequest(f"an organisation has at most {MAX_ENDPOINTS_PER_ORG} webhook endpoints")
            repo.insert_endpoint(row)
            self._audited(connection, actor, "created", row, {"url": row.url, "events": chosen})
        return CreatedWebhook(WebhookEndpoint.of(row), secret)

    def list(self, actor: Actor, org_id: str) -> Endpoints:
        self._require(actor, org_id, "webhooks:read")
        with self.database.transaction() as connection:
            rows = WebhookRepository(connection).endpoints(org_id, limit=MAX_ENDPOINTS_PER_ORG)
        return [WebhookEndpoint.of(r) for r in rows]

    def get(self, actor: Actor, org_id: str, endpoint_id: str) -> WebhookEndpoint:
        self._require(actor, org_id, "webhooks:read")
        with self.database.transaction() as connection:
            return WebhookEndpoint.of(self._endpoint(WebhookRepository(connection), org_id, endpoint_id))

    def update(
        self,
        actor: Actor,
        org_id: str,
        endpoint_id: str,
        *,
        url: str | None = None,
        events: str | Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        """Change an endpoint; enabling it again resets its failure count (its queue resumes)."""
        self._require(actor, org_id, "webhooks:write")
        changes: dict[str, Any] = {}
        if url is not None:
            changes["url"] = self._check_url(url)
        if events is not None:
            changes["events"] = tuple(self._events(events))
        if description is not None:
            changes["description"] = clean_description(description)
        if enabled is not None:
            changes["enabled"] = enabled
            changes["disabled_reason"] = None if enabled else "by_admin"
            if enabled:
                changes["failure_count"] = 0
        with self.database.transaction() as connection:
            repo = WebhookRepository(connection)
            row = self._endpoint(repo, org_id, endpoint_id)
            if not changes:
                return WebhookEndpoint.of(row)
            changes["updated_at"] = self.clock.now()
            repo.update_endpoint(row.id, dict(changes))
            shown = {
                k: list(v) if isinstance(v, tuple) else v for k, v in changes.items() if k != "updated_at"
            }
            self._audited(connection, actor, "updated", row, shown)
            updated = repo.endpoint(row.id)
        assert updated is not None
        return WebhookEndpoint.of(updated)

    def delete(self, actor: Actor, org_id: str, endpoint_id: str) -> WebhookEndpoint:
        """Delete an endpoint and its queued and past deliveries."""
        self._require(actor, org_id, "webhooks:write")
        with self.database.transaction() as connection:
            repo = WebhookRepository(connection)
            row = self._endpoint(repo, org_id, endpoint_id)
            repo.delete_endpoint(row.id)
            self._audited(connection, actor, "deleted", row, {"url": row.url})
        return WebhookEndpoint.of(row)

    def deliveries(self, actor: Actor, org_id: str, endpoint_id: str, *, limit: int = 50) -> Deliveries:
        """An endpoint's deliveries, newest first."""
        self._require(actor, org_id, "webhooks:read")
        with self.database.transaction() as connection:
            repo = WebhookRepository(connection)
            row = self._endpoint(repo, org_id, endpoint_id)
            return [_delivery(d) for d in repo.deliveries(row.id, limit=limit)]

    def replay(self, actor: Actor, org_id: str, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """Send a delivery again (same ``webhook-id`` and body, so a receiver that deduplicates
        sees a repeat): it goes back to the queue, due now."""
        self._require(actor, org_id, "webhooks:write")
        now = self.clock.now()
        with self.database.transaction() as connection:
            repo = WebhookRepository(connection)
            row = self._endpoint(repo, org_id, endpoint_id)
            delivery = repo.delivery(delivery_id) if len(delivery_id) <= 40 else None
            if delivery is None or delivery.endpoint_id != row.id:
                raise NotFound("no such delivery")
            repo.requeue(delivery.id, now)
            self._audited(connection, actor, "replayed", row, {"delivery_id": delivery.id})
            again = repo.delivery(delivery.id)
        assert again is not None
        return _delivery(again)

    def signing_secret(self, row: EndpointRow) -> str:
        """The endpoint's secret, for signing a delivery (never shown or logged)."""
        return self.secrets.open(row.secret_sealed, row.id)

    def _endpoint(self, repo: WebhookRepository, org_id: str, endpoint_id: str) -> EndpointRow:
        row = repo.endpoint(endpoint_id) if len(endpoint_id) <= 36 else None
        if row is None or row.org_id != org_id:
            raise NotFound("no such webhook endpoint")
        return row

    def _audited(
        self, connection: Connection, actor: Actor, action: str, row: EndpointRow, details: dict[str, Any]
    ) -> None:
        self.audit.about(
            connection,
            actor,
            f"webhook.{action}",
            Target(row.org_id, "webhook", row.id, row.url[:200]),
            details,
        )
