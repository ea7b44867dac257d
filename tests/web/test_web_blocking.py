"""The deadline of a worker-thread hop (``run_in_worker``): a stalled call answers
StorageUnavailable, its thread is counted until it ends, and past the cap calls fail at once."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator

import anyio
import pytest

from tokensmith.core.errors import StorageUnavailable
from tokensmith.storage.database import Database
from tokensmith.storage.engine import create_database_engine
from tokensmith.web.blocking import call_blocking, run_in_worker


@pytest.fixture
def database() -> Iterator[Database]:
    db = Database(create_database_engine("sqlite://"), timeout_seconds=0.2, max_abandoned=2)
    yield db
    db.dispose()


def test_a_call_within_its_deadline_returns_its_value(database: Database) -> None:
    assert anyio.run(run_in_worker, database, lambda: 42) == 42


def test_a_stalled_call_is_abandoned_counted_until_it_ends_and_the_cap_fails_fast(database: Database) -> None:
    release = threading.Event()
    ended: list[bool] = []

    def stalled() -> None:
        release.wait(30)
        ended.append(True)

    async def main() -> None:
        for _ in range(2):
            with pytest.raises(StorageUnavailable):
                await run_in_worker(database, stalled)
        assert database.saturated  # two abandoned threads still running: the cap
        ran: list[bool] = []
        with pytest.raises(StorageUnavailable):
            await run_in_worker(database, lambda: ran.append(True))
        assert ran == []  # failed without starting a thread
        release.set()
        with anyio.fail_after(30):
            while database.saturated or len(ended) < 2:
                await anyio.sleep(0.01)
        assert await run_in_worker(database, lambda: "again") == "again"

    anyio.run(main)


def test_a_call_whose_deadline_passes_before_a_thread_is_free_never_runs(database: Database) -> None:
    release = threading.Event()
    ran: list[bool] = []

    async def main() -> None:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = 1
        async with anyio.create_task_group() as group:
            occupy = functools.partial(run_in_worker, database, lambda: release.wait(30), seconds=30)
            group.start_soon(occupy)  # the only worker thread
            await anyio.sleep(0.05)
            with pytest.raises(StorageUnavailable):
                await run_in_worker(database, lambda: ran.append(True))
            release.set()
        await anyio.sleep(0.1)

    anyio.run(main)
    assert ran == []


def test_sqlite_calls_run_inline(database: Database) -> None:
    async def main() -> int:
        return await call_blocking(database, threading.get_ident)

    assert anyio.run(main) == threading.get_ident()
