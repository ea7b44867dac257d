"""Running a service call on the event loop only while it needs no blocking I/O.

Most token-endpoint and bearer-authentication calls are answered from memory (the lookup
cache of :mod:`tokensmith.storage.change_feed`, an HMAC, a signature): for them the hop to a
worker thread costs more than the work, and under load it makes p99 latency hostage to the
thread pool. Any call that *would* wait — a database transaction, a network round trip, a
SQLite write that may queue behind another process's lock — must not run on the loop, or it
stalls every other request for as long as it waits.

:func:`call_inline` resolves both: it runs the call with blocking forbidden. Every place that
may block calls :func:`ensure_may_block` *before* it starts waiting; on the loop that raises
:class:`WouldBlock`, the attempt is abandoned, and the caller runs the whole call again in a
worker thread. For that to be safe, work done before the first blocking step must be
repeatable — reads, in-memory notes that a repeat overwrites — and nothing may be counted
before a step that can block (a failed authentication counts in memory and blocks nowhere
after; counted in Redis, it is sent to a thread before anything is counted).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_FORBIDDEN: ContextVar[bool] = ContextVar("tokensmith_blocking_forbidden", default=False)


class WouldBlock(BaseException):  # noqa: N818 - a signal, not an error
    """Raised where a call would start waiting while blocking is forbidden.

    A ``BaseException`` (like :class:`GeneratorExit`): it is control flow, and no broad
    ``except Exception`` on the way (one that keeps an audit failure from becoming a 500, say)
    may swallow it.
    """


def ensure_may_block() -> None:
    """Call before anything that may wait on I/O: raises :class:`WouldBlock` on the loop."""
    if _FORBIDDEN.get():
        raise WouldBlock


def call_inline(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``func(*args, **kwargs)`` with blocking forbidden; raises :class:`WouldBlock` if it must wait."""
    token = _FORBIDDEN.set(True)
    try:
        return func(*args, **kwargs)
    finally:
        _FORBIDDEN.reset(token)
