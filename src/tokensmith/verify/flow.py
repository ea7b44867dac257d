"""Sans-I/O flows: verification logic written once, driven by a sync or an async HTTP client.

A flow is a generator that yields the :class:`httpx.Request` it needs sent and receives the
:class:`httpx.Response` (the same pattern as ``httpx.Auth.auth_flow``). Transport failures are thrown
into the flow as :class:`VerifierUnavailableError`, so a flow may fall back to cached state.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Generic, TypeVar

import httpx

from tokensmith.verify.errors import VerifierUnavailableError

__all__ = ["MAX_RESPONSE_BYTES", "Flow", "json_object", "run_async", "run_sync"]

T = TypeVar("T")
Flow = Generator[httpx.Request, httpx.Response, T]

#: Discovery documents, key sets and introspection answers are small; anything bigger is refused.
MAX_RESPONSE_BYTES = 1_000_000


def _unreachable(request: httpx.Request, exc: httpx.HTTPError) -> VerifierUnavailableError:
    return VerifierUnavailableError(
        "The authorization server could not be reached.",
        detail=f"{request.method} {request.url}: {type(exc).__name__}",
    )


class _Exchange(Generic[T]):
    """A flow under a driver: iterate it for the requests to send, setting :attr:`outcome` to each one's
    response (or transport failure) before the next; :attr:`result` is the flow's, once it is done."""

    def __init__(self, flow: Flow[T]) -> None:
        self._flow = flow
        self.outcome: httpx.Response | httpx.HTTPError

    def __iter__(self) -> Iterator[httpx.Request]:
        try:
            request = next(self._flow)
            while True:
                yield request
                outcome = self.outcome
                if isinstance(outcome, httpx.HTTPError):
                    request = self._flow.throw(_unreachable(request, outcome))
                else:
                    request = self._flow.send(outcome)
        except StopIteration as stop:
            self.result: T = stop.value


def run_sync(flow: Flow[T], client: httpx.Client) -> T:
    """Drive ``flow`` to completion with a blocking client."""
    exchange = _Exchange(flow)
    for request in exchange:
        try:
            exchange.outcome = client.send(request)
        except httpx.HTTPError as exc:
            exchange.outcome = exc
    return exchange.result


async def run_async(flow: Flow[T], client: httpx.AsyncClient) -> T:
    """Drive ``flow`` to completion with an async client."""
    exchange = _Exchange(flow)
    for request in exchange:
        try:
            exchange.outcome = await client.send(request)
        except httpx.HTTPError as exc:
            exchange.outcome = exc
    return exchange.result


def json_object(response: httpx.Response, what: str) -> dict[str, object]:
    """The response's JSON object body, or :class:`VerifierUnavailableError`."""
    where = f"{response.request.method} {response.request.url} -> {response.status_code}"
    if response.status_code != 200:
        raise VerifierUnavailableError(f"The authorization server's {what} is unavailable.", detail=where)
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise VerifierUnavailableError(f"The authorization server's {what} is too large.", detail=where)
    try:
        body = response.json()
    except ValueError:
        raise VerifierUnavailableError(
            f"The authorization server's {what} is not JSON.", detail=where
        ) from None
    if not isinstance(body, dict):
        raise VerifierUnavailableError(
            f"The authorization server's {what} is not a JSON object.", detail=where
        )
    return body
