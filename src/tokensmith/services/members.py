"""Organisation members and their roles (owner, admin, member).

Rules: any member with ``members:read`` lists the members of the organisation acted in;
owners and admins with ``members:write`` add, re-role and remove members; only an owner
grants, changes or removes the owner role; the last owner can be neither demoted nor
removed. A removed member's personal tokens are revoked and personal credentials deleted
in the same transaction, so nothing they made keeps working.

Changing a member's role or removing them also ends every dashboard session of theirs, in
that same transaction (OWASP Session Management: renew the session on any privilege change),
whichever door the change came through — API, CLI, MCP or dashboard. A personal credential's
next token follows the new role (:mod:`tokensmith.core.delegation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tokensmith.core import ids, permissions
from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.core.errors import BadRequest, Conflict, Forbidden, NotFound
from tokensmith.core.records import Organization, User
from tokensmith.core.roles import Role
from tokensmith.core.users import check_password, normalise_email
from tokensmith.services.audit import AuditLog
from tokensmith.services.pages import Page, keyset_page
from tokensmith.services.passwords import hash_password
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.credentials import CredentialRepository
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.repositories.personal_tokens import PersonalTokenRepository
from tokensmith.storage.repositories.sessions import SessionRepository


@dataclass(frozen=True)
class Member:
    user: User
    role: Role


MemberPage = Page[Member]


class MemberService:
    def __init__(self, database: Database, clock: Clock, audit: AuditLog) -> None:
        self._db = database
        self._clock = clock
        self._audit = audit

    def organizations_of(self, actor: Actor) -> list[tuple[Organization, Role]]:
        """The organisations the calling user belongs to, with their role in each."""
        permissions.require_scope(actor, "members:read")
        if actor.user_id is None:
            raise BadRequest("the system actor belongs to no organisation")
        with self._db.transaction() as connection:
            return OrganizationRepository(connection).list_for_user(actor.user_id)

    def organization(self, actor: Actor, org_id: str) -> Organization:
        permissions.require_scope(actor, "members:read")
        permissions.require_org(actor, org_id)
        with self._db.transaction() as connection:
            return OrganizationRepository(connection).require(org_id)

    def list(
        self,
        actor: Actor,
        org_id: str,
        *,
        email_contains: str | None = None,
        role: Role | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> MemberPage:
        permissions.require_scope(actor, "members:read")
        permissions.require_org(actor, org_id)
        with self._db.transaction() as connection:
            repo = OrganizationRepository(connection)
            repo.require(org_id)
            rows = repo.members(
                org_id, after_email=cursor, email_contains=email_contains, role=role, limit=limit + 1
            )
        return keyset_page([Member(user, r) for user, r in rows], limit, lambda m: m.user.email)

    def add(
        self, actor: Actor, org_id: str, email: str, role: Role, *, password: str | None = None
    ) -> Member:
        """Add a user (created when new; without a password unless one is given, which also
        replaces an existing user's dashboard password) as a member of ``org_id``."""
        permissions.require_scope(actor, "members:write")
        permissions.require_org(actor, org_id)
        permissions.require_admin(actor, "add members")
        _require_may_grant(actor, role)
        email = normalise_email(email)
        if password is not None:
            check_password(password)
        password_hash = hash_password(password) if password is not None else None
        now = self._clock.now()
        try:
            with self._db.transaction() as connection:
                repo = OrganizationRepository(connection)
                repo.require(org_id)
                user = repo.user_by_email(email)
                if user is None:
                    user = repo.insert_user(ids.new_id(), email, password_hash, now)
                    self._audit.record(
                        connection,
                        actor,
                        "user.created",
                        org_id=org_id,
                        target_kind="user",
                        target_id=user.id,
                        target_hint=email,
                    )
                elif password_hash is not None:
                    repo.set_password_hash(user.id, password_hash)
                if repo.membership(org_id, user.id) is not None:
                    raise Conflict(f"{email} is already a member of this organisation", field="email")
                repo.add_member(org_id, user.id, role, now)
                self._record(connection, actor, "member.added", org_id, user, {"role": role.value})
        except IntegrityError:
            raise Conflict(f"{email} is already a member of this organisation", field="email") from None
        return Member(user, role)

    def set_role(self, actor: Actor, org_id: str, user_ref: str, role: Role) -> Member:
        permissions.require_scope(actor, "members:write")
        permissions.require_org(actor, org_id)
        permissions.require_admin(actor, "change roles")
        with self._db.transaction() as connection:
            repo = OrganizationRepository(connection)
            user, current = self._member(repo, org_id, user_ref)
            if current is role:
                return Member(user, role)
            _require_may_grant(actor, current)
            _require_may_grant(actor, role)
            if current is Role.OWNER and repo.count_owners(org_id) <= 1:
                raise Conflict(
                    "the organisation's last owner cannot be demoted", code="last_owner", field="role"
                )
            repo.set_role(org_id, user.id, role)
            SessionRepository(connection).delete_for_user(user.id)
            details = {"old_role": current.value, "role": role.value}
            self._record(connection, actor, "member.role_changed", org_id, user, details)
        return Member(user, role)

    def remove(self, actor: Actor, org_id: str, user_ref: str) -> Member:
        permissions.require_scope(actor, "members:write")
        permissions.require_org(actor, org_id)
        permissions.require_admin(actor, "remove members")
        now = self._clock.now()
        with self._db.transaction() as connection:
            repo = OrganizationRepository(connection)
            user, current = self._member(repo, org_id, user_ref)
            _require_may_grant(actor, current)
            if current is Role.OWNER and repo.count_owners(org_id) <= 1:
                raise Conflict("the organisation's last owner cannot be removed", code="last_owner")
            revoked = PersonalTokenRepository(connection).revoke_all_for_user(org_id, user.id, now)
            deleted = CredentialRepository(connection).delete_personal(org_id, user.id)
            repo.remove_member(org_id, user.id)
            SessionRepository(connection).delete_for_user(user.id)
            details = {
                "role": current.value,
                "personal_tokens_revoked": revoked,
                "personal_credentials_deleted": [c.client_id for c in deleted],
            }
            self._record(connection, actor, "member.removed", org_id, user, details)
        return Member(user, current)

    def _record(
        self,
        connection: Connection,
        actor: Actor,
        action: str,
        org_id: str,
        user: User,
        details: dict[str, Any],
    ) -> None:
        """Audit a change to ``user``'s membership of ``org_id``."""
        self._audit.record(
            connection,
            actor,
            action,
            org_id=org_id,
            target_kind="user",
            target_id=user.id,
            target_hint=user.email,
            details=details,
        )

    def _member(self, repo: OrganizationRepository, org_id: str, user_ref: str) -> tuple[User, Role]:
        """A member by user id or email; non-members (and other organisations' users) are 404."""
        repo.require(org_id)
        user = repo.user_by_email(user_ref.strip().lower()) if "@" in user_ref else repo.user(user_ref)
        membership = repo.membership(org_id, user.id) if user is not None else None
        if user is None or membership is None:
            raise NotFound("no such member")
        return user, membership.role


def _require_may_grant(actor: Actor, role: Role) -> None:
    """Only owners (and the operator) hand out, change or take away the owner role."""
    if role is Role.OWNER and not actor.is_system and actor.role is not Role.OWNER:
        raise Forbidden("only owners can grant, change or remove the owner role")
