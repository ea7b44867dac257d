"""Dashboard sessions: only a keyed hash of the session id is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from tokensmith.storage.tables import dashboard_sessions


@dataclass(frozen=True)
class SessionRow:
    id_hash: str
    user_id: str
    org_id: str | None
    csrf_token: str
    created_at: datetime
    expires_at: datetime


class SessionRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def insert(self, row: SessionRow) -> None:
        self.c.execute(
            insert(dashboard_sessions).values(
                id_hash=row.id_hash,
                user_id=row.user_id,
                org_id=row.org_id,
                csrf_token=row.csrf_token,
                created_at=row.created_at,
                expires_at=row.expires_at,
            )
        )

    def by_hashes(self, hashes: list[str]) -> SessionRow | None:
        found = (
            self.c.execute(select(dashboard_sessions).where(dashboard_sessions.c.id_hash.in_(hashes)))
            .mappings()
            .first()
        )
        if found is None:
            return None
        return SessionRow(**{k: found[k] for k in SessionRow.__dataclass_fields__})

    def delete(self, id_hash: str) -> None:
        self.c.execute(delete(dashboard_sessions).where(dashboard_sessions.c.id_hash == id_hash))

    def delete_for_user(self, user_id: str) -> None:
        self.c.execute(delete(dashboard_sessions).where(dashboard_sessions.c.user_id == user_id))

    def delete_expired(self, now: datetime) -> int:
        result = self.c.execute(delete(dashboard_sessions).where(dashboard_sessions.c.expires_at <= now))
        return int(result.rowcount or 0)
