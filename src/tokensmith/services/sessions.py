"""Dashboard sign-in and server-side sessions (OWASP Session Management cheat sheet).

* The session id is a fresh 178-bit secret (``tsd_…``, :mod:`tokensmith.core.secrets`); only its
  keyed hash is stored, so a database leak yields no usable session.
* A new id is issued at sign-in and whenever the session's privileges change (organisation
  switch, own role change); the old id dies at once. Sign-out deletes the session.
* Each session has its own CSRF token (synchronizer token pattern): derived from the session id
  (HMAC-SHA256, so only the cookie's holder can know it) and stored only as its SHA-256, which
  a presented token's hash is compared with in constant time. A database leak yields neither.
* Passwords are argon2id (:mod:`tokensmith.services.passwords`); failed sign-ins are limited per
  email and per address with the token endpoint's limiter; unknown emails cost the same time.
* The role is read from the membership on every request, never cached in the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from tokensmith.core import secrets as secret_format
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.clock import Clock
from tokensmith.core.errors import NotFound, SlowDown, Unauthenticated
from tokensmith.core.records import Organization, User
from tokensmith.core.roles import Role
from tokensmith.services.audit import AuditLog, Target
from tokensmith.services.auth_failures import AuthFailureLimiter
from tokensmith.services.passwords import hash_password, needs_rehash, verify_password
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.sessions import SessionRepository, SessionRow

SESSION_PREFIX = "tsd_"
MAX_PASSWORD_LENGTH = 1024
SIGN_IN_FAILED = "Wrong email or password."
_CSRF_CONTEXT = b"tokensmith dashboard csrf v1"


def csrf_token_for(session_id: str) -> str:
    """The session's synchronizer token: HMAC-SHA256 keyed by the session id (OWASP CSRF
    cheat sheet, "signed double-submit"/HMAC token pattern), never stored as such."""
    digest = hmac.new(session_id.encode(), _CSRF_CONTEXT, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_hash(token: str) -> str:
    """What the database keeps of a CSRF token (64 hex characters)."""
    return hashlib.sha256(token.encode()).hexdigest()


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
    #: The token to put in this session's forms (derived from the session id on this request).
    csrf_token: str
    #: The stored SHA-256 of the token, that presented tokens are compared with.
    csrf_hash: str
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
        """The presented token's hash equals the stored one (constant-time comparison)."""
        if not presented or len(presented) > 256:
            return False
        return hmac.compare_digest(csrf_hash(presented).encode(), self.csrf_hash.encode())


def _user_target(user: User, org_id: str | None) -> Target:
    """The person a sign-in or sign-out is about, in the audit log."""
    return Target(org_id, "user", user.id, user.email)


@dataclass(frozen=True, eq=False)
class SessionService:
    """Dashboard sign-in, the sessions it opens, and their end."""

    database: Database
    clock: Clock
    hasher: secret_format.SecretHasher
    audit: AuditLog
    limiter: AuthFailureLimiter
    _: KW_ONLY
    ttl_seconds: int

    def sign_in(
        self, email: str, password: str, *, ip: str | None, replaces: str | None = None
    ) -> IssuedSession:
        """Check the password and open a session in the user's first organisation.

        ``replaces`` (a session id the browser already held) is ended: no session fixation.
        """
        email = email.strip().lower()
        key = "login:" + email[:320]
        # An address over the limit is refused up front; an *account* over the limit only when
        # the password is also wrong (the token endpoint's rule, services.auth_failures), so
        # guesses from many addresses never lock the real user out.
        wait = self.limiter.address_blocked(ip)
        if wait is not None:
            raise SlowDown(wait, detail="too many failed sign-ins from this address")
        if not email or len(password) > MAX_PASSWORD_LENGTH:
            verify_password(password[:MAX_PASSWORD_LENGTH], None)
            self._failed(key, ip)
        with self.database.transaction() as connection:
            orgs = OrganizationRepository(connection)
            user = orgs.user_by_email(email)
            stored = orgs.password_hash(user.id) if user else None
        matches = verify_password(password, stored)  # unknown users and no password pay the same
        if user is None or stored is None or not matches:
            self._failed(key, ip)
        with self.database.transaction() as connection:
            orgs = OrganizationRepository(connection)
            if needs_rehash(stored):
                orgs.set_password_hash(user.id, hash_password(password))
            memberships = orgs.list_for_user(user.id)
            org_id = memberships[0][0].id if memberships else None
            sessions = SessionRepository(connection)
            sessions.delete_expired(self.clock.now())
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
            self.audit.about(connection, actor, "session.signed_in", _user_target(user, org_id))
        return issued

    def _failed(self, key: str, ip: str | None) -> NoReturn:
        self.limiter.record_failure(key, ip)
        wait = self.limiter.client_blocked(key)
        if wait is not None:
            raise SlowDown(wait, detail="too many failed sign-ins for this account")
        raise Unauthenticated(SIGN_IN_FAILED, code="unauthenticated")

    def resolve(self, session_id: str | None, *, ip: str | None = None) -> ActiveSession | None:
        """The live session for ``session_id``, or ``None`` (garbage is refused before any lookup)."""
        if not session_id or not secret_format.is_well_formed(session_id, SESSION_PREFIX):
            return None
        now = self.clock.now()
        with self.database.transaction() as connection:
            row = SessionRepository(connection).by_hashes(self.hasher.candidates(session_id))
            if row is None or row.expires_at <= now:
                return None
            csrf_token = csrf_token_for(session_id)
            if not hmac.compare_digest(csrf_hash(csrf_token).encode(), row.csrf_token.encode()):
                # Not this session's token (e.g. a row from before CSRF tokens were hashed): end it.
                SessionRepository(connection).delete(row.id_hash)
                return None
            orgs = OrganizationRepository(connection)
            user = orgs.user(row.user_id)
            if user is None:
                return None
            memberships = orgs.list_for_user(user.id)
            current = next(((o, r) for o, r in memberships if o.id == row.org_id), None)
            if row.org_id is not None and current is None:
                # The membership it acted in is gone: the session ends, never moves elsewhere.
                SessionRepository(connection).delete(row.id_hash)
                return None
        return ActiveSession(
            id_hash=row.id_hash,
            user=user,
            org=current[0] if current else None,
            role=current[1] if current else None,
            csrf_token=csrf_token,
            csrf_hash=row.csrf_token,
            expires_at=row.expires_at,
            memberships=memberships,
            ip=ip,
        )

    def switch_org(self, session: ActiveSession, org_id: str) -> IssuedSession:
        """Act in another organisation the user belongs to; the session id changes."""
        if not any(o.id == org_id for o, _ in session.memberships):
            raise NotFound("no such organisation")
        with self.database.transaction() as connection:
            repo = SessionRepository(connection)
            repo.delete(session.id_hash)
            issued = self._issue(repo, session.user.id, org_id)
            self.audit.record(
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
        with self.database.transaction() as connection:
            repo = SessionRepository(connection)
            repo.delete(session.id_hash)
            return self._issue(repo, session.user.id, session.org.id if session.org else None)

    def sign_out(self, session: ActiveSession) -> None:
        with self.database.transaction() as connection:
            SessionRepository(connection).delete(session.id_hash)
            org_id = session.org.id if session.org else None
            self.audit.about(
                connection, session.actor(), "session.signed_out", _user_target(session.user, org_id)
            )

    def _issue(self, repo: SessionRepository, user_id: str, org_id: str | None) -> IssuedSession:
        now = self.clock.now()
        session_id = secret_format.generate(SESSION_PREFIX)
        csrf = csrf_token_for(session_id)
        expires_at = now + timedelta(seconds=self.ttl_seconds)
        # The row's ``csrf_token`` column holds the token's SHA-256, never the token.
        repo.insert(
            SessionRow(self.hasher.hash(session_id), user_id, org_id, csrf_hash(csrf), now, expires_at)
        )
        return IssuedSession(session_id, csrf, expires_at)

    def _end(self, repo: SessionRepository, session_id: str) -> None:
        if secret_format.is_well_formed(session_id, SESSION_PREFIX):
            for candidate in self.hasher.candidates(session_id):
                repo.delete(candidate)
