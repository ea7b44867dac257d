"""The database: the engine plus one way to run a unit of work, with storage failures as
:class:`~tokensmith.core.errors.StorageUnavailable` and stalled calls abandoned."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from tokensmith.core.errors import StorageUnavailable
from tokensmith.storage.engine import DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT_SECONDS
from tokensmith.storage.inline import ensure_may_block
from tokensmith.storage.observer import NO_OBSERVER, StorageObserver

_WROTE = "tokensmith_wrote"


def _note_write(
    connection: Connection, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    """Engine event: mark the connection when a statement inserted, updated or deleted."""
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        connection.info[_WROTE] = True


class Database:
    """The engine plus one way to run a unit of work.

    Storage failures (server down, connection refused, a timeout) surface as
    :class:`~tokensmith.core.errors.StorageUnavailable`, so no adapter needs to know
    SQLAlchemy to answer 503.

    Abandoned calls: a blocking call that outlives its deadline
    (:func:`tokensmith.web.blocking.run_in_worker`) cannot be killed. :meth:`abandon`
    shuts down the socket of every connection its thread has checked out, so the blocked
    read fails at once, SQLAlchemy invalidates that connection (a disconnect error) and the
    thread ends; no stalled connection goes back to the pool. Threads that are still
    finishing are counted, and past ``max_abandoned`` of them :attr:`saturated` tells callers
    to fail at once rather than start more threads.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_abandoned: int = DEFAULT_POOL_SIZE + DEFAULT_MAX_OVERFLOW,
    ) -> None:
        self.engine = engine
        #: The deadline of one blocking call (settings: ``database_timeout_seconds``).
        self.timeout_seconds = timeout_seconds
        #: Told of lookup-cache hits and misses and of calls that failed as unavailable (metrics).
        self.observer: StorageObserver = NO_OBSERVER
        self._on_dispose: list[Callable[[], None]] = []
        self._on_commit: list[Callable[[], None]] = []
        event.listen(engine, "after_cursor_execute", _note_write)
        self._lock = threading.Lock()
        self._max_abandoned = max_abandoned
        self._abandoned = 0
        #: checked-out connection record → (thread id, DBAPI connection)
        self._checked_out: dict[Any, tuple[int, Any]] = {}
        if not self.is_embedded:
            event.listen(engine, "checkout", self._on_checkout)
            event.listen(engine, "checkin", self._on_checkin)
            event.listen(engine, "detach", self._on_checkin)  # a connection taken out of the pool

    @property
    def pool_size(self) -> int:
        """Connections the pool keeps (its overflow aside)."""
        size = getattr(self.engine.pool, "size", None)
        return int(size()) if callable(size) else 1

    @property
    def is_embedded(self) -> bool:
        """True for SQLite: calls are local and sub-millisecond (no network to wait on)."""
        return self.engine.dialect.name == "sqlite"

    # abandoned calls -------------------------------------------------------------

    def _on_checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        with self._lock:
            self._checked_out[record] = (threading.get_ident(), dbapi_connection)

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        with self._lock:
            self._checked_out.pop(record, None)

    @property
    def saturated(self) -> bool:
        """Too many abandoned calls are still finishing: fail new calls at once."""
        return self._abandoned >= self._max_abandoned

    def abandon(self, thread_id: int) -> None:
        """The call running in ``thread_id`` passed its deadline: abort its connections.

        Pair with :meth:`abandoned_call_ended` when the thread finally returns.
        """
        with self._lock:
            self._abandoned += 1
            stalled = [dbapi for thread, dbapi in self._checked_out.values() if thread == thread_id]
        for dbapi_connection in stalled:
            _shut_down(dbapi_connection)

    def abandoned_call_ended(self) -> None:
        with self._lock:
            self._abandoned -= 1

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A unit of work: committed when the block ends, rolled back if it raises.

        It may wait (a network round trip, a lock held by another process), so it never runs
        on the event loop (:func:`~tokensmith.storage.inline.ensure_may_block`). After a commit
        that wrote something, the :meth:`on_commit` hooks run.
        """
        ensure_may_block()
        wrote = False
        try:
            with self.engine.begin() as connection:
                try:
                    yield connection
                finally:
                    # An invalidated connection (cut mid-statement) raises PendingRollbackError on
                    # any use, which would hide the disconnect below; its work is lost anyway.
                    wrote = not connection.invalidated and bool(connection.info.pop(_WROTE, False))
        except (OperationalError, InterfaceError) as exc:
            raise self.unavailable(type(exc).__name__) from None
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise self.unavailable(type(exc).__name__) from None
            raise
        if wrote:
            for hook in self._on_commit:
                hook()

    def fetch_one(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
        """One row of already-compiled SQL, on a pooled DBAPI connection.

        For the token endpoint's hot path: it skips the Core execution machinery (about
        four times the driver's own cost on SQLite). Driver errors that mean "cannot reach
        the database" become :class:`StorageUnavailable`, as in :meth:`transaction`. A read of
        embedded SQLite never waits for a lock (WAL), so it may run on the event loop; a network
        database's may not.
        """
        if not self.is_embedded:
            ensure_may_block()
        dbapi = self.engine.dialect.loaded_dbapi
        try:
            connection = self.engine.raw_connection()
        except (OperationalError, InterfaceError, dbapi.OperationalError, dbapi.InterfaceError) as exc:
            raise self.unavailable(type(exc).__name__) from None
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, params)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except (dbapi.OperationalError, dbapi.InterfaceError) as exc:
            if self.engine.dialect.is_disconnect(exc, connection.dbapi_connection, None):
                # As SQLAlchemy's Connection does on a disconnect: every connection opened
                # before now is stale (a server restart), not only this one.
                self.engine.pool._invalidate(connection, exc)
            else:
                connection.invalidate()
            raise self.unavailable(type(exc).__name__) from None
        finally:
            connection.close()
        return tuple(row) if row is not None else None

    def unavailable(self, cause: str, detail: str = "") -> StorageUnavailable:
        """The error for a call that could not reach the database, counted by the observer
        under ``cause`` (a driver error's class name, ``deadline`` or ``saturated``)."""
        self.observer.storage_error(cause)
        return StorageUnavailable(detail=detail or cause)

    def ping(self) -> None:
        with self.transaction() as connection:
            connection.execute(text("SELECT 1"))

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` after each transaction of this process that wrote and committed."""
        self._on_commit.append(hook)

    def on_dispose(self, close: Callable[[], None]) -> None:
        """Close something tied to this database (a connection outside the pool) with it."""
        self._on_dispose.append(close)

    def dispose(self) -> None:
        for close in self._on_dispose:
            close()
        self._on_dispose.clear()
        self.engine.dispose()


def _shut_down(dbapi_connection: Any) -> None:
    """Shut the socket under a DBAPI connection down, from any thread.

    The thread blocked reading it wakes with end-of-file and the driver reports a broken
    connection (a disconnect error). Closing it here instead would race the driver.
    """
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - already closed: nothing to wake
        return
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
