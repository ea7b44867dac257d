"""List pagination for the management API: ``?limit=1..200`` (default 50) and an opaque ``cursor``;
answers are :class:`tokensmith.wire.page.Page`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: Printable, no control characters (a NUL would reach the database).
SAFE_TEXT = r"^[^\x00-\x1f\x7f]*$"


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=SAFE_TEXT, description="`next_cursor` of the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor or None)


PageDep = Annotated[PageParams, Depends(page_params)]
