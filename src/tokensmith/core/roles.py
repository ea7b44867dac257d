"""Organisation roles and what each may do (pure rules, no I/O)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def is_admin(self) -> bool:
        """Owners and admins administer the organisation (seed 000: "the Admin role")."""
        return self in (Role.OWNER, Role.ADMIN)

    @property
    def rank(self) -> int:
        return {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}[self]
