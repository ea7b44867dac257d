"""Personal access tokens (seed 001): prefixed, checksummed, shown once, hashed at rest.

Scopes are a ceiling and the owner's role still applies; name and description are
editable, scopes and expiry are not; a token can be regenerated (a new value for the same
record); revocation is immediate and irreversible (every process reads the revocation from
the database on each use). Using a token is :mod:`tokensmith.services.personal_token_use`,
its expiry notices :mod:`tokensmith.services.expiry_notices`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from tokensmith.core import ids, permissions, policies
from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.errors import BadRequest, Conflict, Forbidden, NotFound
from tokensmith.core.labels import clean_description, clean_name
from tokensmith.core.records import Organization, PersonalTokenRecord
from tokensmith.services.audit import AuditLog, Target
from tokensmith.services.expiry_notices import (
    NOTICES,
    already_inside,
    emit_expiry_notices,
    emit_lapse_notices,
)
from tokensmith.services.pages import ManagedRecords, Page
from tokensmith.services.personal_token_use import USAGE_KIND, PersonalTokenUse
from tokensmith.services.rehash import Rehasher
from tokensmith.services.usage import UsageRecorder
from tokensmith.storage.change_feed import LookupCache, change_feed
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenLookup, PersonalTokenRepository

#: The longest life a personal token may be given (``expires_in_days`` or ``expires_at``).
MAX_LIFETIME_DAYS = 3650
IMMUTABLE_FIELDS = frozenset({"scopes", "expires_at", "expires_in_days"})


@dataclass(frozen=True)
class CreatedPersonalToken:
    token: PersonalTokenRecord
    plain: str


PersonalTokenPage = Page[PersonalTokenRecord]


class PersonalTokenService(PersonalTokenUse):
    """Managing personal tokens; using them (authenticate, introspect) is :class:`PersonalTokenUse`."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        hasher: secret_format.SecretHasher,
        usage: UsageRecorder,
        audit: AuditLog,
        *,
        prefix: str,
        scope_registry: dict[str, str],
    ) -> None:
        self._db = database
        self._lookup = PersonalTokenLookup(database, hasher.key_count)
        self._clock = clock
        self._hasher = hasher
        self._rehasher = Rehasher(hasher, usage)
        self._usage = usage
        self._records = ManagedRecords(
            database, usage, USAGE_KIND, PersonalTokenRepository, PersonalTokenRepository.touch_many
        )
        self._audit = audit
        #: Pages of ``list`` (without an expiry window), kept under the invariant of
        #: storage.change_feed: a page read before a commit this process has learnt of is never
        #: served, so a new, renamed or revoked token shows at once. Polling a list then costs no
        #: database round trip.
        self._pages: LookupCache[tuple[str, str, bool, str | None, int], list[PersonalTokenRecord]] = (
            LookupCache(
                change_feed(database),
                max_entries=2_000,
                name="personal_token_pages",
                observer=database.observer,
            )
        )
        self.prefix = prefix
        self._registry = scope_registry

    # -- management ------------------------------------------------------------
    def create(
        self,
        actor: Actor,
        *,
        name: str,
        scopes: list[str],
        description: str = "",
        expires_at: datetime | None = None,
        expires_in_days: int | None = None,
        org_id: str | None = None,
        user_id: str | None = None,
    ) -> CreatedPersonalToken:
        """Create a token for the actor (or, for the system actor, for ``user_id`` in ``org_id``)."""
        permissions.require_scope(actor, "tokens:write")
        org_id, user_id = _owner(actor, org_id, user_id, "a personal token needs an organisation and a user")
        name, description = clean_name(name), clean_description(description)
        if expires_at is not None and expires_in_days is not None:
            raise BadRequest("give expires_at or expires_in_days, not both", field="expiry")
        now = self._clock.now()
        if expires_in_days is not None:
            if not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
                raise BadRequest(f"expires_in_days must be between 1 and {MAX_LIFETIME_DAYS}", field="expiry")
            expires_at = now + timedelta(days=expires_in_days)
        elif expires_at is not None and expires_at > now + timedelta(days=MAX_LIFETIME_DAYS):
            # The same ceiling as expires_in_days, whichever way the expiry is spelled.
            raise BadRequest(f"expires_at must be within {MAX_LIFETIME_DAYS} days from now", field="expiry")
        if not scopes:
            raise BadRequest("choose at least one scope", field="scopes")
        granted = permissions.check_scopes(scopes, self._registry, actor)
        plain = secret_format.new_secret(self._hasher, self.prefix)
        with self._db.transaction() as connection:
            orgs = OrganizationRepository(connection)
            org = orgs.get(org_id)
            if org is None or orgs.membership(org_id, user_id) is None:
                raise NotFound("no such organisation member")
            _require_allowed(org)
            final_expiry = policies.resolve_expiry(org.policy, now, expires_at, ceiling=actor.expires_at)
            token = PersonalTokenRecord(
                id=ids.new_id(),
                org_id=org_id,
                user_id=user_id,
                name=name,
                description=description,
                scopes=granted,
                token_hash=plain.hashed,
                token_hint=plain.hint,
                created_by=actor.user_id,
                created_at=now,
                expires_at=final_expiry,
                last_used_at=None,
                last_used_ip=None,
                revoked_at=None,
                # A token born inside a notice window never crosses it: no notice for it.
                notified_7d_at=already_inside(final_expiry, now, NOTICES[0][2]),
                notified_1d_at=already_inside(final_expiry, now, NOTICES[1][2]),
            )
            PersonalTokenRepository(connection).insert(token)
            expiry = final_expiry.isoformat() if final_expiry else None
            details = {"name": name, "scopes": sorted(granted), "expires_at": expiry}
            self._audited(connection, actor, "created", token, details)
        return CreatedPersonalToken(token, plain.plain)

    def list(
        self,
        actor: Actor,
        *,
        expiring_within: timedelta | None = None,
        cursor: str | None = None,
        limit: int = 50,
        include_revoked: bool = False,
        user_id: str | None = None,
        org_id: str | None = None,
    ) -> PersonalTokenPage:
        """The actor's own tokens (nobody lists another member's)."""
        permissions.require_scope(actor, "tokens:read")
        org_id, user_id = _owner(
            actor, org_id, user_id, "listing personal tokens needs an organisation and a user"
        )
        now = self._clock.now()
        expiring_before = now + expiring_within if expiring_within is not None else None
        key = (org_id, user_id, include_revoked, cursor, limit)
        stamp = self._pages.stamp() if expiring_within is None else None
        items = self._pages.get(key, stamp)
        if items is None:
            items = self._records.rows(
                lambda repo, rows: repo.list_for_user(
                    org_id,
                    user_id,
                    include_revoked=include_revoked,
                    expiring_before=expiring_before,
                    expiring_after=now if expiring_within is not None else None,
                    after_id=cursor,
                    limit=rows,
                ),
                limit,
            )
            self._pages.put(key, items, stamp)
        return self._records.page(items, limit)

    def get(self, actor: Actor, token_id: str) -> PersonalTokenRecord:
        permissions.require_scope(actor, "tokens:read")
        return self._records.one(lambda repo: self._own(repo, actor, token_id))

    def update(
        self,
        actor: Actor,
        token_id: str,
        *,
        name: str | None,
        description: str | None,
        other_fields: Collection[str] = (),
    ) -> PersonalTokenRecord:
        """Name and description are editable; scopes and expiry are not (seed 001).

        ``other_fields`` names any other field the caller tried to change: scopes and expiry
        are refused with ``immutable_field``.
        """
        permissions.require_scope(actor, "tokens:write")
        immutable = sorted(IMMUTABLE_FIELDS.intersection(other_fields))
        if immutable:
            raise BadRequest(
                f"{', '.join(immutable)} cannot be changed after creation; "
                "create a new token and revoke this one",
                code="immutable_field",
            )
        unknown = sorted(set(other_fields) - IMMUTABLE_FIELDS)
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
        with self._db.transaction() as connection:
            repo = PersonalTokenRepository(connection)
            token = self._own(repo, actor, token_id)
            if token.revoked_at is not None:
                raise NotFound("no such token")
            new_name = clean_name(name) if name is not None else token.name
            new_description = clean_description(description) if description is not None else token.description
            repo.rename(token.id, new_name, new_description)
            self._audited(connection, actor, "renamed", token, {"old_name": token.name, "name": new_name})
        return self._records(replace(token, name=new_name, description=new_description))

    def revoke(self, actor: Actor, token_id: str) -> PersonalTokenRecord:
        """Immediate and irreversible."""
        permissions.require_scope(actor, "tokens:write")
        now = self._clock.now()
        with self._db.transaction() as connection:
            repo = PersonalTokenRepository(connection)
            token = self._own(repo, actor, token_id)
            if token.revoked_at is not None or not repo.revoke(token.id, now):
                raise NotFound("no such token")
            self._audited(connection, actor, "revoked", token, {"name": token.name})
        return replace(token, revoked_at=now)

    def regenerate(self, actor: Actor, token_id: str) -> CreatedPersonalToken:
        """A new value for a live token: same id, name, description, scopes and expiry instant
        (the policy it was created under keeps running); the old value stops working at once.

        Who may: whoever may revoke it (the owner, or the operator). The caller's own token
        ceiling applies as at creation — no wider scopes, no longer life — so a narrow token
        cannot mint itself a wider secret. Compare-and-set on the hash read in this
        transaction: of regenerations that race, exactly one installs its value and answers;
        the others are 409 ``conflict`` with nothing written. The write is an ``UPDATE`` of
        the row like a revocation, so its commit empties every process's lookup cache
        (:mod:`tokensmith.storage.change_feed`) and the old value is never served from memory.
        """
        permissions.require_scope(actor, "tokens:write")
        plain = secret_format.new_secret(self._hasher, self.prefix)
        now = self._clock.now()
        with self._db.transaction() as connection:
            repo = PersonalTokenRepository(connection)
            token = self._own(repo, actor, token_id)
            org = OrganizationRepository(connection).get(token.org_id)
            if token.revoked_at is not None or org is None:
                raise NotFound("no such token")
            _require_allowed(org)
            reason = policies.expiry_reason(token, org.policy, now, self._usage.pending(USAGE_KIND, token.id))
            if reason is not None:
                raise Conflict(f"this token no longer works ({reason}); create a new one")
            _check_ceiling(actor, token)
            updated = replace(token, token_hash=plain.hashed, token_hint=plain.hint)
            if not repo.replace_hash(
                token.id,
                token_hash=updated.token_hash,
                token_hint=updated.token_hint,
                expected_hash=token.token_hash,
            ):
                raise Conflict("the token was regenerated by another request meanwhile; reload and retry")
            details = {"name": token.name, "previous_hint": token.token_hint}
            self._audited(connection, actor, "regenerated", updated, details)
        return CreatedPersonalToken(self._records(updated), plain.plain)

    def emit_expiry_notices(self, *, transport: Transport = Transport.CLI) -> int:
        """The 7-day and 1-day expiry notices now due (:mod:`tokensmith.services.expiry_notices`)."""
        return emit_expiry_notices(self._db, self._clock, self._audit, transport) + emit_lapse_notices(
            self._db, self._clock, self._audit, transport
        )

    def _audited(
        self,
        connection: Connection,
        actor: Actor,
        action: str,
        token: PersonalTokenRecord,
        details: dict[str, Any],
    ) -> None:
        """Audit ``personal_token.<action>`` of ``token`` (shown by its hint, never its value)."""
        self._audit.about(
            connection, actor, f"personal_token.{action}", Target.personal_token(token), details
        )

    def _own(self, repo: PersonalTokenRepository, actor: Actor, token_id: str) -> PersonalTokenRecord:
        token = repo.get(token_id) if _looks_like_id(token_id) else None
        if token is None:
            raise NotFound("no such token")
        if not actor.is_system and (token.org_id != actor.org_id or token.user_id != actor.user_id):
            raise NotFound("no such token")
        return token


def _owner(actor: Actor, org_id: str | None, user_id: str | None, refusal: str) -> tuple[str, str]:
    """The tokens' owner: the actor itself, or whoever the operator (system actor) names."""
    if not actor.is_system:
        org_id, user_id = actor.org_id, actor.user_id
    if org_id is None or user_id is None:
        raise BadRequest(refusal)
    return org_id, user_id


def _require_allowed(org: Organization) -> None:
    if not org.policy.allow_personal_tokens:
        raise Forbidden("this organisation's policy does not allow personal tokens", code="policy_forbids")


def _check_ceiling(actor: Actor, token: PersonalTokenRecord) -> None:
    """What a new value may carry for ``actor``: at most its own token's scopes and life."""
    if actor.scopes is not None and not token.scopes <= actor.scopes:
        wider = " ".join(sorted(token.scopes - actor.scopes))
        raise Forbidden(f"scope(s) {wider} exceed this token's own scopes", code="scope_not_allowed")
    if actor.expires_at is not None and (token.expires_at is None or token.expires_at > actor.expires_at):
        raise Forbidden("a token cannot create a token that outlives it", code="lifetime_not_allowed")


def _looks_like_id(value: str) -> bool:
    return 0 < len(value) <= 64
