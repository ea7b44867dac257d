"""What every table module shares: one ``MetaData`` and its naming convention, UTC datetimes, cascades,
and the columns by which a row belongs to an organisation and a user."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cascade_fk(target: str) -> ForeignKey:
    """A foreign key whose rows go with the row they point at."""
    return ForeignKey(target, ondelete="CASCADE")


def org_id_column() -> Column[Any]:
    """``org_id``: the organisation a row belongs to (the row goes with it)."""
    return Column("org_id", String(36), cascade_fk("organizations.id"), nullable=False)


def user_id_column(*, nullable: bool = False) -> Column[Any]:
    """``user_id``: the user a row belongs to (the row goes with them); ``nullable`` where a row may
    belong to the organisation alone."""
    return Column("user_id", String(36), cascade_fk("users.id"), nullable=nullable)
