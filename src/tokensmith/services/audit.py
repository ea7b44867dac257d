"""The audit log: every state change records who, what, when, from where — never a secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.storage.repositories.audit import AuditRepository


class AuditLog:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

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
        AuditRepository(connection).append(
            {
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
        )
