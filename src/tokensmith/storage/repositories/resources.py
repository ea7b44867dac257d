"""The operator's resources (RFC 8707): rows keyed by id, unique by canonical URI."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping

from tokensmith.core.resources import Resource
from tokensmith.storage.repositories.rows import (
    Repository,
    insert_values,
    record_from,
    scopes_from,
    scopes_text,
)
from tokensmith.storage.tables import resources


def _resource(row: RowMapping) -> Resource:
    """A stored resource: never a built-in one."""
    return record_from(Resource, row, scopes=scopes_from(row["scopes"]), builtin=False)


class ResourceRepository(Repository):
    def insert(self, resource: Resource) -> None:
        """Raises ``IntegrityError`` when the URI is already registered."""
        self.c.execute(
            insert(resources).values(insert_values(resource, resources, scopes=scopes_text(resource.scopes)))
        )

    def get(self, resource_id: str) -> Resource | None:
        row = self.first(select(resources).where(resources.c.id == resource_id))
        return _resource(row) if row is not None else None

    def by_uri(self, uri: str) -> Resource | None:
        row = self.first(select(resources).where(resources.c.uri == uri))
        return _resource(row) if row is not None else None

    def all(self) -> list[Resource]:
        rows = self.c.execute(select(resources).order_by(resources.c.uri, resources.c.id)).mappings()
        return [_resource(row) for row in rows]

    def delete(self, resource_id: str) -> bool:
        return bool(self.c.execute(delete(resources).where(resources.c.id == resource_id)).rowcount)
