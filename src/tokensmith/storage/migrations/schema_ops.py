"""The few shapes every migration writes, named once: columns, cascading foreign keys, a table
with its constraint names, indexes, added and dropped columns.

Names follow the naming convention of :data:`tokensmith.storage.table_base.metadata`
(``pk_<table>``, ``uq_<table>_<column>``, ``fk_<table>_<column>_<parent>``), so a migration
and the tables it creates agree. A migration that has been applied keeps its effect: these
helpers only spell what it did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


def column(
    name: str, type_: sa.types.TypeEngine[Any], *, nullable: bool = False, **kw: Any
) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable, **kw)


def string(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.String(length=length), nullable=nullable)


def text(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.Text(), nullable=nullable)


def time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return column(name, sa.DateTime(timezone=True), nullable=nullable)


def flag(name: str, *, default: bool = False) -> sa.Column[Any]:
    """A boolean that existing rows get as ``default`` (false unless told)."""
    return column(name, sa.Boolean(), server_default=sa.true() if default else sa.false())


def cascade(table: str, field: str, parent: str) -> sa.ForeignKeyConstraint:
    """``field`` refers to ``parent.id``; deleting the parent row deletes this one."""
    name = op.f(f"fk_{table}_{field}_{parent}")
    return sa.ForeignKeyConstraint([field], [f"{parent}.id"], name=name, ondelete="CASCADE")


def create(
    table: str,
    *elements: sa.Column[Any] | sa.ForeignKeyConstraint,
    primary_key: Sequence[str],
    unique: Sequence[str | tuple[str, ...]] = (),
    indexes: Mapping[str, list[str]] | None = None,
) -> None:
    """Create ``table``; a unique constraint over several columns is named after the first."""
    uniques = [(u,) if isinstance(u, str) else u for u in unique]
    op.create_table(
        table,
        *elements,
        sa.PrimaryKeyConstraint(*primary_key, name=op.f(f"pk_{table}")),
        *[sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{columns[0]}")) for columns in uniques],
    )
    if indexes:
        change_indexes(table, create=indexes)


def drop(table: str, *indexes: str) -> None:
    """Drop ``table`` after the named indexes on it."""
    if indexes:
        change_indexes(table, drop=indexes)
    op.drop_table(table)


def change_indexes(
    table: str, *, create: Mapping[str, list[str]] | None = None, drop: Sequence[str] = ()
) -> None:
    """Create the indexes named in ``create`` (name: columns), then drop those in ``drop``."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, columns in (create or {}).items():
            batch_op.create_index(name, columns, unique=False)
        for name in drop:
            batch_op.drop_index(name)


def add_columns(table: str, *columns: sa.Column[Any]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for added in columns:
            batch_op.add_column(added)


def drop_columns(table: str, *names: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)
