"""Organisations, users and memberships."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from tokensmith.core import ids, permissions
from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.core.errors import BadRequest, Conflict, NotFound
from tokensmith.core.records import Membership, Organization, OrgPolicy, User
from tokensmith.core.roles import Role
from tokensmith.services.audit import AuditLog
from tokensmith.services.passwords import hash_password
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationRepository

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320 or any(c.isspace() for c in email):
        raise BadRequest(f"not an email address: {email!r}")
    return email


class OrganizationService:
    def __init__(self, database: Database, clock: Clock, audit: AuditLog) -> None:
        self._db = database
        self._clock = clock
        self._audit = audit

    def create(self, actor: Actor, name: str, policy: OrgPolicy | None = None) -> Organization:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise BadRequest("organisation name must be 1 to 200 characters")
        try:
            with self._db.transaction() as connection:
                org = OrganizationRepository(connection).insert(
                    ids.new_id(), name, self._clock.now(), policy or OrgPolicy()
                )
                self._audit.record(
                    connection,
                    actor,
                    "org.created",
                    org_id=org.id,
                    target_kind="organization",
                    target_id=org.id,
                    target_hint=name,
                )
        except IntegrityError:
            raise Conflict(f"an organisation named {name!r} already exists") from None
        return org

    def get(self, org_id: str) -> Organization:
        with self._db.transaction() as connection:
            org = OrganizationRepository(connection).get(org_id)
        if org is None:
            raise NotFound("no such organisation")
        return org

    def by_name(self, name: str) -> Organization:
        with self._db.transaction() as connection:
            org = OrganizationRepository(connection).by_name(name)
        if org is None:
            raise NotFound(f"no organisation named {name!r}")
        return org

    def by_ref(self, ref: str) -> Organization:
        """An organisation by id or by name (CLI convenience)."""
        with self._db.transaction() as connection:
            repo = OrganizationRepository(connection)
            org = repo.get(ref) or repo.by_name(ref)
        if org is None:
            raise NotFound(f"no organisation {ref!r}")
        return org

    def list_all(self) -> list[Organization]:
        with self._db.transaction() as connection:
            return OrganizationRepository(connection).list_all()

    def memberships_of(self, user_id: str) -> list[tuple[Organization, Role]]:
        with self._db.transaction() as connection:
            return OrganizationRepository(connection).list_for_user(user_id)

    def create_user(
        self, actor: Actor, email: str, *, org_id: str, role: Role, password: str | None = None
    ) -> User:
        """Create a user (or reuse one with that email) and make them a member of ``org_id``."""
        permissions.require_org(actor, org_id)
        permissions.require_admin(actor, "add members")
        email = normalise_email(email)
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise BadRequest(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
        password_hash = hash_password(password) if password is not None else None
        now = self._clock.now()
        try:
            with self._db.transaction() as connection:
                repo = OrganizationRepository(connection)
                if repo.get(org_id) is None:
                    raise NotFound("no such organisation")
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
                    raise Conflict(f"{email} is already a member of this organisation")
                repo.add_member(org_id, user.id, role, now)
                self._audit.record(
                    connection,
                    actor,
                    "member.added",
                    org_id=org_id,
                    target_kind="user",
                    target_id=user.id,
                    target_hint=email,
                    details={"role": role.value},
                )
        except IntegrityError:
            raise Conflict(f"{email} already exists") from None
        return user

    def user_by_email(self, email: str) -> User:
        with self._db.transaction() as connection:
            user = OrganizationRepository(connection).user_by_email(normalise_email(email))
        if user is None:
            raise NotFound(f"no user {email!r}")
        return user

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        with self._db.transaction() as connection:
            return OrganizationRepository(connection).membership(org_id, user_id)
