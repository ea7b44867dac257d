"""Knowing, cheaply, whether anything in an embedded SQLite database changed.

SQLite's ``PRAGMA data_version`` (https://sqlite.org/pragma.html#pragma_data_version)
returns a different value on a connection whenever *another* connection — in this process
or any other — has committed since the last call. A connection that only ever asks this
question therefore sees every commit anywhere, for a few microseconds a call. That makes
an in-process cache safe: drop it whenever the answer changes, and a credential deleted or
rotated through any process is never served from the cache afterwards.

The question is itself a read of the database: when the database cannot be read, it
raises :class:`~tokensmith.core.errors.StorageUnavailable` like any other read, so a cache
behind it never answers for a database that is down.

Network databases get no detector (:func:`change_detector` returns ``None``): their callers
read through every time.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine

from tokensmith.core.errors import StorageUnavailable
from tokensmith.storage.database import Database


class SQLiteChangeDetector:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._connection: Any = None
        self._version: int | None = None
        database.on_dispose(self.close)

    def _connect(self) -> Any:
        """A DBAPI connection of our own, outside the pool, that never writes (re-made if
        the database's engine was replaced)."""
        if self._connection is None or self._engine is not self._db.engine:
            self.close()
            self._engine = self._db.engine
            pooled = self._engine.raw_connection()
            pooled.detach()
            self._connection = pooled.dbapi_connection
        return self._connection

    def changed(self) -> bool:
        """True when something was committed since the previous call (and on the first call)."""
        with self._lock:
            try:
                version = self._connect().execute("PRAGMA data_version").fetchone()[0]
            except Exception as exc:  # noqa: BLE001 - any failure to read the database is "down"
                self._version = None
                raise StorageUnavailable(detail=type(exc).__name__) from None
            changed: bool = version != self._version
            self._version = version
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def change_detector(database: Database) -> SQLiteChangeDetector | None:
    return SQLiteChangeDetector(database) if database.is_embedded else None


K = TypeVar("K")
V = TypeVar("V")


class UntilCommitCache(Generic[K, V]):
    """Values read from the database, kept until anything is committed anywhere.

    On a network database it keeps nothing (every :meth:`get` misses). Bounded: when full it
    starts again empty.
    """

    def __init__(self, database: Database, max_entries: int = 10_000) -> None:
        self._changes = change_detector(database)
        self._entries: dict[K, V] = {}
        self._max = max_entries

    def get(self, key: K) -> V | None:
        if self._changes is None:
            return None
        if self._changes.changed():
            self._entries.clear()
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        if self._changes is None:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = value
