"""Used client-assertion ids (RFC 7523 §3 item 7): each ``jti`` is accepted once per client.

The database is the one place every process sees, so a replay sent to another process is
refused too. ``claim`` is one ``INSERT`` on a primary key: of two requests racing with the same
assertion exactly one inserts, on SQLite and PostgreSQL alike; the other hits the key and is
told it was used. A row whose assertion has expired is deleted first, so an id may come back
once its assertion could no longer be accepted anyway, and the table never outgrows the
assertions live at once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from tokensmith.storage.repositories.rows import Repository
from tokensmith.storage.tables import client_assertion_jtis


def assertion_key(client_id: str, jti: str) -> str:
    """The stored key of ``jti`` for ``client_id`` (a hash: ids are the client's free text)."""
    return hashlib.sha256(f"{client_id}\x00{jti}".encode()).hexdigest()


class AssertionIdRepository(Repository):
    def claim(self, client_id: str, jti: str, *, expires_at: datetime, now: datetime) -> bool:
        """Record ``jti`` as used until ``expires_at``; ``False`` when it already was (a replay)."""
        key = assertion_key(client_id, jti)
        self.c.execute(
            delete(client_assertion_jtis).where(
                client_assertion_jtis.c.key == key, client_assertion_jtis.c.expires_at <= now
            )
        )
        try:
            with self.c.begin_nested():
                self.c.execute(insert(client_assertion_jtis).values(key=key, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def purge(self, now: datetime) -> int:
        """Delete the rows of assertions that have expired; how many went."""
        result = self.c.execute(
            delete(client_assertion_jtis).where(client_assertion_jtis.c.expires_at <= now)
        )
        return result.rowcount
