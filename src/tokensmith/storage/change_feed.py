"""Knowing, cheaply and in every process, that something in the database changed.

The lookups on the hot paths (a credential by client ID, a personal token by hash) are kept
in memory by :class:`LookupCache`. A cache is only as good as its invariant, which here is:

    **An entry is served only while this process's change version equals the version it read
    before the entry's row was read; the version moves whenever this process learns of a
    commit, by any process, and is unknown while it cannot learn of them.**

So a row is never served after this process has learnt of a commit that may have changed it —
including the race where a lookup reads a row, a revocation commits and empties the cache,
and the first lookup then stores its (now stale) row: that store is stamped with the old
version and is never served (the version has moved).

Each database has one feed, :func:`change_feed`:

* **SQLite** — :class:`SQLiteChangeFeed`. ``PRAGMA data_version``
  (https://sqlite.org/pragma.html#pragma_data_version) on a connection of its own, which
  never writes, changes whenever any other connection, in this process or another, has
  committed. It is asked on every lookup (a few microseconds): a commit anywhere is seen at
  once.
* **PostgreSQL** — :class:`PostgresChangeFeed`. Triggers on the tables the lookups read
  (migration 0003) ``NOTIFY tokensmith_changes`` in every writing transaction; PostgreSQL
  delivers the notification to every listening session when the transaction commits. Each
  process keeps one ``LISTEN`` connection in a thread of its own, and every notification
  moves the version; the process's own commits move it synchronously as well
  (:meth:`~tokensmith.storage.database.Database.on_commit`), so a process always sees its
  own writes. A commit elsewhere is seen as soon as the notification arrives — typically well
  under a millisecond on one network.

  The channel can fail. A dropped connection makes the version unknown at once (the cache
  then reads through and keeps nothing) until the listener has reconnected, listened again
  and moved the version, which drops everything cached before. A silent connection (the
  server or network stops answering, the socket stays open) is found by a heartbeat: every
  ``heartbeat_seconds`` the listener runs ``SELECT 1``, whose answer arrives only after
  every notification committed before it; when no heartbeat has come back for
  ``max_silence_seconds``, the version is unknown again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from tokensmith.core.errors import StorageUnavailable
from tokensmith.storage.database import Database
from tokensmith.storage.lookup_cache import LookupCache

__all__ = ["CHANNEL", "ChangeFeed", "LookupCache", "PostgresChangeFeed", "SQLiteChangeFeed", "change_feed"]

log = logging.getLogger(__name__)

#: The PostgreSQL notification channel the triggers of migration 0003 notify.
CHANNEL = "tokensmith_changes"


class ChangeFeed(Protocol):
    def version(self) -> int | None:
        """The current change version, or ``None`` when changes cannot be known right now."""

    def sync(self, timeout: float) -> bool:
        """Wait until every commit made before this call has moved the version (True), or
        until ``timeout`` seconds have passed (False)."""

    def close(self) -> None: ...


class SQLiteChangeFeed:
    """``PRAGMA data_version`` on a connection of its own, turned into a version number.

    The question is itself a read of the database: when the database cannot be read it
    raises :class:`~tokensmith.core.errors.StorageUnavailable` like any other read, so a
    cache behind it never answers for a database that is down.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._connection: Any = None
        self._data_version: int | None = None
        self._version = 0
        database.on_dispose(self.close)

    def _connect(self) -> Any:
        """A DBAPI connection outside the pool (re-made if the database's engine was replaced)."""
        if self._connection is None or self._engine is not self._db.engine:
            self._close()
            self._engine = self._db.engine
            pooled = self._engine.raw_connection()
            pooled.detach()
            self._connection = pooled.dbapi_connection
        return self._connection

    def version(self) -> int:
        with self._lock:
            try:
                data_version = self._connect().execute("PRAGMA data_version").fetchone()[0]
            except Exception as exc:  # noqa: BLE001 - any failure to read the database is "down"
                self._data_version = None
                self._version += 1
                raise StorageUnavailable(detail=type(exc).__name__) from None
            if data_version != self._data_version:
                self._data_version = data_version
                self._version += 1
            return self._version

    def sync(self, timeout: float) -> bool:
        """Always caught up: every :meth:`version` call asks the database itself."""
        return True

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            self._close()


class PostgresChangeFeed:
    """``LISTEN tokensmith_changes`` in a thread of its own, with a heartbeat (see the module
    docstring). The listener starts on the first :meth:`version` call, so a one-shot CLI
    command that never looks anything up never opens it."""

    def __init__(
        self,
        database: Database,
        *,
        heartbeat_seconds: float = 0.5,
        max_silence_seconds: float = 2.0,
        connect_timeout_seconds: int = 5,
    ) -> None:
        self._conninfo = _conninfo(database.engine, connect_timeout_seconds)
        self._heartbeat = heartbeat_seconds
        self._max_silence = max_silence_seconds
        self._lock = threading.Lock()
        self._version = 0
        #: ``time.monotonic()`` when the last heartbeat that came back was sent: every commit
        #: before then has been seen. ``None``: the channel is down.
        self._caught_up_at: float | None = None
        self._heartbeats = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        database.on_commit(self.note_commit)
        database.on_dispose(self.close)

    # -- what the caches ask -------------------------------------------------------------
    def version(self) -> int | None:
        if self._thread is None:
            self._start()
        caught_up = self._caught_up_at
        if caught_up is None or time.monotonic() - caught_up > self._max_silence:
            return None
        return self._version

    def sync(self, timeout: float) -> bool:
        if self._thread is None:
            self._start()
        start = time.monotonic()
        deadline = start + timeout
        with self._heartbeats:
            while (self._caught_up_at or -1.0) < start:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._heartbeats.wait(remaining)
        return True

    def _caught_up(self, since: float | None) -> None:
        with self._heartbeats:
            self._caught_up_at = since
            self._heartbeats.notify_all()

    def note_commit(self) -> None:
        """This process committed a write: move the version now (its own notification follows)."""
        self._move()

    def _move(self) -> None:
        with self._lock:
            self._version += 1

    # -- the listener thread -------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="tokensmith-change-feed", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(self._listen_forever())
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._task)
        finally:
            loop.close()

    async def _listen_forever(self) -> None:
        import psycopg  # the PostgreSQL driver; only imported where PostgreSQL is used

        retry = 0.05
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    sent = time.monotonic()
                    await asyncio.wait_for(conn.execute(f"LISTEN {CHANNEL}"), self._max_silence)
                    # Anything committed before LISTEN took effect was never notified to us:
                    # move the version, so nothing cached before now is served again.
                    self._move()
                    self._caught_up(sent)
                    if retry > 0.05:
                        log.info("change feed: listening again; the lookup cache is back in use")
                    retry = 0.05
                    while True:
                        async for _notification in conn.notifies(timeout=self._heartbeat):
                            self._move()
                        sent = time.monotonic()
                        await asyncio.wait_for(conn.execute("SELECT 1"), self._max_silence)
                        self._caught_up(sent)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: down until we listen again
                if self._caught_up_at is not None:
                    log.warning(
                        "change feed: lost the notification channel (%s); the lookup cache reads "
                        "through until it is back",
                        type(exc).__name__,
                    )
            self._caught_up(None)
            self._move()
            await asyncio.sleep(retry)
            retry = min(retry * 2, 2.0)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread, loop, task = self._thread, self._loop, self._task
        self._caught_up(None)
        if thread is None:
            return
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=5)


def _conninfo(engine: Engine, connect_timeout: int) -> str:
    """A libpq connection string for the engine's database, with keepalives and time-outs."""
    from psycopg.conninfo import make_conninfo

    _args, params = engine.dialect.create_connect_args(engine.url)
    params = {k: v for k, v in params.items() if v is not None and isinstance(v, str | int)}
    for name, value in {
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": 5000,
        "application_name": "tokensmith-change-feed",
    }.items():
        params.setdefault(name, value)
    return make_conninfo("", **params)


_FEEDS: weakref.WeakKeyDictionary[Database, ChangeFeed] = weakref.WeakKeyDictionary()
_FEEDS_LOCK = threading.Lock()


def change_feed(database: Database) -> ChangeFeed:
    """The database's one feed (made on first use; closed with the database)."""
    with _FEEDS_LOCK:
        feed = _FEEDS.get(database)
        if feed is None:
            feed = SQLiteChangeFeed(database) if database.is_embedded else PostgresChangeFeed(database)
            _FEEDS[database] = feed
        return feed
