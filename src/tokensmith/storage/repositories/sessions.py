"""Dashboard sessions: only a keyed hash of the session id is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from tokensmith.storage.repositories.rows import Repository, insert_values, record_from
from tokensmith.storage.tables import dashboard_sessions


@dataclass(frozen=True)
class SessionRow:
    id_hash: str
    user_id: str
    org_id: str | None
    csrf_token: str
    created_at: datetime
    expires_at: datetime


class SessionRepository(Repository):
    def insert(self, row: SessionRow) -> None:
        self.c.execute(insert(dashboard_sessions).values(insert_values(row, dashboard_sessions)))

    def by_hashes(self, hashes: list[str]) -> SessionRow | None:
        found = self.first(select(dashboard_sessions).where(dashboard_sessions.c.id_hash.in_(hashes)))
        return record_from(SessionRow, found) if found is not None else None

    def delete(self, id_hash: str) -> None:
        self.c.execute(delete(dashboard_sessions).where(dashboard_sessions.c.id_hash == id_hash))

    def delete_for_user(self, user_id: str) -> None:
        self.c.execute(delete(dashboard_sessions).where(dashboard_sessions.c.user_id == user_id))

    def delete_expired(self, now: datetime) -> int:
        result = self.c.execute(delete(dashboard_sessions).where(dashboard_sessions.c.expires_at <= now))
        return int(result.rowcount or 0)
