"""Engine creation and schema migrations (Alembic)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
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


def create_database_engine(url: str) -> Engine:
    url = normalise_url(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800)
        kwargs["connect_args"] = {"connect_timeout": 5}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_WROTE = "tokensmith_wrote"


def _note_write(
    connection: Connection, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    """Engine event: mark the connection when a statement inserted, updated or deleted."""
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        connection.info[_WROTE] = True


class Database:
    """The engine plus one way to run a unit of work.

    Storage failures (server down, connection refused) surface as
    :class:`~tokensmith.core.errors.StorageUnavailable`, so no adapter needs to know
    SQLAlchemy to answer 503.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._on_dispose: list[Callable[[], None]] = []
        self._on_commit: list[Callable[[], None]] = []
        event.listen(engine, "after_cursor_execute", _note_write)

    @property
    def is_embedded(self) -> bool:
        """True for SQLite: calls are local and sub-millisecond (no network to wait on)."""
        return self.engine.dialect.name == "sqlite"

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
