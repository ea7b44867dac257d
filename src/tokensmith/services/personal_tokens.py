"""Personal access tokens (seed 001): prefixed, checksummed, shown once, hashed at rest.

Scopes are a ceiling and the owner's role still applies; name and description are
editable, scopes and expiry are not; revocation is immediate and irreversible (every
process reads the revocation from the database on each use).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tokensmith.core import ids, permissions, policies
from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock, epoch
from tokensmith.core.errors import BadRequest, Conflict, Forbidden, NotFound
from tokensmith.core.labels import clean_description, clean_name
from tokensmith.core.records import Organization, PersonalTokenRecord, User
from tokensmith.core.roles import Role
from tokensmith.services.audit import AuditLog
from tokensmith.services.rehash import Rehasher
from tokensmith.services.usage import UsageRecorder
from tokensmith.storage.change_feed import LookupCache, change_feed
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenLookup, PersonalTokenRepository

USAGE_KIND = "personal_token"
#: Expiry notices (issue 3, part 6): the column that remembers each one, and how long before expiry.
NOTICES: tuple[tuple[str, str, timedelta], ...] = (
    ("7d", "notified_7d_at", timedelta(days=7)),
    ("1d", "notified_1d_at", timedelta(days=1)),
)
#: The longest life a personal token may be given (``expires_in_days`` or ``expires_at``).
MAX_LIFETIME_DAYS = 3650
IMMUTABLE_FIELDS = frozenset({"scopes", "expires_at", "expires_in_days"})


@dataclass(frozen=True)
class CreatedPersonalToken:
    token: PersonalTokenRecord
    plain: str


@dataclass(frozen=True)
class PersonalTokenPage:
    items: list[PersonalTokenRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class AuthenticatedToken:
    """A personal token that just authenticated, with its owner and organisation."""

    token: PersonalTokenRecord
    user: User
    org: Organization
    role: Role


class PersonalTokenService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        hasher: secret_format.SecretHasher,
        audit: AuditLog,
        usage: UsageRecorder,
        *,
        prefix: str,
        scope_registry: dict[str, str],
    ) -> None:
        self._db = database
        self._lookup = PersonalTokenLookup(database, hasher.key_count)
        self._clock = clock
        self._hasher = hasher
        self._rehasher = Rehasher(hasher, usage)
        self._audit = audit
        self._usage = usage
        #: Pages of ``list`` (without an expiry window), kept under the invariant of
        #: storage.change_feed: a page read before a commit this process has learnt of is never
        #: served, so a new, renamed or revoked token shows at once. Polling a list then costs no
        #: database round trip.
        self._pages: LookupCache[tuple[str, str, bool, str | None, int], list[PersonalTokenRecord]] = (
            LookupCache(change_feed(database), max_entries=2_000)
        )
        self.prefix = prefix
        self._registry = scope_registry
        usage.register(USAGE_KIND, lambda c, uses: PersonalTokenRepository(c).touch_many(uses))

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
        if not actor.is_system:
            org_id, user_id = actor.org_id, actor.user_id
        if org_id is None or user_id is None:
            raise BadRequest("a personal token needs an organisation and a user")
        name = clean_name(name)
        if expires_at is not None and expires_in_days is not None:
            raise BadRequest("give expires_at or expires_in_days, not both")
        now = self._clock.now()
        if expires_in_days is not None:
            if not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
                raise BadRequest(f"expires_in_days must be between 1 and {MAX_LIFETIME_DAYS}")
            expires_at = now + timedelta(days=expires_in_days)
        elif expires_at is not None and expires_at > now + timedelta(days=MAX_LIFETIME_DAYS):
            # The same ceiling as expires_in_days, whichever way the expiry is spelled.
            raise BadRequest(f"expires_at must be within {MAX_LIFETIME_DAYS} days from now")
        if not scopes:
            raise BadRequest("choose at least one scope")
        granted = permissions.check_scopes(scopes, self._registry, actor)
        plain = secret_format.generate(self.prefix)
        with self._db.transaction() as connection:
            orgs = OrganizationRepository(connection)
            org = orgs.get(org_id)
            if org is None or orgs.membership(org_id, user_id) is None:
                raise NotFound("no such organisation member")
            if not org.policy.allow_personal_tokens:
                raise Forbidden(
                    "this organisation's policy does not allow personal tokens", code="policy_forbids"
                )
            final_expiry = policies.resolve_expiry(org.policy, now, expires_at, ceiling=actor.expires_at)
            token = PersonalTokenRecord(
                id=ids.new_id(),
                org_id=org_id,
                user_id=user_id,
                name=name,
                description=clean_description(description),
                token_hash=self._hasher.hash(plain),
                token_hint=secret_format.hint(plain, self.prefix),
                scopes=granted,
                created_at=now,
                expires_at=final_expiry,
                last_used_at=None,
                last_used_ip=None,
                revoked_at=None,
                created_by=actor.user_id,
                # A token born inside a notice window never crosses it: no notice for it.
                notified_7d_at=_already_inside(final_expiry, now, NOTICES[0][2]),
                notified_1d_at=_already_inside(final_expiry, now, NOTICES[1][2]),
            )
            PersonalTokenRepository(connection).insert(token)
            self._audit.record(
                connection,
                actor,
                "personal_token.created",
                org_id=org_id,
                target_kind="personal_token",
                target_id=token.id,
                target_hint=token.token_hint,
                details={
                    "name": name,
                    "scopes": sorted(granted),
                    "expires_at": final_expiry.isoformat() if final_expiry else None,
                },
            )
        return CreatedPersonalToken(token, plain)

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
        if not actor.is_system:
            org_id, user_id = actor.org_id, actor.user_id
        if org_id is None or user_id is None:
            raise BadRequest("listing personal tokens needs an organisation and a user")
        now = self._clock.now()
        expiring_before = now + expiring_within if expiring_within is not None else None
        key = (org_id, user_id, include_revoked, cursor, limit)
        stamp = self._pages.stamp() if expiring_within is None else None
        items = self._pages.get(key, stamp)
        if items is None:
            with self._db.transaction() as connection:
                items = PersonalTokenRepository(connection).list_for_user(
                    org_id,
                    user_id,
                    include_revoked=include_revoked,
                    expiring_before=expiring_before,
                    expiring_after=now if expiring_within is not None else None,
                    after_id=cursor,
                    limit=limit + 1,
                )
            self._pages.put(key, items, stamp)
        items = [self._with_pending_use(t) for t in items]
        next_cursor = items[limit - 1].id if len(items) > limit else None
        return PersonalTokenPage(items[:limit], next_cursor)

    def get(self, actor: Actor, token_id: str) -> PersonalTokenRecord:
        permissions.require_scope(actor, "tokens:read")
        with self._db.transaction() as connection:
            token = self._own(PersonalTokenRepository(connection), actor, token_id)
        return self._with_pending_use(token)

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
            self._audit.record(
                connection,
                actor,
                "personal_token.renamed",
                org_id=token.org_id,
                target_kind="personal_token",
                target_id=token.id,
                target_hint=token.token_hint,
                details={"old_name": token.name, "name": new_name},
            )
        return self._with_pending_use(replace(token, name=new_name, description=new_description))

    def revoke(self, actor: Actor, token_id: str) -> PersonalTokenRecord:
        """Immediate and irreversible."""
        permissions.require_scope(actor, "tokens:write")
        now = self._clock.now()
        with self._db.transaction() as connection:
            repo = PersonalTokenRepository(connection)
            token = self._own(repo, actor, token_id)
            if token.revoked_at is not None or not repo.revoke(token.id, now):
                raise NotFound("no such token")
            self._audit.record(
                connection,
                actor,
                "personal_token.revoked",
                org_id=token.org_id,
                target_kind="personal_token",
                target_id=token.id,
                target_hint=token.token_hint,
                details={"name": token.name},
            )
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
        plain = secret_format.generate(self.prefix)
        now = self._clock.now()
        with self._db.transaction() as connection:
            repo = PersonalTokenRepository(connection)
            token = self._own(repo, actor, token_id)
            org = OrganizationRepository(connection).get(token.org_id)
            if token.revoked_at is not None or org is None:
                raise NotFound("no such token")
            if not org.policy.allow_personal_tokens:
                raise Forbidden(
                    "this organisation's policy does not allow personal tokens", code="policy_forbids"
                )
            reason = policies.expiry_reason(token, org.policy, now, self._usage.pending(USAGE_KIND, token.id))
            if reason is not None:
                raise Conflict(f"this token no longer works ({reason}); create a new one")
            _check_ceiling(actor, token)
            updated = replace(
                token, token_hash=self._hasher.hash(plain), token_hint=secret_format.hint(plain, self.prefix)
            )
            if not repo.replace_hash(
                token.id,
                token_hash=updated.token_hash,
                token_hint=updated.token_hint,
                expected_hash=token.token_hash,
            ):
                raise Conflict("the token was regenerated by another request meanwhile; reload and retry")
            self._audit.record(
                connection,
                actor,
                "personal_token.regenerated",
                org_id=token.org_id,
                target_kind="personal_token",
                target_id=token.id,
                target_hint=updated.token_hint,
                details={"name": token.name, "previous_hint": token.token_hint},
            )
        return CreatedPersonalToken(self._with_pending_use(updated), plain)

    def emit_expiry_notices(self, *, transport: Transport = Transport.CLI) -> int:
        """Record one ``personal_token.expiring`` audit event per token crossing 7 days and 1 day
        before its expiry (the hook email/webhook delivery will attach to). Returns how many.

        Safe to run from every process at once: each notice is claimed with a compare-and-set
        on its column, and the event is written in the claiming transaction.
        """
        now = self._clock.now()
        actor = Actor(method=AuthMethod.SYSTEM, transport=transport)
        emitted = 0
        for label, column, window in NOTICES:
            with self._db.transaction() as connection:
                due = PersonalTokenRepository(connection).expiring_unnotified(now + window, column, after=now)
            for token in due:
                with self._db.transaction() as connection:
                    if not PersonalTokenRepository(connection).claim_notice(token.id, column, now):
                        continue
                    assert token.expires_at is not None
                    self._audit.record(
                        connection,
                        actor,
                        "personal_token.expiring",
                        org_id=token.org_id,
                        target_kind="personal_token",
                        target_id=token.id,
                        target_hint=token.token_hint,
                        details={
                            "notice": label,
                            "name": token.name,
                            "user_id": token.user_id,
                            "expires_at": token.expires_at.isoformat(),
                        },
                    )
                    emitted += 1
        return emitted

    def _own(self, repo: PersonalTokenRepository, actor: Actor, token_id: str) -> PersonalTokenRecord:
        token = repo.get(token_id) if _looks_like_id(token_id) else None
        if token is None:
            raise NotFound("no such token")
        if not actor.is_system and (token.org_id != actor.org_id or token.user_id != actor.user_id):
            raise NotFound("no such token")
        return token

    def _with_pending_use(self, token: PersonalTokenRecord) -> PersonalTokenRecord:
        pending = self._usage.pending(USAGE_KIND, token.id)
        if pending and (token.last_used_at is None or pending > token.last_used_at):
            return replace(token, last_used_at=pending)
        return token

    # -- use ------------------------------------------------------------------------
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
        return AuthenticatedToken(self._with_pending_use(token), user, org, role)

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


def _check_ceiling(actor: Actor, token: PersonalTokenRecord) -> None:
    """What a new value may carry for ``actor``: at most its own token's scopes and life."""
    if actor.scopes is not None and not token.scopes <= actor.scopes:
        wider = " ".join(sorted(token.scopes - actor.scopes))
        raise Forbidden(f"scope(s) {wider} exceed this token's own scopes", code="scope_not_allowed")
    if actor.expires_at is not None and (token.expires_at is None or token.expires_at > actor.expires_at):
        raise Forbidden("a token cannot create a token that outlives it", code="lifetime_not_allowed")


def _looks_like_id(value: str) -> bool:
    return 0 < len(value) <= 64


def _already_inside(expiry: datetime | None, now: datetime, window: timedelta) -> datetime | None:
    return now if expiry is not None and expiry - now <= window else None
