"""A small world for the management API tests, built on the shared fixtures (tests/conftest.py).

Two organisations: ``a`` with an owner, an admin and two members, ``b`` with an owner. Every
user holds a personal token with all management scopes (+ ``api/access``) and can get an
access token exchanged from it. Objects are made through the service layer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tokensmith.core.actors import Actor
from tokensmith.core.records import Credential, CredentialKind, Organization, User
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.settings import MANAGEMENT_SCOPES

ALL_SCOPES = sorted(MANAGEMENT_SCOPES | {"api/access"})
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


@dataclass
class Person:
    user: User
    org: Organization
    role: Role
    pat: str
    pat_id: str
    services: Services
    _access: str | None = None

    def headers(self, auth: str = "pat") -> dict[str, str]:
        """``Authorization`` for this person: ``"pat"`` (personal token) or ``"access"`` (exchanged)."""
        return {"Authorization": f"Bearer {self.pat if auth == 'pat' else self.access_token()}"}

    def access_token(self) -> str:
        if self._access is None:
            issued = self.services.token_exchange.issue(self.pat, ACCESS_TOKEN_TYPE, None, None)
            self._access = issued.access_token
        return self._access

    @property
    def actor(self) -> Actor:
        return Actor.system()


@dataclass
class World:
    services: Services
    orgs: dict[str, Organization] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def person(self, key: str, org: str, role: Role, scopes: list[str] | None = None, **token: Any) -> Person:
        svc = self.services
        organization = self.orgs[org]
        user = svc.organizations.create_user(
            Actor.system(), f"{key}-{uuid.uuid4().hex[:6]}@example.test", org_id=organization.id, role=role
        )
        created = svc.personal_tokens.create(
            Actor.system(),
            name=f"{key} all",
            scopes=scopes or ALL_SCOPES,
            org_id=organization.id,
            user_id=user.id,
            **token,
        )
        person = Person(user, organization, role, created.plain, created.token.id, svc)
        self.people[key] = person
        return person

    def token_for(self, person: Person, scopes: list[str], **options: Any) -> tuple[str, str]:
        """Another personal token of ``person``: (plain, id)."""
        created = self.services.personal_tokens.create(
            Actor.system(),
            name="extra",
            scopes=scopes,
            org_id=person.org.id,
            user_id=person.user.id,
            **options,
        )
        return created.plain, created.token.id

    def credential(self, kind: CredentialKind, org: str, owner: Person | None = None) -> Credential:
        created = self.services.credentials.create(
            Actor.system(),
            org_id=self.orgs[org].id,
            name=f"cred-{uuid.uuid4().hex[:6]}",
            kind=kind,
            user_id=owner.user.id if owner else None,
        )
        return created.credential


@pytest.fixture
def world(services: Services, make_org: Callable[..., Organization]) -> World:
    w = World(services)
    w.orgs["a"] = make_org()
    w.orgs["b"] = make_org()
    w.person("owner", "a", Role.OWNER)
    w.person("admin", "a", Role.ADMIN)
    w.person("member", "a", Role.MEMBER)
    w.person("member2", "a", Role.MEMBER)
    w.person("b_owner", "b", Role.OWNER)
    return w


def problem_code(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"].endswith("/" + body["code"])
    return str(body["code"])
