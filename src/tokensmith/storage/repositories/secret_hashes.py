"""Stored secret hashes by master key id.

Every stored hash is tagged ``<key id>:<digest>`` (:mod:`tokensmith.core.secrets`). This
repository counts the live ones per key id (what ``tokensmith keys status`` reports) and
moves one hash to the current key with an update conditional on the hash read, so that two
processes doing it at once, or a regeneration in between, leave the newest value in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, Table, and_, func, or_, select, update

from tokensmith.core.secrets import KEY_ID_LENGTH
from tokensmith.storage.repositories.rows import Repository
from tokensmith.storage.tables import access_tokens, credentials, dashboard_sessions, personal_tokens

CredentialHashColumn = Literal["secret_hash", "previous_secret_hash"]


@dataclass(frozen=True)
class HashHolder:
    """A record whose live secret is still hashed under a key other than the current one."""

    kind: str
    id: str
    label: str
    key_id: str
    last_used_at: datetime | None


def _tag(column: ColumnElement[str]) -> ColumnElement[str]:
    return func.substr(column, 1, KEY_ID_LENGTH)


class SecretHashRepository(Repository):
    def _live(self, now: datetime) -> list[tuple[str, Table, ColumnElement[str], ColumnElement[bool]]]:
        """(kind, table, hash column, "could still authenticate") for every stored secret."""
        return [
            # A private_key_jwt credential's hash is never usable: it counts for no key.
            (
                "client_secret",
                credentials,
                credentials.c.secret_hash,
                credentials.c.auth_method == "client_secret",
            ),
            (
                "previous_client_secret",
                credentials,
                credentials.c.previous_secret_hash,
                and_(
                    credentials.c.previous_secret_hash.is_not(None),
                    credentials.c.previous_secret_expires_at > now,
                ),
            ),
            (
                "personal_token",
                personal_tokens,
                personal_tokens.c.token_hash,
                and_(
                    personal_tokens.c.revoked_at.is_(None),
                    or_(personal_tokens.c.expires_at.is_(None), personal_tokens.c.expires_at > now),
                ),
            ),
            (
                "opaque_access_token",
                access_tokens,
                access_tokens.c.token_hash,
                access_tokens.c.expires_at > now,
            ),
            (
                "dashboard_session",
                dashboard_sessions,
                dashboard_sessions.c.id_hash,
                dashboard_sessions.c.expires_at > now,
            ),
        ]

    def counts_by_key_id(self, now: datetime) -> dict[str, dict[str, int]]:
        """``{kind: {key id: live hashes}}`` (kinds with no live hash map to ``{}``)."""
        counts: dict[str, dict[str, int]] = {}
        for kind, table, column, live in self._live(now):
            tag = _tag(column)
            rows = self.c.execute(select(tag, func.count()).select_from(table).where(live).group_by(tag))
            counts[kind] = {str(key_id): int(n) for key_id, n in rows}
        return counts

    def latest_expiry(self, now: datetime, key_ids: list[str]) -> dict[str, datetime | None]:
        """For the kinds that expire by themselves: the last expiry among live hashes under ``key_ids``."""
        found: dict[str, datetime | None] = {}
        for kind, table, column, live in self._live(now):
            if kind in ("opaque_access_token", "dashboard_session"):
                query = select(func.max(table.c.expires_at)).where(live, _tag(column).in_(key_ids))
                found[kind] = self.c.execute(query).scalar() if key_ids else None
        return found

    def holders(self, now: datetime, key_ids: list[str], limit: int) -> list[HashHolder]:
        """Credentials and personal tokens whose live secret is hashed under one of ``key_ids``:
        the ones to rotate (or wait for) before retiring those keys."""
        if not key_ids:
            return []
        live = {kind: condition for kind, _table, _column, condition in self._live(now)}
        found: list[HashHolder] = []
        for kind, column in (
            ("client_secret", credentials.c.secret_hash),
            ("previous_client_secret", credentials.c.previous_secret_hash),
        ):
            query = (
                select(credentials.c.id, credentials.c.client_id, _tag(column), credentials.c.last_used_at)
                .where(live[kind], _tag(column).in_(key_ids))
                .order_by(credentials.c.id)
                .limit(limit)
            )
            found += [HashHolder(kind, i, label, k, used) for i, label, k, used in self.c.execute(query)]
        query = (
            select(
                personal_tokens.c.id,
                personal_tokens.c.name,
                _tag(personal_tokens.c.token_hash),
                personal_tokens.c.last_used_at,
            )
            .where(live["personal_token"], _tag(personal_tokens.c.token_hash).in_(key_ids))
            .order_by(personal_tokens.c.id)
            .limit(limit)
        )
        found += [
            HashHolder("personal_token", i, label, k, used) for i, label, k, used in self.c.execute(query)
        ]
        return found

    # -- moving one hash to the current key -------------------------------------------
    def replace_credential_hash(
        self, credential_id: str, column: CredentialHashColumn, old: str, new: str
    ) -> bool:
        target = credentials.c[column]
        result = self.c.execute(
            update(credentials).where(credentials.c.id == credential_id, target == old).values({column: new})
        )
        return result.rowcount == 1

    def replace_personal_token_hash(self, token_id: str, old: str, new: str) -> bool:
        result = self.c.execute(
            update(personal_tokens)
            .where(personal_tokens.c.id == token_id, personal_tokens.c.token_hash == old)
            .values(token_hash=new)
        )
        return result.rowcount == 1
