"""Signing keys (private parts already encrypted by the service)."""

from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping

from tokensmith.core.records import SigningKeyRecord
from tokensmith.storage.repositories.rows import Repository, insert_values, record_from
from tokensmith.storage.tables import signing_keys


def _key(row: RowMapping) -> SigningKeyRecord:
    return record_from(SigningKeyRecord, row, public_jwk=dict(row["public_jwk"]))


class SigningKeyRepository(Repository):
    def all(self, *, for_update: bool = False) -> list[SigningKeyRecord]:
        """Every key, oldest first; ``for_update`` locks the rows (PostgreSQL) until commit."""
        query = select(signing_keys).order_by(signing_keys.c.generation)
        if for_update:
            query = query.with_for_update()
        return [_key(r) for r in self.c.execute(query).mappings()]

    def replace_encryption(self, kid: str, old_blob: str, new_blob: str, master_key_id: str) -> bool:
        """Store ``new_blob`` if the row still holds ``old_blob`` (so a concurrent run is a no-op)."""
        result = self.c.execute(
            update(signing_keys)
            .where(signing_keys.c.kid == kid, signing_keys.c.private_key == old_blob)
            .values(private_key=new_blob, master_key_id=master_key_id)
        )
        return result.rowcount == 1

    def max_generation(self) -> int:
        value = self.c.execute(select(func.max(signing_keys.c.generation))).scalar()
        return int(value) if value is not None else 0

    def by_generation(self, generation: int) -> SigningKeyRecord | None:
        row = self.first(select(signing_keys).where(signing_keys.c.generation == generation))
        return _key(row) if row else None

    def insert(self, key: SigningKeyRecord) -> None:
        """Raises IntegrityError if another process took this generation first."""
        self.c.execute(insert(signing_keys).values(insert_values(key, signing_keys)))
