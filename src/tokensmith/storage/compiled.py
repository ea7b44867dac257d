"""Hot-path reads: a statement compiled once, run as one driver round trip per call.

SQLAlchemy compiles the statement for the engine's dialect and supplies every column's
result processor (timezones, booleans on SQLite…) once; each call then skips the Core
execution machinery, which costs several times the driver itself on SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from tokensmith.storage.database import Database


class CompiledQuery:
    """``query(**params) -> {column key: value} | None`` for a one-row ``Select``."""

    def __init__(self, database: Database, statement: Select[Any]) -> None:
        self._db = database
        dialect = database.engine.dialect
        compiled = statement.compile(dialect=dialect)
        self._sql = str(compiled)
        self._positional = compiled.positional
        self._order = list(compiled.positiontup or [])
        columns = list(statement.selected_columns)
        self._keys = [str(c.key) for c in columns]
        self._processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]

    def __call__(self, **params: Any) -> dict[str, Any] | None:
        bound: tuple[Any, ...] | dict[str, Any] = (
            tuple(params[name] for name in self._order) if self._positional else params
        )
        row = self._db.fetch_one(self._sql, bound)
        if row is None:
            return None
        return {
            key: (process(value) if process is not None else value)
            for key, process, value in zip(self._keys, self._processors, row, strict=True)
        }
