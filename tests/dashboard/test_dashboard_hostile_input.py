"""Hostile input on the dashboard door: a sign-in ``next`` with tab, CR or LF is refused and
sign-in lands on the default page; control characters in form fields are refused and nothing
is stored. Real app over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboard.conftest import PASSWORD, Team, csrf_of
from tokensmith.core.actors import Actor
from tokensmith.dashboard.security import DEFAULT_NEXT, safe_next

HOSTILE_NEXT = [
    "/\t/evil.example",  # a browser strips the tab: //evil.example
    "/\r\n/evil.example",
    "/\n/evil.example",
    "/credentials\rSet-Cookie: x=1",
    "/\x0b/evil.example",
    "/\x00",
    "/\x85x",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "credentials",
    "",
]


def _sign_in(client: Any, email: str, next_url: str) -> Any:
    form = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": next_url},
        follow_redirects=False,
    )


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_sign_in_refuses_a_next_with_control_characters_or_another_site(
    client: Any, team: Team, next_url: str
) -> None:
    response = _sign_in(client, team.owner_email, next_url)
    assert response.status_code == 303
    assert response.headers["location"] == DEFAULT_NEXT
    assert "evil" not in response.headers["location"]


def test_a_same_site_next_is_kept(client: Any, team: Team) -> None:
    response = _sign_in(client, team.owner_email, "/tokens?filter=ab")
    assert response.status_code == 303
    assert response.headers["location"] == "/tokens?filter=ab"


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_the_sign_in_form_does_not_carry_a_hostile_next(client: Any, next_url: str) -> None:
    page = client.get("/sign-in", params={"next": next_url})
    assert page.status_code == 200
    assert 'name="next" value="/credentials"' in page.text


def test_the_rule_itself() -> None:
    assert [safe_next(v) for v in HOSTILE_NEXT] == [DEFAULT_NEXT] * len(HOSTILE_NEXT)
    assert safe_next("/org/members") == "/org/members"
    assert safe_next("/x" * 1001) == DEFAULT_NEXT  # absurdly long


@pytest.mark.parametrize(
    ("field", "value"), [("name", "nul\x00name"), ("name", "esc\x1b[2J"), ("description", "bell\x07")]
)
def test_dashboard_forms_refuse_control_characters(
    client: Any, services: Any, team: Team, sign_in: Any, field: str, value: str
) -> None:
    csrf = sign_in(team.owner_email)
    form = {"name": "ok", "kind": "personal", "description": "", "csrf_token": csrf}
    form[field] = value
    response = client.post("/credentials", data=form, follow_redirects=False)
    assert response.status_code == 400
    assert "control characters" in response.text
    listed = services.credentials.list(Actor.system(), org_id=team.org.id)
    assert listed.items == []
