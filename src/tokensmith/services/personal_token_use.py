"""Using a personal access token (seed 001): the bearer path's check, and what introspection
(RFC 7662) and token exchange (RFC 8693) ask of a personal token.

The check is one cached lookup by keyed hash (:class:`~tokensmith.storage.repositories.
personal_tokens.PersonalTokenLookup`, kept under the change feed's invariant, so a revocation or
regeneration committed by any process is never answered from memory once this process has learnt
of it), then the organisation's policy: expiry, inactivity, whether personal tokens are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tokensmith.core import policies
from tokensmith.core import secrets as secret_format
from tokensmith.core.clock import Clock, epoch
from tokensmith.core.records import Organization, PersonalTokenRecord, User
from tokensmith.core.roles import Role
from tokensmith.services.pages import ManagedRecords
from tokensmith.services.rehash import Rehasher
from tokensmith.services.usage import UsageRecorder
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenLookup, PersonalTokenRepository

USAGE_KIND = "personal_token"


@dataclass(frozen=True)
class AuthenticatedToken:
    """A personal token that just authenticated, with its owner and organisation."""

    token: PersonalTokenRecord
    user: User
    org: Organization
    role: Role


class PersonalTokenUse:
    """The use side of :class:`~tokensmith.services.personal_tokens.PersonalTokenService`, which
    sets these attributes (one constructor for both sides)."""

    _db: Database
    _lookup: PersonalTokenLookup
    _clock: Clock
    _hasher: secret_format.SecretHasher
    _rehasher: Rehasher
    _usage: UsageRecorder
    _records: ManagedRecords[PersonalTokenRepository]
    prefix: str

    def authenticate(
        self, plain: str, ip: str | None = None, *, record_use: bool = True
    ) -> AuthenticatedToken | None:
        """The token's owner if ``plain`` is a live personal token, else ``None``.

        Garbage is rejected by its checksum before any database work.
        """
        if not secret_format.is_well_formed(plain, self.prefix):
            return None
        found = self._lookup(self._hasher.candidates(plain))
        if found is None:  # unknown, or its owner is no longer a member
            return None
        token, org, role, user = found
        now = self._clock.now()
        if (
            policies.expiry_reason(token, org.policy, now, self._usage.pending(USAGE_KIND, token.id))
            is not None
        ):
            return None
        if not org.policy.allow_personal_tokens:
            return None
        if record_use:
            self._usage.note(USAGE_KIND, token.id, now, ip)
        # Success only: a hash made under an old master key moves to the current one (deferred).
        self._rehasher.personal_token_used(token, plain, now)
        return AuthenticatedToken(self._records(token), user, org, role)

    # -- the introspection protocol (services.introspection.PersonalTokens) ----------
    def introspect(self, token: str, org_id: str | None) -> dict[str, Any] | None:
        found = self.authenticate(token, record_use=False)
        if found is None or (org_id is not None and found.org.id != org_id):
            return None
        expiry = policies.effective_expiry(
            found.token, found.org.policy, self._usage.pending(USAGE_KIND, found.token.id)
        )
        claims: dict[str, Any] = {
            "active": True,
            "scope": " ".join(sorted(found.token.scopes)),
            "client_id": f"pat:{found.token.id}",
            "sub": found.user.id,
            "sub_kind": "user",
            "org_id": found.org.id,
            "iat": epoch(found.token.created_at),
            "jti": found.token.id,
            "token_type": "Bearer",
            "token_use": "personal",
            "username": found.user.email,
        }
        if expiry is not None:
            claims["exp"] = epoch(expiry)
        return claims

    def is_active(self, personal_token_id: str) -> bool:
        with self._db.transaction() as connection:
            token = PersonalTokenRepository(connection).get(personal_token_id)
            org = OrganizationRepository(connection).get(token.org_id) if token else None
            member = (
                OrganizationRepository(connection).membership(token.org_id, token.user_id) if token else None
            )
        if token is None or org is None or member is None:
            return False
        return (
            policies.expiry_reason(
                token, org.policy, self._clock.now(), self._usage.pending(USAGE_KIND, token.id)
            )
            is None
        )
