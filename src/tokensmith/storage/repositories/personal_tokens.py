"""Personal access tokens (stored as keyed hashes only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from tokensmith.core.records import Organization, PersonalTokenRecord, User
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
from tokensmith.storage.tables import memberships, organizations, personal_tokens, users


class PersonalTokenLookup:
    """The bearer path's one query: a personal token by hash, with its organisation, the
    owner's membership role and email. ``hash_count`` is the number of master keys (each gives
    one candidate hash)."""

    def __init__(self, database: Database, hash_count: int) -> None:
        statement = (
            select(
                personal_tokens,
                *ORGANIZATION_COLUMNS,
                memberships.c.role.label("member_role"),
                users.c.email.label("user_email"),
                users.c.created_at.label("user_created_at"),
                (users.c.password_hash.is_not(None)).label("user_has_password"),
            )
            .join(organizations, organizations.c.id == personal_tokens.c.org_id)
            .join(
                memberships,
                (memberships.c.org_id == personal_tokens.c.org_id)
                & (memberships.c.user_id == personal_tokens.c.user_id),
            )
            .join(users, users.c.id == personal_tokens.c.user_id)
            .where(or_(*[personal_tokens.c.token_hash == bindparam(f"h{i}") for i in range(hash_count)]))
        )
        self._hash_count = hash_count
        self._query = CompiledQuery(database, statement)
        # Kept under the invariant of storage.change_feed: a revocation, a role change or a
        # removed membership, committed by any process, is never answered from memory once
        # this process has learnt of it.
        self._cache: LookupCache[str, tuple[PersonalTokenRecord, Organization, Role, User]] = LookupCache(
            change_feed(database), name="personal_tokens", observer=database.observer
        )

    def __call__(self, hashes: list[str]) -> tuple[PersonalTokenRecord, Organization, Role, User] | None:
        return self._cache.read_through(hashes[0], self._read, hashes)

    def _read(self, hashes: list[str]) -> tuple[PersonalTokenRecord, Organization, Role, User] | None:
        values = self._query(**{f"h{i}": h for i, h in enumerate(hashes[: self._hash_count])})
        if values is None:
            return None
        user = User(
            id=values["user_id"],
            email=values["user_email"],
            created_at=values["user_created_at"],
            has_password=bool(values["user_has_password"]),
        )
        org = organization_from_labels(values)
        return _token(values), org, Role(values["member_role"]), user


def _token(row: RowMapping | Mapping[str, Any]) -> PersonalTokenRecord:
    return record_from(PersonalTokenRecord, row, scopes=scopes_from(row["scopes"]))


class PersonalTokenRepository(Repository):
    def insert(self, token: PersonalTokenRecord) -> None:
        """Store a new token (not used, not revoked yet)."""
        values = insert_values(
            token,
            personal_tokens,
            scopes=scopes_text(token.scopes),
            last_used_at=None,
            last_used_ip=None,
            revoked_at=None,
        )
        self.c.execute(insert(personal_tokens).values(values))

    def get(self, token_id: str) -> PersonalTokenRecord | None:
        row = self.first(select(personal_tokens).where(personal_tokens.c.id == token_id))
        return _token(row) if row else None

    def by_hashes(self, hashes: list[str]) -> PersonalTokenRecord | None:
        row = self.first(select(personal_tokens).where(personal_tokens.c.token_hash.in_(hashes)))
        return _token(row) if row else None

    def list_for_user(
        self,
        org_id: str,
        user_id: str,
        *,
        include_revoked: bool = False,
        expiring_before: datetime | None = None,
        expiring_after: datetime | None = None,
        after_id: str | None = None,
        limit: int = 50,
    ) -> list[PersonalTokenRecord]:
        query = select(personal_tokens).where(
            personal_tokens.c.org_id == org_id, personal_tokens.c.user_id == user_id
        )
        if not include_revoked:
            query = query.where(personal_tokens.c.revoked_at.is_(None))
        if expiring_before is not None:
            query = query.where(
                personal_tokens.c.expires_at.is_not(None), personal_tokens.c.expires_at <= expiring_before
            )
        if expiring_after is not None:
            query = query.where(personal_tokens.c.expires_at > expiring_after)
        if after_id is not None:
            query = query.where(personal_tokens.c.id > after_id)
        query = query.order_by(personal_tokens.c.id).limit(limit)
        return [_token(r) for r in self.c.execute(query).mappings()]

    def expiring_unnotified(
        self, before: datetime, column: str, *, after: datetime | None = None, limit: int = 500
    ) -> list[PersonalTokenRecord]:
        """Live tokens expiring in (``after``, ``before``] not yet noticed in ``column``."""
        col = personal_tokens.c[column]
        query = select(personal_tokens).where(
            personal_tokens.c.revoked_at.is_(None),
            personal_tokens.c.expires_at.is_not(None),
            personal_tokens.c.expires_at <= before,
            col.is_(None),
        )
        if after is not None:
            query = query.where(personal_tokens.c.expires_at > after)
        query = query.order_by(personal_tokens.c.expires_at).limit(limit)
        return [_token(r) for r in self.c.execute(query).mappings()]

    def expired_unnotified(
        self, now: datetime, since: datetime, *, limit: int = 500
    ) -> list[PersonalTokenRecord]:
        """Unrevoked tokens that expired in (``since``, ``now``] with no ``notified_expired_at`` yet."""
        query = (
            select(personal_tokens)
            .where(
                personal_tokens.c.revoked_at.is_(None),
                personal_tokens.c.expires_at.is_not(None),
                personal_tokens.c.expires_at <= now,
                personal_tokens.c.expires_at > since,
                personal_tokens.c.notified_expired_at.is_(None),
            )
            .order_by(personal_tokens.c.expires_at)
            .limit(limit)
        )
        return [_token(r) for r in self.c.execute(query).mappings()]

    def inactivity_limits(self) -> list[tuple[str, int]]:
        """``(org id, days)`` of every organisation whose policy expires unused personal tokens."""
        query = select(organizations.c.id, organizations.c.pat_inactivity_days).where(
            organizations.c.pat_inactivity_days.is_not(None)
        )
        return [(str(org_id), int(days)) for org_id, days in self.c.execute(query)]

    def inactive_unnotified(
        self, org_id: str, cutoff: datetime, since: datetime, *, limit: int = 500
    ) -> list[PersonalTokenRecord]:
        """Unrevoked, unexpired-by-date tokens of ``org_id`` last used (or created) in (``since``,
        ``cutoff``] with no ``notified_inactive_at`` yet."""
        last_seen = func.coalesce(personal_tokens.c.last_used_at, personal_tokens.c.created_at)
        query = (
            select(personal_tokens)
            .where(
                personal_tokens.c.org_id == org_id,
                personal_tokens.c.revoked_at.is_(None),
                personal_tokens.c.notified_inactive_at.is_(None),
                last_seen <= cutoff,
                last_seen > since,
            )
            .limit(limit)
        )
        return [_token(r) for r in self.c.execute(query).mappings()]

    def claim_notice(self, token_id: str, column: str, now: datetime) -> bool:
        """Mark the notice sent unless another process already did (compare-and-set)."""
        col = personal_tokens.c[column]
        result = self.c.execute(
            update(personal_tokens)
            .where(personal_tokens.c.id == token_id, col.is_(None))
            .values({column: now})
        )
        return bool(result.rowcount)

    def revoke_all_for_user(self, org_id: str, user_id: str, now: datetime) -> int:
        result = self.c.execute(
            update(personal_tokens)
            .where(
                personal_tokens.c.org_id == org_id,
                personal_tokens.c.user_id == user_id,
                personal_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)

    def rename(self, token_id: str, name: str, description: str) -> None:
        self.c.execute(
            update(personal_tokens)
            .where(personal_tokens.c.id == token_id)
            .values(name=name, description=description)
        )

    def revoke(self, token_id: str, now: datetime) -> bool:
        return self._update_live(token_id, {"revoked_at": now})

    def replace_hash(self, token_id: str, *, token_hash: str, token_hint: str, expected_hash: str) -> bool:
        """Install a new value's hash on a live token, only if the stored hash is still
        ``expected_hash`` (compare-and-set: of racing regenerations exactly one wins)."""
        values = {"token_hash": token_hash, "token_hint": token_hint}
        return self._update_live(token_id, values, personal_tokens.c.token_hash == expected_hash)

    def _update_live(self, token_id: str, values: dict[str, Any], *conditions: ColumnElement[bool]) -> bool:
        """Update a token that is not revoked (and meets ``conditions``); whether it was."""
        statement = update(personal_tokens).where(
            personal_tokens.c.id == token_id, personal_tokens.c.revoked_at.is_(None), *conditions
        )
        return self.c.execute(statement.values(values)).rowcount == 1

    def touch_many(self, uses: dict[str, tuple[datetime, str | None]]) -> None:
        if not uses:
            return
        self.c.execute(
            update(personal_tokens)
            .where(personal_tokens.c.id == bindparam("tid"))
            .values(last_used_at=bindparam("used"), last_used_ip=bindparam("ip")),
            [{"tid": tid, "used": used, "ip": ip} for tid, (used, ip) in uses.items()],
        )
