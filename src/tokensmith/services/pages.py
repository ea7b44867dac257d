"""What reading credentials, personal tokens and members shares: keyset pages, and (credentials
and personal tokens) the last use noted in memory but not yet written (:class:`ManagedRecords`,
one per service).

Last uses are noted by :class:`~tokensmith.services.usage.UsageRecorder` and written every few
seconds, so a record read from the database may be behind this process's own knowledge; every
record a service hands out has the newer of the two (:class:`PendingUse`). Pages are keyset
pages by id: the repository reads ``limit + 1`` rows after the cursor, and the extra row only
says that there is a next page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection

from tokensmith.core.records import Credential, PersonalTokenRecord
from tokensmith.services.usage import UsageRecorder
from tokensmith.storage.database import Database

T = TypeVar("T")
R = TypeVar("R", Credential, PersonalTokenRecord)
Repo = TypeVar("Repo")
#: The uses noted in memory, by record id: when, and from which address.
Uses = dict[str, tuple[datetime, str | None]]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def keyset_page(rows: list[T], limit: int, cursor_of: Callable[[T], str]) -> Page[T]:
    """``rows`` as read with ``limit + 1``: the first ``limit`` of them, and the cursor of the next
    page (``None`` on the last one), the ``cursor_of`` its last record."""
    return Page(rows[:limit], cursor_of(rows[limit - 1]) if len(rows) > limit else None)


def every(read: Callable[[str | None], Page[R]]) -> list[R]:
    """Every record ``read`` pages through, from the first page (cursor ``None``) to the last:
    for a view that searches, filters or sorts the whole list, which one page would cut short."""
    found: list[R] = []
    cursor: str | None = None
    while True:
        page = read(cursor)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


class PendingUse:
    """Lays the last uses of one usage kind, noted in memory and not yet written, over records."""

    def __init__(self, usage: UsageRecorder, kind: str) -> None:
        self._usage = usage
        self._kind = kind

    def __call__(self, record: R) -> R:
        pending = self._usage.pending(self._kind, record.id)
        if pending and (record.last_used_at is None or pending > record.last_used_at):
            return replace(record, last_used_at=pending)
        return record

    def page(self, rows: list[R], limit: int) -> Page[R]:
        """``rows`` as read with ``limit + 1``: the first ``limit`` of them, each with its pending
        use, and the cursor of the next page (``None`` on the last one)."""
        page = keyset_page(rows, limit, lambda r: r.id)
        return replace(page, items=[self(r) for r in page.items])


class ManagedRecords(PendingUse, Generic[Repo]):
    """One service's records as it hands them out: each read in one transaction through its
    repository, with its pending use laid over, and lists in keyset pages. Registers the
    repository's writer of noted uses (``write_uses``) with the usage recorder."""

    def __init__(
        self,
        database: Database,
        usage: UsageRecorder,
        kind: str,
        repository: Callable[[Connection], Repo],
        write_uses: Callable[[Repo, Uses], None],
    ) -> None:
        super().__init__(usage, kind)
        self._db = database
        self._repository = repository
        usage.register(kind, lambda connection, uses: write_uses(repository(connection), uses))

    def one(self, find: Callable[[Repo], R]) -> R:
        """The record ``find`` reads (or refuses), in one transaction, with its pending use."""
        with self._db.transaction() as connection:
            record = find(self._repository(connection))
        return self(record)

    def rows(self, read: Callable[[Repo, int], list[R]], limit: int) -> list[R]:
        """The rows ``read(repo, limit + 1)`` reads in one transaction: what :meth:`page` takes."""
        with self._db.transaction() as connection:
            return read(self._repository(connection), limit + 1)

    def read_page(self, read: Callable[[Repo, int], list[R]], limit: int) -> Page[R]:
        """The page of at most ``limit`` records after the cursor that ``read`` applies."""
        return self.page(self.rows(read, limit), limit)
