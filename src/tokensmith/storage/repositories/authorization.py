"""Storage of the authorization code flow: public clients, codes, refresh-token families.

Every secret here (code, refresh token) is stored as its keyed hash only. The two single-use
steps are conditional updates (``… WHERE used_at IS NULL``), so of two requests racing with the
same code or the same refresh token exactly one wins, on SQLite and PostgreSQL alike; the loser
sees a used one, which is replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, and_, delete, insert, select, update
from sqlalchemy.engine import RowMapping

from tokensmith.core.authorization import AuthorizationCode, PublicClient, RefreshFamily
from tokensmith.storage.repositories.rows import (
    Repository,
    insert_values,
    record_from,
    scopes_from,
    scopes_text,
)
from tokensmith.storage.tables import (
    authorization_codes,
    family_access_tokens,
    oauth_clients,
    refresh_token_families,
    refresh_tokens,
    revoked_tokens,
)

G = TypeVar("G", AuthorizationCode, RefreshFamily)


def _client(row: RowMapping) -> PublicClient:
    return PublicClient(
        client_id=row["client_id"],
        client_name=row["client_name"],
        redirect_uris=tuple(row["redirect_uris"]),
        scope=scopes_from(row["scope"]),
        client_uri=row["client_uri"],
        created_at=row["created_at"],
    )


def _granted(cls: type[G], row: RowMapping) -> G:
    """A code or a refresh family: what the consent granted is stored alike in both tables."""
    return record_from(cls, row, scopes=scopes_from(row["scopes"]), resource=tuple(row["resource"] or ()))


def _granted_values(record: AuthorizationCode | RefreshFamily, table: Table) -> dict[str, Any]:
    return insert_values(record, table, scopes=scopes_text(record.scopes), resource=list(record.resource))


def _family(row: RowMapping) -> RefreshFamily:
    return _granted(RefreshFamily, row)


class PublicClientRepository(Repository):
    def insert(self, client: PublicClient) -> None:
        self.c.execute(
            insert(oauth_clients).values(
                client_id=client.client_id,
                client_name=client.client_name,
                redirect_uris=list(client.redirect_uris),
                scope=scopes_text(client.scope),
                client_uri=client.client_uri,
                created_at=client.created_at,
            )
        )

    def get(self, client_id: str) -> PublicClient | None:
        row = self.first(select(oauth_clients).where(oauth_clients.c.client_id == client_id))
        return _client(row) if row is not None else None

    def list(self, limit: int = 100) -> list[PublicClient]:
        query = select(oauth_clients).order_by(oauth_clients.c.created_at.desc()).limit(limit)
        return [_client(row) for row in self.c.execute(query).mappings()]

    def delete(self, client_id: str) -> bool:
        return bool(
            self.c.execute(delete(oauth_clients).where(oauth_clients.c.client_id == client_id)).rowcount
        )


class AuthorizationCodeRepository(Repository):
    def insert(self, code: AuthorizationCode) -> None:
        self.c.execute(insert(authorization_codes).values(_granted_values(code, authorization_codes)))

    def by_hashes(self, hashes: list[str]) -> AuthorizationCode | None:
        row = self.first(select(authorization_codes).where(authorization_codes.c.code_hash.in_(hashes)))
        if row is None:
            return None
        return _granted(AuthorizationCode, row)

    def claim(self, code_hash: str, now: datetime) -> bool:
        """Mark the code used; ``False`` when it already was (replay, or a racing request won)."""
        result = self.c.execute(
            update(authorization_codes)
            .where(
                and_(authorization_codes.c.code_hash == code_hash, authorization_codes.c.used_at.is_(None))
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    def set_family(self, code_hash: str, family_id: str) -> None:
        self.c.execute(
            update(authorization_codes)
            .where(authorization_codes.c.code_hash == code_hash)
            .values(family_id=family_id)
        )

    def purge_expired(self, before: datetime) -> int:
        """Forget codes that expired before ``before`` (kept a while after use to recognise replay)."""
        return int(
            self.c.execute(
                delete(authorization_codes).where(authorization_codes.c.expires_at < before)
            ).rowcount
        )


class RefreshFamilyRepository(Repository):
    def insert(self, family: RefreshFamily) -> None:
        self.c.execute(insert(refresh_token_families).values(_granted_values(family, refresh_token_families)))

    def get(self, family_id: str) -> RefreshFamily | None:
        row = self.first(select(refresh_token_families).where(refresh_token_families.c.id == family_id))
        return _family(row) if row is not None else None

    def for_user(self, user_id: str, org_id: str, *, live_after: datetime) -> list[RefreshFamily]:
        """The person's unrevoked, unexpired families in one organisation (their authorized apps)."""
        table = refresh_token_families
        query = (
            select(table)
            .where(
                table.c.user_id == user_id,
                table.c.org_id == org_id,
                table.c.revoked_at.is_(None),
                table.c.expires_at > live_after,
            )
            .order_by(table.c.id)
        )
        return [_family(row) for row in self.c.execute(query).mappings()]

    def touch(self, family_id: str, now: datetime) -> None:
        self.c.execute(
            update(refresh_token_families)
            .where(refresh_token_families.c.id == family_id)
            .values(last_used_at=now)
        )

    def revoke(self, family_id: str, now: datetime, reason: str) -> bool:
        """Revoke the family and every unexpired access token minted from it; ``False`` if it already was."""
        result = self.c.execute(
            update(refresh_token_families)
            .where(refresh_token_families.c.id == family_id, refresh_token_families.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        tokens = self.c.execute(
            select(family_access_tokens.c.jti, family_access_tokens.c.expires_at).where(
                family_access_tokens.c.family_id == family_id, family_access_tokens.c.expires_at > now
            )
        ).all()
        already = {
            jti
            for (jti,) in self.c.execute(
                select(revoked_tokens.c.jti).where(revoked_tokens.c.jti.in_([t.jti for t in tokens]))
            )
        }
        fresh: list[dict[str, Any]] = [
            {"jti": t.jti, "expires_at": t.expires_at, "revoked_at": now}
            for t in tokens
            if t.jti not in already
        ]
        if fresh:
            self.c.execute(insert(revoked_tokens), fresh)
        return result.rowcount == 1

    def attach_access_token(self, family_id: str, jti: str, expires_at: datetime, now: datetime) -> bool:
        """Record an access token minted from the family; if the family was revoked meanwhile, the
        token is revoked at once and ``False`` returned."""
        self.c.execute(
            insert(family_access_tokens).values(jti=jti, family_id=family_id, expires_at=expires_at)
        )
        revoked = self.c.execute(
            select(refresh_token_families.c.revoked_at).where(refresh_token_families.c.id == family_id)
        ).scalar_one_or_none()
        if revoked is None:
            return True
        self.c.execute(insert(revoked_tokens).values(jti=jti, expires_at=expires_at, revoked_at=now))
        return False

    # -- refresh tokens ---------------------------------------------------------------
    def add_refresh_token(self, family_id: str, token_hash: str, now: datetime) -> None:
        self.c.execute(
            insert(refresh_tokens).values(token_hash=token_hash, family_id=family_id, created_at=now)
        )

    def refresh_token(self, hashes: list[str]) -> tuple[str, str, datetime | None] | None:
        """``(stored hash, family id, used_at)`` of a refresh token, or ``None`` if unknown."""
        row = self.c.execute(
            select(refresh_tokens.c.token_hash, refresh_tokens.c.family_id, refresh_tokens.c.used_at).where(
                refresh_tokens.c.token_hash.in_(hashes)
            )
        ).first()
        return (row.token_hash, row.family_id, row.used_at) if row is not None else None

    def claim_refresh_token(self, token_hash: str, now: datetime) -> bool:
        """Mark the refresh token rotated; ``False`` if it already was (reuse, or a racing refresh won)."""
        result = self.c.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1
