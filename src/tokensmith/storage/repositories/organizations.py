"""Organisations (with their policy), users and memberships."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping

from tokensmith.core.errors import NotFound
from tokensmith.core.records import Membership, Organization, OrgPolicy, User
from tokensmith.core.roles import Role
from tokensmith.storage.change_feed import LookupCache, change_feed
from tokensmith.storage.compiled import CompiledQuery
from tokensmith.storage.database import Database
from tokensmith.storage.repositories.rows import Repository, like_literal
from tokensmith.storage.tables import memberships, organizations, users

_POLICY_FIELDS = (
    "allow_personal_credentials",
    "allow_org_credentials",
    "allow_personal_tokens",
    "pat_max_lifetime_days",
    "pat_inactivity_days",
    "pat_expiry_required",
    "credential_tokens_per_hour",
    "refresh_token_lifetime_seconds",
    "refresh_token_idle_seconds",
    "allow_registered_clients",
    "allow_metadata_document_clients",
)


def organization_from_row(row: Mapping[str, Any] | RowMapping) -> Organization:
    policy = OrgPolicy(**{name: row[name] for name in _POLICY_FIELDS})
    return Organization(id=row["id"], name=row["name"], created_at=row["created_at"], policy=policy)


_ORG_LABELS = [(f"org__{c.name}", c.name) for c in organizations.c]
#: The organisation's columns to select beside another table's, each labelled ``org__<name>``.
ORGANIZATION_COLUMNS = [c.label(label) for c, (label, _) in zip(organizations.c, _ORG_LABELS, strict=True)]


def organization_from_labels(values: Mapping[str, Any]) -> Organization:
    """The organisation of a row that selected :data:`ORGANIZATION_COLUMNS`."""
    return organization_from_row({name: values[label] for label, name in _ORG_LABELS})


class OrganizationLookup:
    """An organisation (with its policy) by id, for the management API's hot reads
    (``GET /api/me``): one compiled query, kept in memory under the invariant of
    :mod:`tokensmith.storage.change_feed`, so a policy change is never answered from memory
    once this process has learnt of it."""

    def __init__(self, database: Database) -> None:
        self._query = CompiledQuery(
            database, select(organizations).where(organizations.c.id == bindparam("id"))
        )
        self._cache: LookupCache[str, Organization] = LookupCache(
            change_feed(database), name="organizations", observer=database.observer
        )

    def __call__(self, org_id: str) -> Organization | None:
        return self._cache.read_through(org_id, self._read, org_id)

    def _read(self, org_id: str) -> Organization | None:
        values = self._query(id=org_id)
        return organization_from_row(values) if values is not None else None


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        created_at=row["created_at"],
        has_password=row["password_hash"] is not None,
    )


def _membership(row: RowMapping) -> Membership:
    return Membership(
        org_id=row["org_id"], user_id=row["user_id"], role=Role(row["role"]), created_at=row["created_at"]
    )


class OrganizationRepository(Repository):
    # organisations -------------------------------------------------------
    def insert(self, org_id: str, name: str, now: datetime, policy: OrgPolicy) -> Organization:
        values: dict[str, Any] = {"id": org_id, "name": name, "created_at": now}
        values.update({f: getattr(policy, f) for f in _POLICY_FIELDS})
        self.c.execute(insert(organizations).values(**values))
        return Organization(id=org_id, name=name, created_at=now, policy=policy)

    def get(self, org_id: str) -> Organization | None:
        row = self.first(select(organizations).where(organizations.c.id == org_id))
        return organization_from_row(row) if row else None

    def require(self, org_id: str) -> Organization:
        """The organisation, or :class:`~tokensmith.core.errors.NotFound`."""
        org = self.get(org_id)
        if org is None:
            raise NotFound("no such organisation")
        return org

    def by_name(self, name: str) -> Organization | None:
        row = self.first(select(organizations).where(organizations.c.name == name))
        return organization_from_row(row) if row else None

    def list_for_user(self, user_id: str) -> list[tuple[Organization, Role]]:
        rows = self.c.execute(
            select(organizations, memberships.c.role)
            .join(memberships, memberships.c.org_id == organizations.c.id)
            .where(memberships.c.user_id == user_id)
            .order_by(organizations.c.name)
        ).mappings()
        return [(organization_from_row(r), Role(r["role"])) for r in rows]

    def list_all(self) -> list[Organization]:
        rows = self.c.execute(select(organizations).order_by(organizations.c.name)).mappings()
        return [organization_from_row(r) for r in rows]

    def set_policy(self, org_id: str, policy: OrgPolicy) -> None:
        self.c.execute(
            update(organizations)
            .where(organizations.c.id == org_id)
            .values(**{f: getattr(policy, f) for f in _POLICY_FIELDS})
        )

    # users ---------------------------------------------------------------
    def insert_user(self, user_id: str, email: str, password_hash: str | None, now: datetime) -> User:
        self.c.execute(
            insert(users).values(id=user_id, email=email, password_hash=password_hash, created_at=now)
        )
        return User(id=user_id, email=email, created_at=now, has_password=password_hash is not None)

    def user(self, user_id: str) -> User | None:
        row = self.first(select(users).where(users.c.id == user_id))
        return _user(row) if row else None

    def user_by_email(self, email: str) -> User | None:
        row = self.first(select(users).where(users.c.email == email.lower()))
        return _user(row) if row else None

    def password_hash(self, user_id: str) -> str | None:
        value = self.c.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
        return value if isinstance(value, str) else None

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.c.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    # memberships ---------------------------------------------------------
    def add_member(self, org_id: str, user_id: str, role: Role, now: datetime) -> Membership:
        self.c.execute(
            insert(memberships).values(org_id=org_id, user_id=user_id, role=role.value, created_at=now)
        )
        return Membership(org_id=org_id, user_id=user_id, role=role, created_at=now)

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        row = self.first(
            select(memberships).where(memberships.c.org_id == org_id, memberships.c.user_id == user_id)
        )
        return _membership(row) if row else None

    def members(
        self,
        org_id: str,
        *,
        after_email: str | None = None,
        email_contains: str | None = None,
        role: Role | None = None,
        limit: int = 50,
    ) -> list[tuple[User, Role]]:
        query = (
            select(users, memberships.c.role)
            .join(memberships, memberships.c.user_id == users.c.id)
            .where(memberships.c.org_id == org_id)
            .order_by(users.c.email)
            .limit(limit)
        )
        if after_email is not None:
            query = query.where(users.c.email > after_email)
        if email_contains:
            pattern = "%" + like_literal(email_contains.lower()) + "%"
            query = query.where(users.c.email.like(pattern, escape="\\"))
        if role is not None:
            query = query.where(memberships.c.role == role.value)
        return [(_user(r), Role(r["role"])) for r in self.c.execute(query).mappings()]

    def set_role(self, org_id: str, user_id: str, role: Role) -> None:
        self.c.execute(
            update(memberships)
            .where(memberships.c.org_id == org_id, memberships.c.user_id == user_id)
            .values(role=role.value)
        )

    def remove_member(self, org_id: str, user_id: str) -> None:
        self.c.execute(
            delete(memberships).where(memberships.c.org_id == org_id, memberships.c.user_id == user_id)
        )

    def count_owners(self, org_id: str) -> int:
        return int(
            self.c.execute(
                select(func.count())
                .select_from(memberships)
                .where(memberships.c.org_id == org_id, memberships.c.role == Role.OWNER.value)
            ).scalar_one()
        )
