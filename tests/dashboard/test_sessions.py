"""Sign-in, sessions, cookies, CSRF and security headers, through the real app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.dashboard.conftest import PASSWORD, Team, csrf_of
from tokensmith.core import secrets as secret_format
from tokensmith.services.container import Services
from tokensmith.storage.tables import dashboard_sessions

COOKIE = "tokensmith_session"


def test_pages_need_a_session(client: Any) -> None:
    response = client.get("/credentials", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fcredentials"


def test_sign_in_sets_a_hardened_cookie_and_stores_only_a_hash(
    client: Any, team: Team, services: Services
) -> None:
    form = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": team.owner_email, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/credentials"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert "secure" not in attributes  # development; production adds Secure and the __Host- prefix
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert secret_format.is_well_formed(session_id, "tsd_")
    with services.database.transaction() as connection:
        stored = [row.id_hash for row in connection.execute(dashboard_sessions.select())]
    assert len(stored) == 1 and session_id not in stored[0]
    assert stored[0] == services.hasher.hash(session_id)


def test_wrong_password_and_unknown_email_look_alike(client: Any, team: Team) -> None:
    answers = []
    for email, password in ((team.owner_email, "wrong password"), ("nobody@acme.test", PASSWORD)):
        form = client.get("/sign-in")
        response = client.post(
            "/sign-in", data={"email": email, "password": password, "csrf_token": csrf_of(form.text)}
        )
        answers.append((response.status_code, "Wrong email or password." in response.text))
        assert COOKIE not in response.cookies
    assert answers == [(401, True), (401, True)]


def test_sign_in_without_the_login_csrf_token_is_refused(client: Any, team: Team) -> None:
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": team.owner_email, "password": PASSWORD})
    assert response.status_code == 403
    assert COOKIE not in response.cookies


def test_sign_in_issues_a_new_session_id_and_ends_the_old_one(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    sign_in(team.owner_email)
    first = client.cookies[COOKIE]
    sign_in(team.owner_email)
    second = client.cookies[COOKIE]
    assert first != second
    client.cookies.clear()
    client.cookies.set(COOKIE, first)
    assert client.get("/credentials", follow_redirects=False).status_code == 303


def test_unsafe_request_without_csrf_token_is_refused(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    sign_in(team.owner_email)
    response = client.post("/credentials", data={"name": "no token", "kind": "personal"})
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    response = client.post("/credentials", data={"name": "wrong", "kind": "personal", "csrf_token": "x" * 43})
    assert response.status_code == 403
    assert "no token" not in client.get("/credentials").text


def test_cross_origin_post_is_refused_even_with_the_token(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://evil.example/page"},
    ):
        response = client.post("/credentials", data={"name": "evil", "csrf_token": csrf}, headers=headers)
        assert response.status_code == 403, headers
    same = client.post(
        "/credentials",
        data={"name": "fine", "kind": "personal", "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 200


def test_every_page_carries_the_security_headers(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    sign_in(team.owner_email)
    for path in ("/sign-in", "/credentials", "/tokens", "/org/members", "/org/policy", "/org/audit"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_sign_out_kills_the_session(client: Any, team: Team, sign_in: Callable[[str], str]) -> None:
    csrf = sign_in(team.owner_email)
    session_id = client.cookies[COOKIE]
    response = client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.clear()
    client.cookies.set(COOKIE, session_id)  # a stolen copy of the cookie is dead too
    assert client.get("/credentials", follow_redirects=False).status_code == 303


def test_org_switch_rotates_the_session(
    client: Any, team: Team, services: Services, sign_in: Callable[[str], str]
) -> None:
    from tokensmith.core.actors import Actor
    from tokensmith.core.roles import Role

    other = services.organizations.create(Actor.system(), "Beta")
    services.organizations.create_user(Actor.system(), team.owner_email, org_id=other.id, role=Role.MEMBER)
    csrf = sign_in(team.owner_email)
    before = client.cookies[COOKIE]
    response = client.post(
        "/session/org", data={"csrf_token": csrf, "org_id": other.id}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.cookies[COOKIE] != before
    page = client.get("/credentials")
    assert "Beta" in page.text and "/org/members" not in page.text  # a member in Beta: no admin pages


def test_open_redirect_after_sign_in_is_refused(client: Any, team: Team) -> None:
    form = client.get("/sign-in?next=//evil.example/")
    response = client.post(
        "/sign-in",
        data={
            "email": team.owner_email,
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/credentials"


def test_management_api_accepts_the_session_with_its_csrf_header(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.owner_email)
    me = client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["auth"] == "session"
    refused = client.post("/api/tokens", json={"name": "x", "scopes": ["project:read"]})
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    created = client.post(
        "/api/tokens", json={"name": "x", "scopes": ["project:read"]}, headers={"X-CSRF-Token": csrf}
    )
    assert created.status_code == 201
