"""What the dashboard's browser journeys share: an organisation with an owner and a member, and
signing in through the form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conftest import LiveServer
from tokensmith.core.actors import Actor
from tokensmith.core.records import Credential, Organization, PersonalTokenRecord
from tokensmith.core.roles import Role

PASSWORD = "correct horse battery staple"
SYSTEM = Actor.system()
OWNER = "ada@acme.test"
MEMBER = "bob@acme.test"


@dataclass(frozen=True)
class World:
    live: LiveServer
    org: Organization
    owner_id: str
    member_id: str

    @property
    def base(self) -> str:
        return self.live.url

    def credentials(self) -> list[Credential]:
        return self.live.services.credentials.list(SYSTEM, org_id=self.org.id).items

    def tokens(self, user_id: str, *, include_revoked: bool = False) -> list[PersonalTokenRecord]:
        return self.live.services.personal_tokens.list(
            SYSTEM, org_id=self.org.id, user_id=user_id, include_revoked=include_revoked
        ).items

    def audit_actions(self) -> list[str]:
        events = self.live.services.audit_query.list(SYSTEM, org_id=self.org.id, limit=500).items
        return [e.action for e in events]


def make_world(live: LiveServer) -> World:
    svc = live.services
    org = svc.organizations.create(SYSTEM, "Acme Robotics")
    owner = svc.organizations.create_user(SYSTEM, OWNER, org_id=org.id, role=Role.OWNER, password=PASSWORD)
    member = svc.organizations.create_user(SYSTEM, MEMBER, org_id=org.id, role=Role.MEMBER, password=PASSWORD)
    return World(live, org, owner.id, member.id)


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/credentials")


def new_page(browser: Any, world: World, email: str) -> Any:
    """A fresh browser context, signed in as ``email``; dialogs (data-confirm) are accepted."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, world.base, email)
    return page
