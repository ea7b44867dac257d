"""One page of a list: ``{"items": [...], "next_cursor": str | null}``; or a whole short list,
``{"items": [...]}``, where a door must answer with an object (an MCP tool's structured output)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class Listing(Protocol[S_co]):
    """A page as the services (or the SDK) hand it over."""

    @property
    def items(self) -> Sequence[S_co]: ...

    @property
    def next_cursor(self) -> str | None: ...


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None

    @classmethod
    def of(cls, item: Callable[[S], T], listing: Listing[S]) -> Page[T]:
        """The page of ``listing``, each item described by ``item`` (a wire model's ``of``)."""
        return cls(items=[item(entry) for entry in listing.items], next_cursor=listing.next_cursor)


class Items(BaseModel, Generic[T]):
    """A whole list, unpaged (a short one, like an organisation's webhook endpoints)."""

    items: list[T]

    @classmethod
    def of(cls, item: Callable[[S], T], records: Iterable[S]) -> Items[T]:
        return cls(items=[item(entry) for entry in records])
