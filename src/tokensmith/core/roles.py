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
