"""Creating the database engine: every wait bounded, SQLite and PostgreSQL configured alike."""

from __future__ import annotations

import functools
import math
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool


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
