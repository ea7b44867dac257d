"""What every repository shares: a connection, and copying between rows and core records.

A core record (a frozen dataclass of :mod:`tokensmith.core.records`) names its fields after
its table's columns, so a row becomes a record, and a record the values of an insert, by
name; only what is stored differently is spelt out at the call (scopes as one space-separated
text, enums as their value).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Select, Table
from sqlalchemy.engine import Connection, RowMapping

R = TypeVar("R")


class Repository:
    """Storage of one area over the connection of the current unit of work."""

    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def first(self, query: Select[Any]) -> RowMapping | None:
        """The first row ``query`` finds, or ``None``."""
        return self.c.execute(query).mappings().first()


_FIELD_NAMES: dict[type[Any], frozenset[str]] = {}


def _field_names(cls: type[Any]) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


def record_from(cls: type[R], row: Mapping[str, Any] | RowMapping, **converted: Any) -> R:
    """A ``cls`` whose fields are the row's columns of the same names, but for ``converted``."""
    values = {name: row[name] for name in _field_names(cls) if name not in converted}
    return cls(**values, **converted)


def insert_values(record: object, table: Table, **converted: Any) -> dict[str, Any]:
    """The values that store ``record`` in ``table``: each column from the field of the same
    name, but for ``converted``."""
    names = _field_names(type(record))
    values = {c.name: getattr(record, c.name) for c in table.c if c.name in names and c.name not in converted}
    return values | converted


def scopes_text(scopes: frozenset[str]) -> str:
    """A scope set as stored: sorted, space-separated (RFC 6749 §3.3's ``scope``)."""
    return " ".join(sorted(scopes))


def scopes_from(text: str) -> frozenset[str]:
    return frozenset(text.split())


def like_literal(value: str) -> str:
    r"""Escape ``\``, ``%`` and ``_`` so a LIKE pattern (``escape="\"``) matches them literally."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
