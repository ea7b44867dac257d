"""Issued-token state: opaque access tokens and revoked JWT ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from tokensmith.core.records import AccessTokenRecord, SubjectKind
from tokensmith.storage.repositories.rows import (
    Repository,
    insert_values,
    record_from,
    scopes_from,
    scopes_text,
)
from tokensmith.storage.tables import access_tokens, revoked_tokens


def _access_token(row: RowMapping) -> AccessTokenRecord:
    return record_from(
        AccessTokenRecord,
        row,
        subject_kind=SubjectKind(row["subject_kind"]),
        scopes=scopes_from(row["scopes"]),
    )


class AccessTokenRepository(Repository):
    def insert(self, record: AccessTokenRecord) -> None:
        values = insert_values(
            record, access_tokens, subject_kind=record.subject_kind.value, scopes=scopes_text(record.scopes)
        )
        self.c.execute(insert(access_tokens).values(values))

    def by_hashes(self, hashes: list[str]) -> AccessTokenRecord | None:
        row = self.first(select(access_tokens).where(access_tokens.c.token_hash.in_(hashes)))
        return _access_token(row) if row is not None else None

    def delete_by_hash(self, token_hash: str) -> None:
        self.c.execute(delete(access_tokens).where(access_tokens.c.token_hash == token_hash))

    def revoke_jti(self, jti: str, expires_at: datetime, now: datetime) -> None:
        try:
            with self.c.begin_nested():
                self.c.execute(insert(revoked_tokens).values(jti=jti, expires_at=expires_at, revoked_at=now))
        except IntegrityError:
            pass  # already revoked

    def is_revoked(self, jti: str) -> bool:
        return (
            self.c.execute(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)).first()
            is not None
        )

    def purge_expired(self, now: datetime) -> int:
        removed = self.c.execute(delete(access_tokens).where(access_tokens.c.expires_at < now)).rowcount
        removed += self.c.execute(delete(revoked_tokens).where(revoked_tokens.c.expires_at < now)).rowcount
        return int(removed)
