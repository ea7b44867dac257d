"""Dashboard sign-in and server-side sessions (OWASP Session Management cheat sheet).

* The session id is a fresh 178-bit secret (``tsd_…``, :mod:`tokensmith.core.secrets`); only its
  keyed hash is stored, so a database leak yields no usable session.
* A new id is issued at sign-in and whenever the session's privileges change (organisation
  switch, own role change); the old id dies at once. Sign-out deletes the session.
* Each session has its own CSRF token (synchronizer token pattern), compared in constant time.
* Passwords are argon2id (:mod:`tokensmith.services.passwords`); failed sign-ins are limited per
  email and per address with the token endpoint's limiter; unknown emails cost the same time.
* The role is read from the membership on every request, never cached in the session.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.errors import NotFound, SlowDown, Unauthenticated
from tokensmith.core.records import Organization, User
from tokensmith.core.roles import Role
from tokensmith.services.audit import AuditLog
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.passwords import hash_password, needs_rehash, verify_password
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.sessions import SessionRepository, SessionRow

SESSION_PREFIX = "tsd_"
MAX_PASSWORD_LENGTH = 1024
SIGN_IN_FAILED = "Wrong email or password."


@dataclass(frozen=True)
class IssuedSession:
    """A session just created: ``session_id`` goes into the cookie and nowhere else."""

    session_id: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ActiveSession:
    """A live session, resolved from its id on one request."""

    id_hash: str
    user: User
    org: Organization | None
    role: Role | None
    csrf_token: str
    expires_at: datetime
    memberships: list[tuple[Organization, Role]]
    ip: str | None = None

    def actor(self, transport: Transport = Transport.DASHBOARD) -> Actor:
        return Actor(
            method=AuthMethod.SESSION,
            transport=transport,
            user_id=self.user.id,
            email=self.user.email,
            org_id=self.org.id if self.org else None,
            role=self.role,
            scopes=None,
            expires_at=None,
            ip=self.ip,
        )

    @property
    def is_admin(self) -> bool:
        return self.role is not None and self.role.is_admin

    def csrf_matches(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf_token.encode(), (presented or "").encode())


class SessionService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        hasher: secret_format.SecretHasher,
        audit: AuditLog,
        limiter: AuthFailureLimiter,
        *,
        ttl_seconds: int,
    ) -> None:
        self._db = database
        self._clock = clock
        self._hasher = hasher
        self._audit = audit
        self._limiter = limiter
        self._ttl = timedelta(seconds=ttl_seconds)

    def sign_in(
        self, email: str, password: str, *, ip: str | None, replaces: str | None = None
    ) -> IssuedSession:
        """Check the password and open a session in the user's first organisation.

        ``replaces`` (a session id the browser already held) is ended: no session fixation.
        """
        email = email.strip().lower()
        key = "login:" + email[:320]
        wait = self._limiter.address_blocked(ip) or self._limiter.client_blocked(key)
        if wait is not None:
            raise SlowDown(wait, detail="too many failed sign-ins")
        if not email or len(password) > MAX_PASSWORD_LENGTH:
            verify_password(password[:MAX_PASSWORD_LENGTH], None)
            self._limiter.record_failure(key, ip)
            raise Unauthenticated(SIGN_IN_FAILED, code="unauthenticated")
        with self._db.transaction() as connection:
            orgs = OrganizationRepository(connection)
            user = orgs.user_by_email(email)
            stored = orgs.password_hash(user.id) if user else None
        if user is None or not verify_password(password, stored):
            self._limiter.record_failure(key, ip)
            raise Unauthenticated(SIGN_IN_FAILED, code="unauthenticated")
        assert stored is not None
        with self._db.transaction() as connection:
            orgs = OrganizationRepository(connection)
            if needs_rehash(stored):
                orgs.set_password_hash(user.id, hash_password(password))
            memberships = orgs.list_for_user(user.id)
            org_id = memberships[0][0].id if memberships else None
            sessions = SessionRepository(connection)
            sessions.delete_expired(self._clock.now())
            if replaces:
                self._end(sessions, replaces)
            issued = self._issue(sessions, user.id, org_id)
            actor = Actor(
                method=AuthMethod.SESSION,
                transport=Transport.DASHBOARD,
                user_id=user.id,
                email=user.email,
                ip=ip,
            )
            self._audit.record(
                connection,
                actor,
                "session.signed_in",
                org_id=org_id,
                target_kind="user",
                target_id=user.id,
                target_hint=user.email,
            )
        return issued

    def resolve(self, session_id: str | None, *, ip: str | None = None) -> ActiveSession | None:
        """The live session for ``session_id``, or ``None`` (garbage is refused before any lookup)."""
        if not session_id or not secret_format.is_well_formed(session_id, SESSION_PREFIX):
            return None
        now = self._clock.now()
        with self._db.transaction() as connection:
            row = SessionRepository(connection).by_hashes(self._hasher.candidates(session_id))
            if row is None or row.expires_at <= now:
                return None
            orgs = OrganizationRepository(connection)
            user = orgs.user(row.user_id)
            if user is None:
                return None
            memberships = orgs.list_for_user(user.id)
        current = next(((o, r) for o, r in memberships if o.id == row.org_id), None)
        if current is None and memberships:
            current = memberships[0]
        return ActiveSession(
            id_hash=row.id_hash,
            user=user,
            org=current[0] if current else None,
            role=current[1] if current else None,
            csrf_token=row.csrf_token,
            expires_at=row.expires_at,
            memberships=memberships,
            ip=ip,
        )

    def switch_org(self, session: ActiveSession, org_id: str) -> IssuedSession:
        """Act in another organisation the user belongs to; the session id changes."""
        if not any(o.id == org_id for o, _ in session.memberships):
            raise NotFound("no such organisation")
        with self._db.transaction() as connection:
            repo = SessionRepository(connection)
            repo.delete(session.id_hash)
            issued = self._issue(repo, session.user.id, org_id)
            self._audit.record(
                connection,
                session.actor(),
                "session.org_switched",
                org_id=org_id,
                target_kind="organization",
                target_id=org_id,
            )
        return issued

    def rotate(self, session: ActiveSession) -> IssuedSession:
        """A new id (and CSRF token) for the same session, after a privilege change."""
        with self._db.transaction() as connection:
            repo = SessionRepository(connection)
            repo.delete(session.id_hash)
            return self._issue(repo, session.user.id, session.org.id if session.org else None)

    def sign_out(self, session: ActiveSession) -> None:
        with self._db.transaction() as connection:
            SessionRepository(connection).delete(session.id_hash)
            self._audit.record(
                connection,
                session.actor(),
                "session.signed_out",
                org_id=session.org.id if session.org else None,
                target_kind="user",
                target_id=session.user.id,
                target_hint=session.user.email,
            )

    def end_all_for_user(self, user_id: str) -> None:
        """End every session of ``user_id`` (their privileges changed elsewhere)."""
        with self._db.transaction() as connection:
            SessionRepository(connection).delete_for_user(user_id)

    def _issue(self, repo: SessionRepository, user_id: str, org_id: str | None) -> IssuedSession:
        now = self._clock.now()
        session_id = secret_format.generate(SESSION_PREFIX)
        csrf = secrets.token_urlsafe(32)
        expires_at = now + self._ttl
        repo.insert(SessionRow(self._hasher.hash(session_id), user_id, org_id, csrf, now, expires_at))
        return IssuedSession(session_id, csrf, expires_at)

    def _end(self, repo: SessionRepository, session_id: str) -> None:
        if secret_format.is_well_formed(session_id, SESSION_PREFIX):
            for candidate in self._hasher.candidates(session_id):
                repo.delete(candidate)
