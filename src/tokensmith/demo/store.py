"""The demo API's in-memory data: projects, voices and members, kept apart per organisation.

Each organisation (the token's ``org_id``) gets its own :class:`OrganizationData`, seeded on first use
with an example project and a few voices. Nothing is persisted.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["DemoStore", "Member", "OrganizationData", "Project", "Voice"]

Role = Literal["member", "admin"]

SEED_CREATOR = "tokensmith-demo"


@dataclass
class Project:
    id: str
    name: str
    description: str
    created_by: str
    archived: bool = False


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    language: str


@dataclass(frozen=True)
class Member:
    id: str
    email: str
    role: Role


@dataclass
class OrganizationData:
    projects: dict[str, Project] = field(default_factory=dict)
    voices: list[Voice] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _seeded() -> OrganizationData:
    data = OrganizationData(
        voices=[
            Voice("voice_aria", "Aria", "en-US"),
            Voice("voice_basil", "Basil", "en-GB"),
            Voice("voice_chloe", "Chloé", "fr-FR"),
        ]
    )
    example = Project(_new_id("prj"), "Example project", "Seeded by the demo API.", SEED_CREATOR)
    data.projects[example.id] = example
    return data


class DemoStore:
    """Thread-safe access to each organisation's data."""

    def __init__(self) -> None:
        self._orgs: dict[str, OrganizationData] = {}
        self._lock = threading.Lock()

    def organization(self, org_id: str) -> OrganizationData:
        with self._lock:
            return self._organization(org_id)

    def add_project(self, org_id: str, name: str, description: str, created_by: str) -> Project:
        project = Project(_new_id("prj"), name, description, created_by)
        with self._lock:
            self._organization(org_id).projects[project.id] = project
        return project

    def add_member(self, org_id: str, email: str, role: Role) -> Member | None:
        """The new member, or ``None`` when the email is already a member."""
        with self._lock:
            members = self._organization(org_id).members
            if any(m.email.lower() == email.lower() for m in members.values()):
                return None
            member = Member(_new_id("mem"), email, role)
            members[member.id] = member
            return member

    def _organization(self, org_id: str) -> OrganizationData:
        """Call with the lock held."""
        if org_id not in self._orgs:
            self._orgs[org_id] = _seeded()
        return self._orgs[org_id]
