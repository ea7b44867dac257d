"""Engine creation and schema migrations (Alembic)."""

from __future__ import annotations

import functools
import logging
import math
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from filelock import FileLock
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import StaticPool

from tokensmith.core.errors import StorageUnavailable
from tokensmith.storage.inline import ensure_may_block

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and pick the psycopg 3 driver."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


#: Connections per process when the caller does not say (``TOKENSMITH_DATABASE_POOL_SIZE``).
DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_OVERFLOW = 20
#: The bound on every database wait when the caller does not say (seconds).
DEFAULT_TIMEOUT_SECONDS = 5.0
#: ``pg_advisory_lock`` key that serialises migrations and bootstrap across processes
#: (the ASCII of "tokensmt"; advisory locks are scoped to the database).
BOOTSTRAP_LOCK_KEY = 0x746F6B656E736D74


def create_database_engine(
    url: str,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
) -> Engine:
    """An engine whose every wait is bounded by ``timeout_seconds``.

    PostgreSQL (libpq parameters, PostgreSQL docs §34.1.2 and §20.11): ``connect_timeout``;
    TCP keepalives and ``tcp_user_timeout`` (a peer that vanished is noticed by the kernel);
    server-side ``statement_timeout``, ``lock_timeout`` and
    ``idle_in_transaction_session_timeout`` (so a stalled client cannot hold locks); the
    pool's checkout ``pool_timeout``. A server that accepts bytes and never answers defeats
    all of these (its kernel still ACKs): the deadline of
    :func:`tokensmith.web.blocking.run_in_worker` covers that case.

    No ``pool_pre_ping``: it costs a round trip on every checkout. After a PostgreSQL
    restart the first statement on a stale connection fails with a disconnect error,
    SQLAlchemy then invalidates the whole pool, and that one request answers 503 with
    ``Retry-After`` (the next ones reconnect).

    SQLite: the busy wait for another process's lock is ``timeout_seconds`` too; then
    "database is locked" surfaces as :class:`StorageUnavailable` (503).
    """
    url = normalise_url(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": timeout_seconds}
    else:
        kwargs.update(
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=timeout_seconds,
            pool_recycle=1800,
            pool_pre_ping=False,
        )
        kwargs["connect_args"] = postgres_connect_args(url, timeout_seconds)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        busy_ms = max(1, int(timeout_seconds * 1000))
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_ms=busy_ms))
        event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_begin_immediate(connection: Connection) -> None:
    """Every SQLite transaction takes the write lock when it begins (``BEGIN IMMEDIATE``).

    A deferred transaction that reads, then writes, cannot take the lock if another connection
    committed meanwhile: SQLite answers ``SQLITE_BUSY`` at once, without the busy wait, and
    concurrent writers (two processes, or worker threads) would fail instead of queueing. Taken
    up front, the lock is waited for (at most the busy timeout). Reads outside transactions —
    the hot-path lookups and the change feed — take no lock at all (WAL).
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def postgres_connect_args(url: str, timeout_seconds: float) -> dict[str, Any]:
    """libpq connection parameters bounding every wait by ``timeout_seconds``.

    ``options`` given in the URL are kept; ours come after them only for the settings the
    URL does not set.
    """
    seconds = max(1, math.ceil(timeout_seconds))
    ms = max(1, int(timeout_seconds * 1000))
    given = str(make_url(url).query.get("options", ""))
    server = {
        "statement_timeout": ms,
        "lock_timeout": ms,
        # A client that went silent mid-transaction releases its locks after a while.
        "idle_in_transaction_session_timeout": 6 * ms,
    }
    options = [given] if given else []
    options += [f"-c {name}={value}" for name, value in server.items() if name not in given]
    return {
        "connect_timeout": max(2, seconds),  # libpq treats less than 2 as 2
        "keepalives": 1,
        "keepalives_idle": seconds,
        "keepalives_interval": max(1, seconds // 3),
        "keepalives_count": 3,
        "tcp_user_timeout": ms,
        "options": " ".join(options),
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    # The driver's own implicit BEGIN off: transactions begin as _sqlite_begin_immediate says.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, *, then: Callable[[], None] | None = None) -> None:
    """Bring the schema to the newest revision (idempotent), then run ``then`` (the
    signing-key bootstrap), both under :func:`bootstrap_lock`: processes that boot at the
    same instant on an empty database take turns instead of racing to create the schema."""
    config = alembic_config(engine)
    with bootstrap_lock(engine):
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                # A migration may rewrite a large table: not a stall.
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        if then is not None:
            then()


@contextmanager
def bootstrap_lock(engine: Engine) -> Iterator[None]:
    """Hold the deployment-wide bootstrap lock.

    PostgreSQL: a session-level ``pg_advisory_lock`` (PostgreSQL docs §9.28.10) on a
    dedicated autocommit connection, which is closed afterwards (a process that dies while
    holding it releases it with its connection). SQLite: an OS file lock on
    ``<database file>.lock`` (the ``filelock`` library). In-memory SQLite needs none.
    Waiting for another process's migration is deliberately unbounded.
    """
    if engine.dialect.name == "sqlite":
        path = make_url(str(engine.url)).database
        if not path or path == ":memory:":
            yield
            return
        with FileLock(f"{path}.lock"):
            yield
        return
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        connection.exec_driver_sql("SET statement_timeout = 0")
        connection.exec_driver_sql("SET lock_timeout = 0")
        key = {"key": BOOTSTRAP_LOCK_KEY}
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
            log.info("waiting for another process to finish migrating the database")
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
        yield
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
    finally:
        connection.invalidate()  # never back to the pool with our session settings
        connection.close()


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
                    wrote = bool(connection.info.pop(_WROTE, False))
        except (OperationalError, InterfaceError) as exc:
            raise StorageUnavailable(detail=type(exc).__name__) from None
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StorageUnavailable(detail=type(exc).__name__) from None
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
            raise StorageUnavailable(detail=type(exc).__name__) from None
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
            raise StorageUnavailable(detail=type(exc).__name__) from None
        finally:
            connection.close()
        return tuple(row) if row is not None else None

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
