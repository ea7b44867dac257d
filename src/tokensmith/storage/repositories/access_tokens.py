"""Issued-token state: opaque access tokens and revoked JWT ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tokensmith.core.records import AccessTokenRecord, SubjectKind
from tokensmith.storage.tables import access_tokens, revoked_tokens


class AccessTokenRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def insert(self, record: AccessTokenRecord) -> None:
        self.c.execute(
            insert(access_tokens).values(
                token_hash=record.token_hash,
                jti=record.jti,
                org_id=record.org_id,
                credential_id=record.credential_id,
                personal_token_id=record.personal_token_id,
                client_id=record.client_id,
                subject=record.subject,
                subject_kind=record.subject_kind.value,
                scopes=" ".join(sorted(record.scopes)),
                issued_at=record.issued_at,
                expires_at=record.expires_at,
            )
        )

    def by_hashes(self, hashes: list[str]) -> AccessTokenRecord | None:
        row = (
            self.c.execute(select(access_tokens).where(access_tokens.c.token_hash.in_(hashes)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return AccessTokenRecord(
            token_hash=row["token_hash"],
            jti=row["jti"],
            org_id=row["org_id"],
            credential_id=row["credential_id"],
            personal_token_id=row["personal_token_id"],
            client_id=row["client_id"],
            subject=row["subject"],
            subject_kind=SubjectKind(row["subject_kind"]),
            scopes=frozenset(row["scopes"].split()),
            issued_at=row["issued_at"],
            expires_at=row["expires_at"],
        )

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
