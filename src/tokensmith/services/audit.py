"""The audit log: every state change records who, what, when, from where — never a secret.

Observers (:meth:`AuditLog.observe`) see each event in the same transaction: the webhook outbox
(:mod:`tokensmith.services.webhooks`) queues its deliveries there, so a delivery exists exactly
when the change it reports committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.storage.repositories.audit import AuditRepository

#: Sees an appended event (the row's values) on the connection of its transaction.
AuditObserver = Callable[[Connection, dict[str, Any]], None]


class AuditLog:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._observers: list[AuditObserver] = []

    def observe(self, observer: AuditObserver) -> None:
        """Call ``observer`` with every event recorded from now on, inside its transaction."""
        self._observers.append(observer)

    def record(
        self,
        connection: Connection,
        actor: Actor,
        action: str,
        *,
        org_id: str | None,
        target_kind: str | None = None,
        target_id: str | None = None,
        target_hint: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append an event in the caller's transaction, so it lands with the change or not at all."""
        event: dict[str, Any] = {
            "occurred_at": self._clock.now(),
            "org_id": org_id,
            "actor_kind": actor.method.value,
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "action": action,
            "target_kind": target_kind,
            "target_id": target_id,
            "target_hint": target_hint,
            "ip": actor.ip,
            "transport": actor.transport.value,
            "details": details or {},
        }
        AuditRepository(connection).append(event)
        for observer in self._observers:
            observer(connection, event)
