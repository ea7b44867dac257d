"""Calling the (blocking) service layer from async handlers.

A call is first tried on the event loop with blocking forbidden
(:func:`tokensmith.storage.inline.call_inline`): a token request or bearer authentication
answered from the lookup cache does no I/O and costs less than the hop to a worker thread
(which would also make p99 latency hostage to the thread pool under load). The moment a call
would wait — any database transaction, a PostgreSQL read, a Redis round trip — it is
abandoned before waiting and run again, whole, in a worker thread, so a slow or locked
database never stalls the event loop.

Every hop to a worker thread has a deadline (:func:`run_in_worker`): a database that
accepts bytes and never answers (its kernel still ACKs, so no TCP timeout fires) makes the
request fail with :class:`~tokensmith.core.errors.StorageUnavailable` (503 +
``Retry-After``) after ``Database.timeout_seconds``, even when it already holds a pooled
connection. The stalled thread is abandoned and its connections aborted
(:meth:`Database.abandon`), so it ends soon and the pool gets fresh connections.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from tokensmith.storage.database import Database
from tokensmith.storage.inline import WouldBlock, call_inline

P = ParamSpec("P")
R = TypeVar("R")


async def call_blocking(database: Database, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    try:
        return call_inline(func, *args, **kwargs)
    except WouldBlock:
        pass
    return await run_in_worker(database, functools.partial(func, *args, **kwargs))


async def run_in_worker(database: Database, func: Callable[[], R], *, seconds: float | None = None) -> R:
    """``func()`` in a worker thread, or :class:`StorageUnavailable` after ``seconds``
    (default ``database.timeout_seconds``)."""
    if database.saturated:
        raise database.unavailable("saturated", "too many stalled database calls")
    call = _Call(func, database)
    with anyio.move_on_after(database.timeout_seconds if seconds is None else seconds):
        return await anyio.to_thread.run_sync(call.run, abandon_on_cancel=True, limiter=_limiter(database))
    call.give_up()
    raise database.unavailable("deadline", "database call passed its deadline")


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, anyio.CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


def _limiter(database: Database) -> anyio.CapacityLimiter:
    """At most as many worker calls at a time as the database's pool holds connections (per
    event loop): under load, requests wait for a thread (within their deadline) instead of
    opening overflow connections that are closed again as soon as they are returned."""
    per_loop = _LIMITERS.setdefault(asyncio.get_running_loop(), {})
    limiter = per_loop.get(id(database))
    if limiter is None:
        limiter = per_loop[id(database)] = anyio.CapacityLimiter(database.pool_size)
    return limiter


class _Call(Generic[R]):
    """One call handed to a worker thread: queued → running → done, or given up on."""

    def __init__(self, func: Callable[[], R], database: Database) -> None:
        self._func = func
        self._database = database
        self._lock = threading.Lock()
        self._state = "queued"
        self._thread = 0

    def run(self) -> R:
        with self._lock:
            if self._state == "dropped":  # its deadline passed before a thread was free
                raise self._database.unavailable("deadline", "database call passed its deadline")
            self._state, self._thread = "running", threading.get_ident()
        try:
            return self._func()
        finally:
            with self._lock:
                if self._state == "abandoned":
                    self._database.abandoned_call_ended()
                self._state = "done"

    def give_up(self) -> None:
        with self._lock:
            if self._state == "queued":
                self._state = "dropped"
            elif self._state == "running":
                self._state = "abandoned"
                self._database.abandon(self._thread)
