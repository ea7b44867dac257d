"""Last-used tracking without a database write per request.

Uses are noted in memory and written in one batch every few seconds (and at shutdown);
many uses of one object within an interval cost one write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Connection

from tokensmith.storage.database import Database

Flusher = Callable[[Connection, dict[str, tuple[datetime, str | None]]], None]


class UsageRecorder:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._lock = threading.Lock()
        self._pending: dict[str, dict[str, tuple[datetime, str | None]]] = {}
        self._flushers: dict[str, Flusher] = {}

    def register(self, kind: str, flusher: Flusher) -> None:
        self._flushers[kind] = flusher

    def note(self, kind: str, object_id: str, when: datetime, ip: str | None = None) -> None:
        with self._lock:
            self._pending.setdefault(kind, {})[object_id] = (when, ip)

    def pending(self, kind: str, object_id: str) -> datetime | None:
        with self._lock:
            entry = self._pending.get(kind, {}).get(object_id)
        return entry[0] if entry else None

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        with self._db.transaction() as connection:
            for kind, uses in pending.items():
                if uses and kind in self._flushers:
                    self._flushers[kind](connection, uses)
