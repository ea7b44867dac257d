"""Finding secrets reported as leaked by their keyed hashes (services/leak_response.py).

One ``IN`` query per kind of secret and chunk of hashes, whatever matches, so the work done for a
report depends on how many strings it holds, not on which of them are real. The revocations
themselves go through each kind's own repository.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from tokensmith.core.records import PersonalTokenRecord
from tokensmith.storage.repositories.rows import record_from, scopes_from
from tokensmith.storage.tables import access_tokens, credentials, personal_tokens

#: Hashes per ``IN (…)``: well under every driver's bound-parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class LeakedClientSecret:
    credential_id: str
    client_id: str
    org_id: str
    user_id: str | None
    name: str
    secret_hash: str
    secret_hint: str
    previous_secret_hash: str | None
    previous_secret_expires_at: datetime | None


@dataclass(frozen=True)
class LeakedAccessToken:
    token_hash: str
    jti: str
    org_id: str
    client_id: str | None
    personal_token_id: str | None


def _chunks(hashes: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(hashes), CHUNK):
        yield list(hashes[start : start + CHUNK])


class LeakRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def client_secrets(self, hashes: Sequence[str]) -> list[LeakedClientSecret]:
        """Credentials whose current or grace-period secret has one of ``hashes``."""
        found: dict[str, LeakedClientSecret] = {}
        for chunk in _chunks(hashes):
            query = select(credentials).where(
                or_(credentials.c.secret_hash.in_(chunk), credentials.c.previous_secret_hash.in_(chunk))
            )
            for row in self.c.execute(query).mappings():
                found[row["id"]] = LeakedClientSecret(
                    credential_id=row["id"],
                    client_id=row["client_id"],
                    org_id=row["org_id"],
                    user_id=row["user_id"],
                    name=row["name"],
                    secret_hash=row["secret_hash"],
                    secret_hint=row["secret_hint"],
                    previous_secret_hash=row["previous_secret_hash"],
                    previous_secret_expires_at=row["previous_secret_expires_at"],
                )
        return list(found.values())

    def personal_tokens(self, hashes: Sequence[str]) -> list[PersonalTokenRecord]:
        """Unrevoked personal tokens with one of ``hashes``."""
        found: list[PersonalTokenRecord] = []
        for chunk in _chunks(hashes):
            query = select(personal_tokens).where(
                personal_tokens.c.token_hash.in_(chunk), personal_tokens.c.revoked_at.is_(None)
            )
            found.extend(
                record_from(PersonalTokenRecord, row, scopes=scopes_from(row["scopes"]))
                for row in self.c.execute(query).mappings()
            )
        return found

    def access_tokens(self, hashes: Sequence[str], now: datetime) -> list[LeakedAccessToken]:
        """Unexpired opaque access tokens with one of ``hashes``."""
        found: list[LeakedAccessToken] = []
        for chunk in _chunks(hashes):
            query = select(access_tokens).where(
                access_tokens.c.token_hash.in_(chunk), access_tokens.c.expires_at > now
            )
            found.extend(
                LeakedAccessToken(
                    token_hash=row["token_hash"],
                    jti=row["jti"],
                    org_id=row["org_id"],
                    client_id=row["client_id"],
                    personal_token_id=row["personal_token_id"],
                )
                for row in self.c.execute(query).mappings()
            )
        return found
