"""Schema migrations (Alembic), serialised across processes by the bootstrap lock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from filelock import FileLock
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"

#: ``pg_advisory_lock`` key that serialises migrations and bootstrap across processes
#: (the ASCII of "tokensmt"; advisory locks are scoped to the database).
BOOTSTRAP_LOCK_KEY = 0x746F6B656E736D74


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
