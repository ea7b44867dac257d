"""The audit log's read side: filtered, newest first, cursor-paginated.

Owners and admins with ``audit:read`` read their organisation's events; the operator
(system actor) may read any organisation's. Text filters match ``%`` and ``_`` literally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokensmith.core import permissions
from tokensmith.core.actors import Actor
from tokensmith.core.errors import BadRequest
from tokensmith.core.records import AuditEvent
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.audit import AuditRepository


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    action_prefix: str | None = None
    actor_id: str | None = None
    target_id: str | None = None
    target_contains: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEvent]
    next_cursor: str | None


def _parse_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise BadRequest("cursor is not one this server issued")
    return int(cursor)


class AuditQueryService:
    def __init__(self, database: Database) -> None:
        self._db = database

    def list(
        self,
        actor: Actor,
        *,
        org_id: str | None,
        filters: AuditFilters | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> AuditPage:
        permissions.require_scope(actor, "audit:read")
        if not actor.is_system:
            permissions.require_admin(actor, "read the audit log")
            org_id = actor.org_id
        f = filters or AuditFilters()
        for when in (f.since, f.until):
            if when is not None and when.tzinfo is None:
                raise BadRequest("since and until need a time zone (RFC 3339)")
        with self._db.transaction() as connection:
            items = AuditRepository(connection).list(
                org_id=org_id,
                action=f.action,
                action_prefix=f.action_prefix,
                actor_id=f.actor_id,
                target_id=f.target_id,
                target_contains=f.target_contains,
                since=f.since,
                until=f.until,
                before_id=_parse_cursor(cursor),
                limit=limit + 1,
            )
        next_cursor = str(items[limit - 1].id) if len(items) > limit else None
        return AuditPage(items[:limit], next_cursor)
