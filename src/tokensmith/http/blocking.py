"""Calling the (blocking) service layer from async handlers.

A call is first tried on the event loop with blocking forbidden
(:func:`tokensmith.storage.inline.call_inline`): a token request or bearer authentication
answered from the lookup cache does no I/O and costs less than the hop to a worker thread.
The moment a call would wait — any database transaction, a PostgreSQL read, a Redis round
trip — it is abandoned before waiting and run again, whole, in a worker thread, so a slow or
locked database never stalls the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from tokensmith.storage.database import Database
from tokensmith.storage.inline import WouldBlock, call_inline

P = ParamSpec("P")
R = TypeVar("R")


async def call_blocking(database: Database, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    try:
        return call_inline(func, *args, **kwargs)
    except WouldBlock:
        pass
    return await run_in_threadpool(func, *args, **kwargs)
