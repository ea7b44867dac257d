"""The operator's resources (RFC 8707): rows keyed by id, unique by canonical URI."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping

from tokensmith.core.resources import Resource
from tokensmith.storage.repositories.rows import Repository, scopes_from, scopes_text
from tokensmith.storage.tables import resources


def _resource(row: RowMapping) -> Resource:
    return Resource(
        id=row["id"],
        name=row["name"],
        uri=row["uri"],
        scopes=scopes_from(row["scopes"]),
        created_at=row["created_at"],
    )


class ResourceRepository(Repository):
    def insert(self, resource: Resource) -> None:
        """Raises ``IntegrityError`` when the URI is already registered."""
        self.c.execute(
            insert(resources).values(
                id=resource.id,
                name=resource.name,
                uri=resource.uri,
                scopes=scopes_text(resource.scopes),
                created_at=resource.created_at,
            )
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
