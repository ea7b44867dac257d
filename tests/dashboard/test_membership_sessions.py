"""Membership changes end dashboard sessions, whichever door they come through.

The rule lives in services/members.py (one transaction with the change); these tests drive it
through the management API, the service as the CLI and MCP call it, and the dashboard, and
check the symptom over HTTP: the member's cookie no longer opens a page or ``/api/me``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.dashboard.conftest import PASSWORD, Team, csrf_of
from tokensmith.core.actors import Actor
from tokensmith.core.roles import Role
from tokensmith.services.container import Services
from tokensmith.storage.repositories.organizations import OrganizationRepository
from tokensmith.storage.tables import dashboard_sessions

SYSTEM = Actor.system()


def _owner_pat(services: Services, team: Team) -> dict[str, str]:
    created = services.personal_tokens.create(
        SYSTEM,
        name="admin",
        scopes=["members:read", "members:write"],
        org_id=team.org.id,
        user_id=team.owner_id,
    )
    return {"Authorization": f"Bearer {created.plain}"}


def _sessions_of(services: Services, user_id: str) -> int:
    with services.database.transaction() as connection:
        rows = connection.execute(
            dashboard_sessions.select().where(dashboard_sessions.c.user_id == user_id)
        ).all()
    return len(rows)


def _assert_signed_out(client: Any) -> None:
    page = client.get("/credentials", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    me = client.get("/api/me")
    assert me.status_code == 401, me.text
    assert me.headers["content-type"].startswith("application/problem+json")
    assert me.json()["code"] == "unauthenticated"


def test_a_member_removed_through_the_api_is_signed_out_not_a_500(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    sign_in(team.member_email)
    assert client.get("/api/me").json()["org"]["id"] == team.org.id
    removed = client.delete(
        f"/api/orgs/{team.org.id}/members/{team.member_id}",
        headers=_owner_pat(services, team),
    )
    assert removed.status_code == 204, removed.text
    assert _sessions_of(services, team.member_id) == 0
    _assert_signed_out(client)


def test_a_role_change_through_the_api_ends_the_members_sessions(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    sign_in(team.member_email)
    changed = client.patch(
        f"/api/orgs/{team.org.id}/members/{team.member_id}",
        json={"role": "admin"},
        headers=_owner_pat(services, team),
    )
    assert changed.status_code == 200, changed.text
    _assert_signed_out(client)


@pytest.mark.parametrize("change", ["set_role", "remove"])
def test_the_cli_and_mcp_door_ends_sessions_too(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str], change: str
) -> None:
    """The CLI and MCP call MemberService directly: the rule holds without any adapter's help."""
    sign_in(team.member_email)
    assert _sessions_of(services, team.member_id) == 1
    if change == "set_role":
        services.members.set_role(SYSTEM, team.org.id, team.member_email, Role.ADMIN)
    else:
        services.members.remove(SYSTEM, team.org.id, team.member_email)
    assert _sessions_of(services, team.member_id) == 0
    _assert_signed_out(client)


def test_a_session_whose_membership_is_gone_ends_and_never_moves_to_another_org(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    other = services.organizations.create(SYSTEM, "Other")
    services.members.add(SYSTEM, other.id, team.member_email, Role.ADMIN)
    sign_in(team.member_email)
    assert client.get("/api/me").json()["org"]["id"] == team.org.id
    # The membership disappears without the service (e.g. an operator's SQL): the session that
    # acted in it must not come back acting, under the same id, in the other organisation.
    with services.database.transaction() as connection:
        OrganizationRepository(connection).remove_member(team.org.id, team.member_id)
    _assert_signed_out(client)
    assert _sessions_of(services, team.member_id) == 0


def test_changing_ones_own_role_in_the_dashboard_keeps_one_fresh_session(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    second = services.organizations.create_user(
        SYSTEM, "second@acme.test", org_id=team.org.id, role=Role.OWNER, password=PASSWORD
    )
    csrf = sign_in(second.email)
    old_cookie = client.cookies.get("tokensmith_session")
    response = client.post(
        f"/org/members/{second.id}/role",
        data={"role": "admin", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert client.cookies.get("tokensmith_session") != old_cookie
    assert _sessions_of(services, second.id) == 1
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["role"] == "admin"


def test_the_dashboard_remove_button_ends_the_removed_members_session(
    app: Any, client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    # A second browser on the same app (its lifespan already runs under ``client``).
    member_browser = TestClient(app, base_url="http://testserver")
    form = member_browser.get("/sign-in")
    signed = member_browser.post(
        "/sign-in",
        data={"email": team.member_email, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    csrf = sign_in(team.owner_email)
    removed = client.post(
        f"/org/members/{team.member_id}/remove",
        data={"confirm": "yes", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303, removed.text
    _assert_signed_out(member_browser)


def test_api_me_for_a_session_in_no_organisation_is_401_not_500(
    client: Any, services: Services, team: Team, sign_in: Callable[..., str]
) -> None:
    """A former member may still sign in (they own no organisation); /api/me then has no
    organisation to describe — a 401 problem, never an AssertionError."""
    services.members.remove(SYSTEM, team.org.id, team.member_id)
    form = client.get("/sign-in")
    signed = client.post(
        "/sign-in",
        data={"email": team.member_email, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    me = client.get("/api/me")
    assert me.status_code == 401, me.text
    assert me.headers["content-type"].startswith("application/problem+json")
    assert me.json()["code"] == "unauthenticated" and "no organisation" in me.json()["detail"]
