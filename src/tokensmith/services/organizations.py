"""Organisations, users and memberships."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from tokensmith.core import ids
from tokensmith.core.actors import Actor
from tokensmith.core.clock import Clock
from tokensmith.core.errors import Conflict, NotFound
from tokensmith.core.labels import clean_name
from tokensmith.core.records import Membership, Organization, OrgPolicy, User
from tokensmith.core.roles import Role
from tokensmith.core.users import normalise_email
from tokensmith.services.audit import AuditLog
from tokensmith.services.members import MemberService
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.organizations import OrganizationLookup, OrganizationRepository


class OrganizationService:
    def __init__(self, database: Database, clock: Clock, audit: AuditLog, members: MemberService) -> None:
        self._db = database
        self._clock = clock
        self._audit = audit
        self._members = members
        self._lookup = OrganizationLookup(database)

    def create(self, actor: Actor, name: str, policy: OrgPolicy | None = None) -> Organization:
        name = clean_name(name, what="organisation name")
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
        org = self._lookup(org_id)
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
        """Create a user (or reuse one with that email) as a member of ``org_id`` — the
        operator's path; the rules and audit events are :meth:`MemberService.add`'s."""
        return self._members.add(actor, org_id, email, role, password=password).user

    def user_by_email(self, email: str) -> User:
        with self._db.transaction() as connection:
            user = OrganizationRepository(connection).user_by_email(normalise_email(email))
        if user is None:
            raise NotFound(f"no user {email!r}")
        return user

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        with self._db.transaction() as connection:
            return OrganizationRepository(connection).membership(org_id, user_id)
