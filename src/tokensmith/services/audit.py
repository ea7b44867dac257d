"""The audit log: every state change records who, what, when, from where — never a secret.

Observers (:meth:`AuditLog.observe`) see each event in the same transaction: the webhook outbox
(:mod:`tokensmith.services.webhook_outbox`) queues its deliveries there, so a delivery exists exactly
when the change it reports committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.core.records import Credential, PersonalTokenRecord
from tokensmith.storage.repositories.audit import AuditRepository

#: Sees an appended event (the row's values) on the connection of its transaction.
AuditObserver = Callable[[Connection, dict[str, Any]], None]


@dataclass(frozen=True)
class Target:
    """What an event is about: its organisation, its kind and id, and a hint to show for it
    (an event about nothing in particular has no kind nor id)."""

    org_id: str | None
    kind: str | None
    id: str | None
    hint: str | None = None

    @classmethod
    def credential(cls, credential: Credential, hint: str | None = None) -> Target:
        """A credential, by its client ID, shown by its name (or ``hint``)."""
        return cls(
            credential.org_id, "credential", credential.client_id, credential.name if hint is None else hint
        )

    @classmethod
    def personal_token(cls, token: PersonalTokenRecord) -> Target:
        """A personal token, shown by its hint (never its value)."""
        return cls(token.org_id, "personal_token", token.id, token.token_hint)


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
        self.about(connection, actor, action, Target(org_id, target_kind, target_id, target_hint), details)

    def about(
        self,
        connection: Connection,
        actor: Actor,
        action: str,
        target: Target,
        details: dict[str, Any] | None = None,
    ) -> None:
        """:meth:`record` an event about ``target``."""
        event: dict[str, Any] = {
            "occurred_at": self._clock.now(),
            "org_id": target.org_id,
            "actor_kind": actor.method.value,
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "action": action,
            "target_kind": target.kind,
            "target_id": target.id,
            "target_hint": target.hint,
            "ip": actor.ip,
            "transport": actor.transport.value,
            "details": details or {},
        }
        AuditRepository(connection).append(event)
        for observer in self._observers:
            observer(connection, event)
