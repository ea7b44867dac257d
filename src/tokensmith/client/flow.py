"""The sans-I/O auth flow, and its two drivers: one for ``httpx.Client``, one for ``httpx.AsyncClient``.

httpx lets an ``Auth`` send requests of its own by yielding them from its flow (``Auth.auth_flow``), but
it asks any scheme that sleeps or locks to implement ``sync_auth_flow`` and ``async_auth_flow`` itself.
Rather than writing the token logic twice, it is written once as a generator of :data:`Step` values —
*send this request*, *sleep this long*, *take the lock*, *release it* — and the two drivers below turn
those steps into blocking or awaiting calls. Everything that decides *what* to do lives in the shared
generator; the drivers only decide *how* to wait.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import anyio
import httpx

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``request``; the driver sends the response back into the flow.

    ``read_body`` is set for the flow's own requests (discovery, token) whose JSON it parses; the
    caller's API response is left unread so ``client.stream(...)`` still streams.
    """

    request: httpx.Request
    read_body: bool = False


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` before the next step (retry backoff)."""

    seconds: float


class LockStep(enum.Enum):
    """Take or release the one lock that serialises token fetches."""

    ACQUIRE = "acquire"
    RELEASE = "release"


Step: TypeAlias = Send | Sleep | LockStep
#: A flow yields steps, receives the response after a :class:`Send` (``None`` otherwise), returns ``R``.
Flow: TypeAlias = Generator[Step, httpx.Response | None, R]


def exchange(request: httpx.Request, *, read_body: bool = True) -> Flow[httpx.Response]:
    """Send one request from inside a flow and return its response (``yield from exchange(...)``)."""
    response = yield Send(request, read_body=read_body)
    if response is None:  # pragma: no cover - a driver bug, never a server's doing
        raise RuntimeError("the auth flow driver sent no response")
    return response


class _Run:
    """One run of a flow under a driver: the steps it asks for, and whether the driver holds the lock.

    The driver sets :attr:`reply` to the response of each :class:`Send` before asking for the next step.
    Leaving the run closes the flow and releases the lock if a step took it and none gave it back.
    """

    def __init__(self, flow: Flow[None], release: Callable[[], None]) -> None:
        self._flow = flow
        self._release = release
        self._holds_lock = False
        self.reply: httpx.Response | None = None

    def steps(self) -> Generator[Step, None, None]:
        while True:
            reply, self.reply = self.reply, None
            try:
                step = self._flow.send(reply)
            except StopIteration:
                return
            if step is LockStep.RELEASE:
                self._holds_lock = False
            yield step
            if step is LockStep.ACQUIRE:
                self._holds_lock = True

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self._flow.close()
        if self._holds_lock:
            self._release()


def drive_sync(
    request: httpx.Request,
    make_flow: Callable[[httpx.Request], Flow[None]],
    *,
    lock: threading.Lock,
    sleep: Callable[[float], None],
) -> Generator[httpx.Request, httpx.Response, None]:
    """Run the flow for ``request`` as an ``httpx.Auth.sync_auth_flow``: block on the lock and in ``sleep``.

    The request body is read first so the request can be sent a second time (after a 401).
    """
    request.read()
    with _Run(make_flow(request), lock.release) as run:
        for step in run.steps():
            if isinstance(step, Send):
                run.reply = response = yield step.request
                if step.read_body:
                    response.read()
            elif isinstance(step, Sleep):
                sleep(step.seconds)
            elif step is LockStep.ACQUIRE:
                lock.acquire()
            else:
                lock.release()


async def drive_async(
    request: httpx.Request,
    make_flow: Callable[[httpx.Request], Flow[None]],
    *,
    lock: anyio.Lock,
    sleep: Callable[[float], Awaitable[None]],
) -> AsyncGenerator[httpx.Request, httpx.Response]:
    """Run the flow for ``request`` as an ``httpx.Auth.async_auth_flow``: await the lock and ``sleep``."""
    await request.aread()
    with _Run(make_flow(request), lock.release) as run:
        for step in run.steps():
            if isinstance(step, Send):
                run.reply = response = yield step.request
                if step.read_body:
                    await response.aread()
            elif isinstance(step, Sleep):
                await sleep(step.seconds)
            elif step is LockStep.ACQUIRE:
                await lock.acquire()
            else:
                lock.release()
