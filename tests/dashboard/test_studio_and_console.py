"""Generate Token's role checks and Test API Call's origin allow-list (SSRF), without a browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.dashboard.conftest import Team
from tokensmith.core.actors import Actor, AuthMethod, Transport
from tokensmith.core.errors import BadRequest, Forbidden, NotFound
from tokensmith.core.records import CredentialKind
from tokensmith.core.roles import Role
from tokensmith.services.api_console import ApiConsole, origin_of
from tokensmith.services.container import Services


def _actor(team: Team, user_id: str, role: Role) -> Actor:
    return Actor(
        method=AuthMethod.SESSION,
        transport=Transport.DASHBOARD,
        user_id=user_id,
        org_id=team.org.id,
        role=role,
    )


def test_generate_token_follows_the_credential_rules(services: Services, team: Team) -> None:
    owner = _actor(team, team.owner_id, Role.OWNER)
    member = _actor(team, team.member_id, Role.MEMBER)
    org_cred = services.credentials.create(
        owner, org_id=team.org.id, name="org", kind=CredentialKind.ORGANIZATION
    )
    mine = services.credentials.create(owner, org_id=team.org.id, name="mine", kind=CredentialKind.PERSONAL)
    generated = services.studio.generate(owner, org_cred.credential.client_id)
    assert generated.claims["client_id"] == org_cred.credential.client_id
    assert generated.claims["sub_kind"] == "client" and generated.header["typ"] == "at+jwt"
    with pytest.raises(Forbidden):
        services.studio.generate(member, org_cred.credential.id)
    with pytest.raises(NotFound):  # another member's personal credential does not exist for them
        services.studio.generate(member, mine.credential.id)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://api.example.com.evil.test/",
        "http://user:pw@api.example.com/",
        "file:///etc/passwd",
        "https://api.example.com:8443/",
        "gopher://api.example.com/",
    ],
)
def test_console_refuses_everything_off_the_list(url: str) -> None:
    console = ApiConsole(["https://api.example.com", "http://127.0.0.1:8000"])
    with pytest.raises(BadRequest):
        console.call("GET", url, "token")


def test_console_does_not_follow_redirects_and_sends_the_token_only_in_the_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/"})

    console = ApiConsole(["https://api.example.com"], transport=httpx.MockTransport(handler))
    result = console.call("GET", "https://api.example.com:443/api/whoami", "tok123")
    assert result.status == 302 and len(seen) == 1
    assert seen[0].headers["authorization"] == "Bearer tok123" and "tok123" not in str(seen[0].url)


def test_origin_normalisation() -> None:
    assert origin_of("HTTPS://API.example.com:443/x") == "https://api.example.com"
    assert origin_of("http://127.0.0.1:8000/api/me") == "http://127.0.0.1:8000"
    assert origin_of("ftp://x") is None


def test_reveal_page_is_no_store_and_member_cannot_create_org_credentials(
    client: Any, team: Team, sign_in: Callable[[str], str]
) -> None:
    csrf = sign_in(team.member_email)
    assert 'value="organization"' not in client.get("/credentials").text
    refused = client.post("/credentials", data={"name": "x", "kind": "organization", "csrf_token": csrf})
    assert refused.status_code == 403
    created = client.post(
        "/credentials", data={"name": "mine", "kind": "personal", "csrf_token": csrf, "scopes": "api/access"}
    )
    assert created.status_code == 200 and "shown only once" in created.text
    assert created.headers["cache-control"] == "no-store"
