"""Calling the (blocking) service layer from async handlers.

On embedded SQLite a service call is a local, sub-millisecond read or write: running it
inline costs less than the hop to a worker thread (which also makes p99 latency hostage to
the thread pool under load). On a network database the call may wait on I/O, so it runs in
a worker thread and the event loop keeps serving other requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from tokensmith.storage.database import Database

P = ParamSpec("P")
R = TypeVar("R")


async def call_blocking(database: Database, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    if database.is_embedded:
        return func(*args, **kwargs)
    return await run_in_threadpool(func, *args, **kwargs)
