"""Credentials (OAuth clients): the token endpoint's hot-path lookup and the CRUD around it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import RowMapping

from tokensmith.core.client_keys import ClientAuthMethod, ClientKey, jwks_document, thumbprint
from tokensmith.core.records import Credential, Organization, TokenFormat
from tokensmith.core.roles import Role
from tokensmith.storage.change_feed import LookupCache, change_feed
from tokensmith.storage.compiled import CompiledQuery
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import ORGANIZATION_COLUMNS, organization_from_labels
from tokensmith.storage.repositories.rows import (
    Repository,
    insert_values,
    record_from,
    scopes_from,
    scopes_text,
)
from tokensmith.storage.tables import credentials, memberships, organizations

# Compiled once: the token endpoint runs this on every request. A personal credential's owner's
# role comes with it (LEFT JOIN: NULL for organisation credentials and for a departed owner).
_OWNER_ROLE = "owner_role"
_BY_CLIENT_ID_WITH_ORG = (
    select(
        credentials,
        *ORGANIZATION_COLUMNS,
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
        self._cache: LookupCache[str, tuple[Credential, Organization]] = LookupCache(
            change_feed(database), name="credentials", observer=database.observer
        )

    def __call__(self, client_id: str) -> tuple[Credential, Organization] | None:
        return self._cache.read_through(client_id, self._read, client_id)

    def _read(self, client_id: str) -> tuple[Credential, Organization] | None:
        values = self._query(client_id=client_id)
        return (_credential(values), organization_from_labels(values)) if values is not None else None


def _credential(row: Mapping[str, Any] | RowMapping) -> Credential:
    return record_from(
        Credential,
        row,
        scopes=scopes_from(row["scopes"]),
        token_format=TokenFormat(row["token_format"]),
        owner_role=Role(row[_OWNER_ROLE]) if row.get(_OWNER_ROLE) else None,
        auth_method=ClientAuthMethod(row["auth_method"]),
        jwks=keys_from(row["jwks"]),
    )


def keys_from(text: str | None) -> tuple[ClientKey, ...]:
    """The stored JWK Set (checked when it was registered) as keys with their thumbprints."""
    if not text:
        return ()
    return tuple(ClientKey(jwk=key, thumbprint=thumbprint(key)) for key in json.loads(text)["keys"])


def keys_text(keys: tuple[ClientKey, ...]) -> str | None:
    """A JWK Set as stored: compact JSON, or NULL for none."""
    return json.dumps(jwks_document(keys), separators=(",", ":"), sort_keys=True) if keys else None


class CredentialRepository(Repository):
    def insert(self, credential: Credential) -> None:
        """Store a new credential (no previous secret, never used yet)."""
        values = insert_values(
            credential,
            credentials,
            previous_secret_hash=None,
            previous_secret_expires_at=None,
            scopes=scopes_text(credential.scopes),
            token_format=credential.token_format.value,
            last_used_at=None,
            auth_method=credential.auth_method.value,
            jwks=keys_text(credential.jwks),
        )
        self.c.execute(insert(credentials).values(values))

    def get(self, credential_id: str) -> Credential | None:
        row = self.first(select(credentials).where(credentials.c.id == credential_id))
        return _credential(row) if row else None

    def by_client_id(self, client_id: str) -> Credential | None:
        row = self.first(select(credentials).where(credentials.c.client_id == client_id))
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
        self.change(credential_id, now, name=name, description=description)

    def change(self, credential_id: str, now: datetime, **values: Any) -> None:
        """Set the given columns (a name, a setting) and ``updated_at`` of one credential."""
        self.c.execute(
            update(credentials).where(credentials.c.id == credential_id).values(**values, updated_at=now)
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

    def replace_keys(
        self,
        credential_id: str,
        keys: tuple[ClientKey, ...],
        *,
        expected: tuple[ClientKey, ...],
        now: datetime,
    ) -> bool:
        """Install a new JWK Set only if the stored one is still ``expected`` (compare-and-set:
        of two racing key changes, one wins and the other changes nothing). Whether a row changed."""
        previous = keys_text(expected)
        condition = credentials.c.jwks.is_(None) if previous is None else credentials.c.jwks == previous
        result = self.c.execute(
            update(credentials)
            .where(credentials.c.id == credential_id, condition)
            .values(jwks=keys_text(keys), updated_at=now)
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
