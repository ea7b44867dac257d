"""Delivering queued webhooks: Standard Webhooks signatures, retries with backoff, one sender per delivery.

Each attempt (https://www.standardwebhooks.com/, "Signature scheme") is a ``POST`` of the stored
JSON body with ``webhook-id`` (the delivery's id, the same on every attempt, so receivers
deduplicate), ``webhook-timestamp`` (this attempt's time, integer seconds) and
``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` under the endpoint's
secret), computed by the ``standardwebhooks`` library. A 2xx answer delivers it; anything else
(another status, a timeout, a refused connection, an address the SSRF guard refuses) is a failed
attempt, retried after :func:`tokensmith.core.webhook_events.retry_delay` until
``webhook_max_attempts``. Redirects are not followed.

At-least-once, never lost: a delivery is claimed for one attempt in a committed transaction
before it is sent (:meth:`WebhookRepository.claim_due`), under a lease longer than the request
can take; its outcome is written afterwards. A process stopped mid-attempt leaves the claim to
run out, and then any process sends it again, with the same id. Two processes never claim the
same delivery at once.

An endpoint whose attempts fail ``webhook_disable_after_failures`` times in a row is disabled
(its queue waits) and a ``webhook.disabled`` audit event tells the organisation's admins; a
success resets the count.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta

import httpx
from standardwebhooks.webhooks import Webhook

from tokensmith import __version__
from tokensmith.core.actors import Actor, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.webhook_events import retry_delay
from tokensmith.services.audit import AuditLog
from tokensmith.services.outbound import GuardedTransport, OutboundRefused
from tokensmith.services.webhooks import WebhookService
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.webhooks import DELIVERED, FAILED, DeliveryRow, WebhookRepository

log = logging.getLogger(__name__)
BATCH = 20


@dataclass(frozen=True)
class DeliveryRound:
    """What one :meth:`WebhookDeliverer.deliver_due` did."""

    delivered: int = 0
    failed: int = 0
    given_up: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float
    disable_after_failures: int


@dataclass(frozen=True, slots=True, eq=False)
class WebhookDeliverer:
    database: Database
    clock: Clock
    audit: AuditLog
    webhooks: WebhookService
    policy: RetryPolicy
    _: KW_ONLY
    timeout_seconds: float
    allow_private_addresses: bool
    transport: httpx.BaseTransport | None = None
    rand: Callable[[], float] = random.random

    @property
    def lease(self) -> timedelta:
        """A claim outlives any attempt: the request's timeout (connect, write, read) and margin."""
        return timedelta(seconds=4 * self.timeout_seconds + 30)

    def deliver_due(self, *, limit: int = BATCH) -> DeliveryRound:
        """Claim and attempt up to ``limit`` due deliveries; what happened."""
        now = self.clock.now()
        with self.database.transaction() as connection:
            claimed = WebhookRepository(connection).claim_due(now, now + self.lease, limit=limit)
        if not claimed:
            return DeliveryRound()
        delivered = failed = given_up = 0
        transport = self.transport or GuardedTransport(allow_private=self.allow_private_addresses)
        with httpx.Client(
            transport=transport, timeout=self.timeout_seconds, follow_redirects=False
        ) as client:
            for row in claimed:
                outcome = self._attempt(client, row)
                delivered += outcome == DELIVERED
                failed += outcome != DELIVERED
                given_up += outcome == FAILED
        return DeliveryRound(delivered, failed, given_up)

    def deliver_all_due(self, *, rounds: int = 50) -> DeliveryRound:
        """Rounds of :meth:`deliver_due` until nothing is due (``tokensmith webhooks deliver``)."""
        total = DeliveryRound()
        for _ in range(rounds):
            done = self.deliver_due()
            if not done.attempted:
                break
            total = DeliveryRound(
                total.delivered + done.delivered, total.failed + done.failed, total.given_up + done.given_up
            )
        return total

    def _attempt(self, client: httpx.Client, row: DeliveryRow) -> str:
        """One attempt of a claimed delivery; its new status (delivered, pending or failed)."""
        with self.database.transaction() as connection:
            endpoint = WebhookRepository(connection).endpoint(row.endpoint_id)
        if endpoint is None:  # deleted meanwhile: its deliveries went with it
            return FAILED
        status_code: int | None = None
        error: str | None = None
        try:
            secret = self.webhooks.signing_secret(endpoint)
            sent_at = self.clock.now()
            headers = {
                "webhook-id": row.id,
                "webhook-timestamp": str(int(sent_at.timestamp())),
                "webhook-signature": Webhook(secret).sign(row.id, sent_at, row.payload),
                "content-type": "application/json",
                "user-agent": f"Tokensmith-Webhooks/{__version__}",
            }
            with client.stream(
                "POST", endpoint.url, content=row.payload.encode(), headers=headers
            ) as response:
                status_code = response.status_code
        except OutboundRefused as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = f"request failed: {type(exc).__name__}"
        except ValueError as exc:  # the secret could not be opened (a master key gone)
            error = str(exc)
        ok = status_code is not None and 200 <= status_code < 300
        if status_code is not None and not ok:
            error = f"answered {status_code}"
        return self._record(row, ok, status_code, error)

    def _record(self, row: DeliveryRow, ok: bool, status_code: int | None, error: str | None) -> str:
        attempt = row.attempts + 1
        now = self.clock.now()
        with self.database.transaction() as connection:
            repo = WebhookRepository(connection)
            if ok:
                repo.finish_attempt(
                    row.id,
                    attempt,
                    {
                        "status": DELIVERED,
                        "delivered_at": now,
                        "last_status_code": status_code,
                        "last_error": None,
                    },
                )
                repo.reset_failures(row.endpoint_id)
                return DELIVERED
            gave_up = attempt >= self.policy.max_attempts
            values: dict[str, object] = {"last_status_code": status_code, "last_error": (error or "")[:200]}
            if gave_up:
                values["status"] = FAILED
            else:
                delay = retry_delay(
                    attempt,
                    base_seconds=self.policy.base_seconds,
                    max_seconds=self.policy.max_seconds,
                    rand=self.rand,
                )
                values["next_attempt_at"] = now + timedelta(seconds=delay)
            if not repo.finish_attempt(row.id, attempt, values):
                return FAILED  # replayed or reclaimed meanwhile: that attempt's outcome counts
            if repo.count_failure(row.endpoint_id, now, disable_at=self.policy.disable_after_failures):
                endpoint = repo.endpoint(row.endpoint_id)
                assert endpoint is not None
                log.warning(
                    "webhook endpoint %s disabled after %d failures in a row",
                    endpoint.id,
                    endpoint.failure_count,
                )
                self.audit.record(
                    connection,
                    Actor.system(Transport.API),
                    "webhook.disabled",
                    org_id=endpoint.org_id,
                    target_kind="webhook",
                    target_id=endpoint.id,
                    target_hint=endpoint.url[:200],
                    details={"failure_count": endpoint.failure_count, "last_error": values["last_error"]},
                )
        return FAILED if gave_up else "pending"
