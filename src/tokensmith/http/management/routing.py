"""The shapes every management route shares, written once.

A route parses its input, calls one service method off the event loop (:func:`call`) and
describes what it answers: a record, a page (:func:`paged`), or ``204 No Content`` after a
deletion (:func:`deleted`). :func:`creates` and :func:`deletes` are the decorators of the two
status codes those routes document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi import APIRouter, Response

from tokensmith.core.actors import Actor
from tokensmith.http.management.pagination import PageParams
from tokensmith.http.management.problems import problems
from tokensmith.services.container import Services
from tokensmith.web.blocking import call_blocking
from tokensmith.wire.page import Listing, Page

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
T = TypeVar("T")
Route = Callable[..., Any]


async def call(services: Services, method: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``method(*args, **kwargs)``, run where it may block (see :mod:`tokensmith.web.blocking`)."""
    return await call_blocking(services.database, method, *args, **kwargs)


async def deleted(
    services: Services, method: Callable[P, object], *args: P.args, **kwargs: P.kwargs
) -> Response:
    """Run the deletion, answer ``204 No Content``."""
    await call_blocking(services.database, method, *args, **kwargs)
    return Response(status_code=204)


async def paged(
    services: Services,
    item: Callable[[S], T],
    method: Callable[..., Listing[S]],
    actor: Actor,
    page: PageParams,
    *args: Any,
    **filters: Any,
) -> Page[T]:
    """One page of ``method``'s listing (``cursor`` and ``limit`` from ``page``), each item
    described by ``item``."""
    listing = await call_blocking(
        services.database, method, actor, *args, cursor=page.cursor, limit=page.limit, **filters
    )
    return Page.of(item, listing)


def creates(
    router: APIRouter, path: str, model: type[Any], summary: str, *conflicts: int
) -> Callable[[Route], Route]:
    """``POST path`` answering ``201`` with ``model``; ``conflicts``: the problem statuses it documents."""
    return router.post(path, status_code=201, response_model=model, **_described(summary, conflicts))


def deletes(router: APIRouter, path: str, summary: str, *conflicts: int) -> Callable[[Route], Route]:
    """``DELETE path`` answering ``204 No Content``; ``conflicts``: the problem statuses it documents."""
    return router.delete(path, status_code=204, response_class=Response, **_described(summary, conflicts))


def _described(summary: str, conflicts: tuple[int, ...]) -> dict[str, Any]:
    return {"responses": problems(*conflicts) if conflicts else None, "summary": summary}
