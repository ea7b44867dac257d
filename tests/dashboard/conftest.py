"""Dashboard tests over the real app (Starlette TestClient): an organisation with an owner and a
member who both have passwords, and a helper that signs in like a browser does."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tokensmith.core.actors import Actor
from tokensmith.core.records import Organization
from tokensmith.core.roles import Role
from tokensmith.services.container import Services

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Team:
    org: Organization
    owner_email: str
    member_email: str
    owner_id: str
    member_id: str


@pytest.fixture
def team(services: Services) -> Team:
    system = Actor.system()
    org = services.organizations.create(system, "Acme")
    owner = services.organizations.create_user(
        system, "owner@acme.test", org_id=org.id, role=Role.OWNER, password=PASSWORD
    )
    member = services.organizations.create_user(
        system, "member@acme.test", org_id=org.id, role=Role.MEMBER, password=PASSWORD
    )
    return Team(org, owner.email, member.email, owner.id, member.id)


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture
def sign_in(client: Any) -> Callable[[str], str]:
    """Sign ``email`` in through the form; returns the session's CSRF token (from a page)."""

    def do(email: str, password: str = PASSWORD) -> str:
        form = client.get("/sign-in")
        assert form.status_code == 200
        response = client.post(
            "/sign-in",
            data={
                "email": email,
                "password": password,
                "csrf_token": csrf_of(form.text),
                "next": "/credentials",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        page = client.get("/credentials")
        assert page.status_code == 200
        return csrf_of(page.text)

    return do
