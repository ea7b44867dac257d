"""Credentials (OAuth clients): the token endpoint's hot-path lookup and the CRUD around it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from tokensmith.core.records import Credential, Organization, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.storage.change_feed import LookupCache, change_feed
from tokensmith.storage.compiled import CompiledQuery
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import organization_from_row
from tokensmith.storage.tables import credentials, memberships, organizations

# Compiled once: the token endpoint runs this on every request. A personal credential's owner's
# role comes with it (LEFT JOIN: NULL for organisation credentials and for a departed owner).
_ORG_LABELS = [(f"org__{c.name}", c.name) for c in organizations.c]
_OWNER_ROLE = "owner_role"
_BY_CLIENT_ID_WITH_ORG = (
    select(
        credentials,
        *[c.label(label) for c, (label, _) in zip(organizations.c, _ORG_LABELS, strict=True)],
        memberships.c.role.label(_OWNER_ROLE),
    )
    .join(organizations, organizations.c.id == credentials.c.org_id)
    .outerjoin(
        memberships,
        (memberships.c.org_id == credentials.c.org_id) & (memberships.c.user_id == credentials.c.user_id),
    )
    .where(credentials.c.client_id == bindparam("client_id"))
)


class CredentialLookup:
    """The token endpoint's one query: a credential and its organisation by client ID.

    Found credentials are kept in memory under the invariant of
    :mod:`tokensmith.storage.change_feed`: once this process has learnt of a commit anywhere,
    nothing read before it is served, so a deleted, rotated or re-policied credential never
    is. A cache hit needs no I/O at all.
    """

    def __init__(self, database: Database) -> None:
        self._query = CompiledQuery(database, _BY_CLIENT_ID_WITH_ORG)
        self._cache: LookupCache[str, tuple[Credential, Organization]] = LookupCache(change_feed(database))

    def __call__(self, client_id: str) -> tuple[Credential, Organization] | None:
        stamp = self._cache.stamp()
        cached = self._cache.get(client_id, stamp)
        if cached is not None:
            return cached
        values = self._query(client_id=client_id)
        if values is None:
            return None
        found = (
            _credential(values),
            organization_from_row({name: values[label] for label, name in _ORG_LABELS}),
        )
        self._cache.put(client_id, found, stamp)
        return found


def _credential(row: Mapping[str, Any] | RowMapping) -> Credential:
    return Credential(
        id=row["id"],
        client_id=row["client_id"],
        org_id=row["org_id"],
        user_id=row["user_id"],
        name=row["name"],
        description=row["description"],
        secret_hash=row["secret_hash"],
        secret_hint=row["secret_hint"],
        previous_secret_hash=row["previous_secret_hash"],
        previous_secret_expires_at=row["previous_secret_expires_at"],
        scopes=frozenset(row["scopes"].split()),
        token_format=TokenFormat(row["token_format"]),
        token_ttl=row["token_ttl"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_used_at=row["last_used_at"],
        owner_role=Role(row[_OWNER_ROLE]) if row.get(_OWNER_ROLE) else None,
    )


class CredentialRepository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def insert(self, credential: Credential) -> None:
        self.c.execute(
            insert(credentials).values(
                id=credential.id,
                client_id=credential.client_id,
                org_id=credential.org_id,
                user_id=credential.user_id,
                name=credential.name,
                description=credential.description,
                secret_hash=credential.secret_hash,
                secret_hint=credential.secret_hint,
                previous_secret_hash=None,
                previous_secret_expires_at=None,
                scopes=" ".join(sorted(credential.scopes)),
                token_format=credential.token_format.value,
                token_ttl=credential.token_ttl,
                created_by=credential.created_by,
                created_at=credential.created_at,
                updated_at=credential.updated_at,
                last_used_at=None,
            )
        )

    def get(self, credential_id: str) -> Credential | None:
        row = self.c.execute(select(credentials).where(credentials.c.id == credential_id)).mappings().first()
        return _credential(row) if row else None

    def by_client_id(self, client_id: str) -> Credential | None:
        row = (
            self.c.execute(select(credentials).where(credentials.c.client_id == client_id)).mappings().first()
        )
        return _credential(row) if row else None

    def list(
        self,
        org_id: str,
        *,
        user_id: str | None = None,
        organization_only: bool = False,
        personal_only: bool = False,
        after_id: str | None = None,
        limit: int = 50,
    ) -> list[Credential]:
        query = select(credentials).where(credentials.c.org_id == org_id)
        if user_id is not None:
            query = query.where(credentials.c.user_id == user_id)
        if organization_only:
            query = query.where(credentials.c.user_id.is_(None))
        if personal_only:
            query = query.where(credentials.c.user_id.is_not(None))
        if after_id is not None:
            query = query.where(credentials.c.id > after_id)
        query = query.order_by(credentials.c.id).limit(limit)
        return [_credential(r) for r in self.c.execute(query).mappings()]

    def rename(self, credential_id: str, name: str, description: str, now: datetime) -> None:
        self.c.execute(
            update(credentials)
            .where(credentials.c.id == credential_id)
            .values(name=name, description=description, updated_at=now)
        )

    def replace_secret(
        self,
        credential_id: str,
        *,
        secret_hash: str,
        secret_hint: str,
        previous_secret_hash: str | None,
        previous_secret_expires_at: datetime | None,
        now: datetime,
        expected_secret_hash: str | None = None,
    ) -> bool:
        """Install a new secret; with ``expected_secret_hash``, only if the stored secret is still that
        one (compare-and-set: of racing regenerations exactly one wins). Whether a row changed."""
        statement = update(credentials).where(credentials.c.id == credential_id)
        if expected_secret_hash is not None:
            statement = statement.where(credentials.c.secret_hash == expected_secret_hash)
        result = self.c.execute(
            statement.values(
                secret_hash=secret_hash,
                secret_hint=secret_hint,
                previous_secret_hash=previous_secret_hash,
                previous_secret_expires_at=previous_secret_expires_at,
                updated_at=now,
            )
        )
        return result.rowcount == 1

    def delete_personal(self, org_id: str, user_id: str) -> Sequence[Credential]:
        """Delete a member's personal credentials in ``org_id`` (when they leave it)."""
        gone = [
            _credential(r)
            for r in self.c.execute(
                select(credentials).where(credentials.c.org_id == org_id, credentials.c.user_id == user_id)
            ).mappings()
        ]
        if gone:
            self.c.execute(delete(credentials).where(credentials.c.id.in_([c.id for c in gone])))
        return gone

    def delete(self, credential_id: str) -> None:
        self.c.execute(delete(credentials).where(credentials.c.id == credential_id))

    def touch_many(self, last_used: dict[str, datetime]) -> None:
        """Record last-use times gathered in memory (coalesced writes)."""
        if not last_used:
            return
        self.c.execute(
            update(credentials)
            .where(credentials.c.id == bindparam("cid"))
            .values(last_used_at=bindparam("used")),
            [{"cid": cid, "used": used} for cid, used in last_used.items()],
        )
