"""One-time reveals of the dashboard (services/reveals.py): rows keyed by id, unique per
``(session_hash, form_nonce)``; the service seals and opens them, this module only stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, insert, select, update

from tokensmith.storage.repositories.rows import Repository, insert_values, record_from
from tokensmith.storage.tables import one_time_reveals as reveals


@dataclass(frozen=True)
class RevealRow:
    id: str
    session_hash: str
    form_nonce: str
    result_url: str | None
    sealed: str | None
    created_at: datetime
    expires_at: datetime


class RevealRepository(Repository):
    def insert(self, row: RevealRow) -> None:
        """Raises ``IntegrityError`` when the session already used ``row.form_nonce``."""
        self.c.execute(insert(reveals).values(insert_values(row, reveals)))

    def _one(self, *where: ColumnElement[bool]) -> RevealRow | None:
        found = self.first(select(reveals).where(*where))
        return record_from(RevealRow, found) if found is not None else None

    def get(self, reveal_id: str, session_hash: str) -> RevealRow | None:
        return self._one(reveals.c.id == reveal_id, reveals.c.session_hash == session_hash)

    def by_nonce(self, session_hash: str, form_nonce: str) -> RevealRow | None:
        return self._one(reveals.c.session_hash == session_hash, reveals.c.form_nonce == form_nonce)

    def complete(self, reveal_id: str, result_url: str, sealed: str | None) -> None:
        self.c.execute(
            update(reveals).where(reveals.c.id == reveal_id).values(result_url=result_url, sealed=sealed)
        )

    def take_sealed(self, reveal_id: str, session_hash: str) -> str | None:
        """The sealed secret, cleared in the same statement's transaction: only one caller gets it."""
        row = self.get(reveal_id, session_hash)
        if row is None or row.sealed is None:
            return None
        taken = self.c.execute(
            update(reveals)
            .where(reveals.c.id == reveal_id, reveals.c.sealed == row.sealed)
            .values(sealed=None)
        )
        return row.sealed if taken.rowcount == 1 else None

    def delete(self, reveal_id: str) -> None:
        self.c.execute(delete(reveals).where(reveals.c.id == reveal_id))

    def delete_expired(self, now: datetime) -> int:
        result = self.c.execute(delete(reveals).where(reveals.c.expires_at <= now))
        return int(result.rowcount or 0)
